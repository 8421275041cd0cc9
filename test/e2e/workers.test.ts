import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import { benchId } from '../../src/frappe/queues.js';
import { FbenchRun } from '../helpers/fbench-run.js';
import { tempSampleBench, type TempBench } from '../helpers/sample-bench.js';

const benches: TempBench[] = [];
const runs: FbenchRun[] = [];
after(() => {
  for (const r of runs) if (r.child.exitCode === null && r.child.signalCode === null) r.signal('SIGKILL');
  benches.forEach((b) => b.cleanup());
});

async function bench(): Promise<TempBench> {
  const b = await tempSampleBench();
  benches.push(b);
  return b;
}

function fbench(...args: string[]): FbenchRun {
  const r = new FbenchRun(args[0] === 'presets' ? args : [args[0]!, '--no-timestamps', ...args.slice(1)]);
  runs.push(r);
  return r;
}

/** Enqueue one job per queue as frappe.enqueue does, and return which worker's queues ran each. */
async function runOnePerQueue(b: TempBench, queues: string[]): Promise<Record<string, string>> {
  const r = new Redis({ port: b.ports.queue });
  const id = benchId({}, b.dir);
  const ids: Record<string, string> = {};
  for (const q of queues) {
    ids[q] = `job-${q}-${Date.now()}`;
    await r.hset(`rq:job:${ids[q]}`, { description: `test.${q}`, status: 'queued' });
    await r.rpush(`rq:queue:${id}:${q}`, ids[q]!);
  }
  const ranBy: Record<string, string> = {};
  for (const q of queues) {
    let job: Record<string, string> = {};
    for (let i = 0; i < 400 && job.status !== 'finished'; i++) {
      await new Promise((res) => setTimeout(res, 25));
      job = await r.hgetall(`rq:job:${ids[q]}`);
    }
    assert.equal(job.status, 'finished', `the job on ${q} was not run`);
    ranBy[q] = ((await r.hget(`rq:worker:${job.worker_name}`, 'queues')) ?? '?').replaceAll(`${id}:`, '');
  }
  r.disconnect();
  return ranBy;
}

async function workerQueues(b: TempBench): Promise<string[]> {
  const r = new Redis({ port: b.ports.queue });
  const keys = await r.smembers('rq:workers');
  const out = await Promise.all(keys.map((k) => r.hget(k, 'queues')));
  r.disconnect();
  return out.map((q) => String(q).replaceAll(`${benchId({}, b.dir)}:`, '')).sort();
}

describe('queue-split workers', () => {
  test('--preset split: a job on each standard queue is run by the worker for that queue only', async () => {
    const b = await bench();
    const run = fbench('start', '--bench', b.dir, '--preset', 'split', '-c', 'worker_long=2');
    await run.waitFor(/ready in/);
    await run.waitFor(/worker_long\.2 started/);
    assert.doesNotMatch(run.output, /worker_email|worker\.1/);
    for (let i = 0; i < 100 && (await workerQueues(b)).length < 4; i++) await new Promise((res) => setTimeout(res, 50));
    assert.deepEqual(await workerQueues(b), ['default', 'long', 'long', 'short']);
    assert.deepEqual(await runOnePerQueue(b, ['short', 'default', 'long']), { short: 'short', default: 'default', long: 'long' });
    await run.stop();
  });

  test('fbench workers --queues default,long,email -n 2 --with-redis: two workers per queue, each job on its own queue', async () => {
    const b = await bench();
    const run = fbench('workers', '--bench', b.dir, '--queues', 'default,long,email', '-n', '2', '--with-redis');
    await run.waitFor(/ready in/);
    assert.deepEqual([...run.startedPids().keys()].filter((n) => n.startsWith('worker')).sort(), [
      'worker_default.1',
      'worker_default.2',
      'worker_email.1',
      'worker_email.2',
      'worker_long.1',
      'worker_long.2',
    ]);
    assert.doesNotMatch(run.output, /web\.1|schedule\.1|socketio\.1/);
    for (let i = 0; i < 100 && (await workerQueues(b)).length < 6; i++) await new Promise((res) => setTimeout(res, 50));
    assert.deepEqual(await workerQueues(b), ['default', 'default', 'email', 'email', 'long', 'long']);
    assert.deepEqual(await runOnePerQueue(b, ['default', 'long', 'email']), { default: 'default', long: 'long', email: 'email' });
    await run.stop();
  });

  test('fbench workers joins queues with +, and uses a Redis that is already running', async () => {
    const b = await bench();
    const redis = fbench('start', '--bench', b.dir, 'redis_queue', 'redis_cache');
    await redis.waitFor(/ready in/);
    const run = fbench('workers', '--bench', b.dir, '--queues', 'short+default');
    await run.waitFor(/worker_short_default\.1 started/);
    for (let i = 0; i < 100 && (await workerQueues(b)).length < 1; i++) await new Promise((res) => setTimeout(res, 50));
    assert.deepEqual(await workerQueues(b), ['short,default']);
    assert.deepEqual(await runOnePerQueue(b, ['short', 'default']), { short: 'short,default', default: 'short,default' });
    await run.stop();
    await redis.stop();
  });

  test("fbench workers without the bench's Redis running says to use --with-redis", async () => {
    const b = await bench();
    const run = fbench('workers', '--bench', b.dir, '--queues', 'default');
    const { code } = await run.exited;
    assert.equal(code, 1);
    assert.match(run.output, /redis_queue \(Procfile:2\) is not running.* → add --with-redis/);
  });

  test('unknown queues, unknown presets and broken preset files fail clearly; nothing starts', async () => {
    const b = await bench();
    const q = fbench('workers', '--bench', b.dir, '--queues', 'default,emails', '--with-redis');
    assert.equal((await q.exited).code, 1);
    assert.match(q.output, /unknown queue "emails" in --queues → this bench's queues are short, default, long, email/);

    const p = fbench('start', '--bench', b.dir, '--preset', 'fast');
    assert.equal((await p.exited).code, 1);
    assert.match(p.output, /unknown preset "fast" → presets: default, minimal, split, split-all, workers-only/);

    mkdirSync(path.join(b.dir, 'config', 'fbench', 'presets'), { recursive: true });
    writeFileSync(path.join(b.dir, 'config', 'fbench', 'presets', 'mine.yaml'), 'description: mine\nworkers:\n  - queues: [default, nope]\n');
    const m = fbench('start', '--bench', b.dir, '--preset', 'mine');
    assert.equal((await m.exited).code, 1);
    assert.match(m.output, /unknown queue "nope" in config\/fbench\/presets\/mine\.yaml/);
    writeFileSync(path.join(b.dir, 'config', 'fbench', 'presets', 'split.yaml'), 'description: my split\nworkers:\n  - queues: [long]\n    count: 0.5\n');
    const s = fbench('start', '--bench', b.dir, '--preset', 'split');
    assert.equal((await s.exited).code, 1);
    assert.match(s.output, /config\/fbench\/presets\/split\.yaml:4:12: invalid preset: "count" must be a whole number/);
    for (const r of [q, p, m, s]) assert.doesNotMatch(r.output, /started \(pid/);

    writeFileSync(path.join(b.dir, 'config', 'fbench', 'presets', 'mine.yaml'), 'description: my own\nexclude: [watch]\n');
    const list = fbench('presets', '--bench', b.dir);
    assert.equal((await list.exited).code, 0);
    assert.match(list.output, /^mine +config\/fbench\/presets\/mine\.yaml +my own$/m);
    assert.match(list.output, /^split +config\/fbench\/presets\/split\.yaml +INVALID: config\/fbench\/presets\/split\.yaml:4:12: invalid preset/m);
    assert.match(list.output, /^minimal +shipped +Redis, web, one worker/m);
  });
});
