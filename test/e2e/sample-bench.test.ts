import assert from 'node:assert/strict';
import http from 'node:http';
import { after, test } from 'node:test';
import { Redis } from 'ioredis';
import { canConnect } from '../../src/health/tcp.js';
import { descendants, FbenchRun, survivors } from '../helpers/fbench-run.js';
import { tempSampleBench, type TempBench } from '../helpers/sample-bench.js';

let bench: TempBench | undefined;
let run: FbenchRun | undefined;
after(() => {
  if (run && run.child.exitCode === null) run.signal('SIGKILL');
  bench?.cleanup();
});

function get(port: number, path: string): Promise<{ status: number; body: { message?: unknown; exception?: string } }> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path }, (res) => {
        let data = '';
        res.on('data', (d) => (data += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(data) }));
      })
      .on('error', reject);
  });
}

test('the sample bench runs whole: a job enqueued through web is run by a worker; stopping leaves nothing', async () => {
  bench = await tempSampleBench();
  const { ports } = bench;
  run = new FbenchRun(['start', '--bench', bench.dir]);
  await run.waitFor(
    new RegExp(
      `ready in \\d+ ms: redis_cache\\.1, redis_queue\\.1 PONG; web\\.1 :\\d+, socketio\\.1 :\\d+; worker\\.1, worker_email\\.1 registered — open http://sample\\.localhost:${ports.web}$`,
      'm',
    ),
  );

  assert.deepEqual((await get(ports.web, '/api/method/ping')).body, { message: 'pong' });

  // A realtime event published on the queue Redis reaches socketio.
  const pub = new Redis({ port: ports.queue, lazyConnect: true });
  await pub.connect();
  await pub.publish('events', JSON.stringify({ event: 'list_update' }));
  await run.waitFor(/socketio\.1 +\| event on events: \{"event":"list_update"\}/);

  for (const queue of ['default', 'email', 'long']) {
    const { body } = await get(ports.web, `/api/method/enqueue?queue=${queue}&job=e2e.${queue}`);
    const id = (body.message as { job_id: string }).job_id;
    let job: Record<string, string> = {};
    for (let i = 0; i < 200 && job.status !== 'finished'; i++) {
      await new Promise((r) => setTimeout(r, 25));
      job = (await get(ports.web, `/api/method/job?id=${id}`)).body.message as Record<string, string>;
    }
    assert.equal(job.status, 'finished', `job on ${queue} never finished: ${JSON.stringify(job)}`);
    assert.match(job.worker_name ?? '', /\.\d+$/);
  }
  const rejected = await get(ports.web, '/api/method/enqueue?queue=nope');
  assert.equal(rejected.status, 417);
  assert.match(rejected.body.exception ?? '', /Queue should be one of short, default, long, email/);
  pub.disconnect();

  const pids = [...run.startedPids().values()];
  assert.equal(pids.length, 8);
  const all = [...pids, ...(await Promise.all(pids.map(descendants))).flat()];
  const { code } = await run.stop();
  assert.equal(code, 130);
  assert.deepEqual(await survivors(all, 0), [], 'processes outlived fbench');
  for (const p of Object.values(ports)) assert.equal(await canConnect('127.0.0.1', p), false, `port ${p} still open`);
  // Dependents stop before the Redis they need.
  assert.ok(run.output.indexOf('web.1 stopped') < run.output.indexOf('redis_queue.1 stopped'));
  assert.ok(run.output.indexOf('worker.1 stopped') < run.output.indexOf('redis_cache.1 stopped'));
});
