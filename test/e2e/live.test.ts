import assert from 'node:assert/strict';
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import { benchId } from '../../src/frappe/queues.js';
import { descendants, FbenchRun, survivors } from '../helpers/fbench-run.js';
import { tempSampleBench, type TempBench } from '../helpers/sample-bench.js';
import { until } from '../helpers/until.js';

/** A sample bench with its fbench start. Tests that change a session (its Procfile, stopping it) get their own. */
interface Session {
  b: TempBench;
  run: FbenchRun;
}
const sessions: Session[] = [];
const others: FbenchRun[] = [];
after(() => {
  for (const r of [...sessions.map((x) => x.run), ...others]) if (r.child.exitCode === null && r.child.signalCode === null) r.signal('SIGKILL');
  sessions.forEach((x) => x.b.cleanup());
});

async function session(): Promise<Session> {
  const b = await tempSampleBench();
  const run = new FbenchRun(['start', '--bench', b.dir, '--no-timestamps']);
  sessions.push({ b, run });
  await run.waitFor(/ready in/);
  await run.waitFor(/watching apps\/ for \.py changes/);
  return { b, run };
}

let shared: Session;
let b: TempBench;
let run: FbenchRun;

async function cli(...args: string[]): Promise<{ code: number | null; out: string }> {
  return cliOn(shared, ...args);
}
async function cliOn(s: Session, ...args: string[]): Promise<{ code: number | null; out: string }> {
  const r = new FbenchRun([...args, '--bench', s.b.dir]);
  others.push(r);
  const { code } = await r.exited;
  return { code, out: r.output };
}

type Ps = { name: string; state: string; pid: number | null; restarts: number; port: number | null; readiness: string }[];
async function ps(s: Session = shared): Promise<Ps> {
  const { code, out } = await cliOn(s, 'ps', '--json');
  assert.equal(code, 0, out);
  return JSON.parse(out) as Ps;
}
const psOf = (s: Session): Promise<Ps> => ps(s);
const pidOf = (list: Ps, name: string): number | null => list.find((p) => p.name === name)?.pid ?? null;

describe('a running fbench start, driven from outside', () => {
  before(async () => {
    shared = await session();
    ({ b, run } = shared);
  });

  test('fbench ps lists every process with its state and readiness in words, pid, port, CPU and memory', async () => {
    const list = await ps();
    assert.deepEqual(
      list.map((p) => p.name),
      ['redis_cache.1', 'redis_queue.1', 'web.1', 'socketio.1', 'watch.1', 'schedule.1', 'worker.1', 'worker_email.1'],
    );
    assert.ok(
      list.every((p) => p.state === 'ready' && typeof p.pid === 'number'),
      JSON.stringify(list),
    );
    const words = Object.fromEntries(list.map((p) => [p.name, p.readiness]));
    assert.deepEqual(words, {
      'redis_cache.1': 'PONG',
      'redis_queue.1': 'PONG',
      'web.1': `listening on :${b.ports.web}`,
      'socketio.1': `listening on :${b.ports.socketio}`,
      'watch.1': 'running',
      'schedule.1': 'running',
      'worker.1': 'registered on short,default,long,email',
      'worker_email.1': 'registered on email',
    });
    assert.equal(list.find((p) => p.name === 'web.1')!.port, b.ports.web);
    const table = await cli('ps');
    assert.match(table.out, /^NAME +STATE +PID +UPTIME +RESTARTS +PORT +CPU +RSS +READY$/m);
    assert.match(table.out, /^web\.1 +ready +\d+ +\d+s +0 +\d+ +[\d.]+% +[\d.]+ MB +listening on :\d+$/m);
  });

  test('the worker lines bench sends to logs/worker.log show under the worker that wrote them, and are in the file', async () => {
    const r = new Redis({ port: b.ports.queue });
    await r.hset('rq:job:live-1', { description: 'live.job' });
    await r.rpush(`rq:queue:${benchId({}, b.dir)}:long`, 'live-1');
    r.disconnect();
    await run.waitFor(/worker\.1 +\| long: live\.job \(live-1\)/);
    await run.waitFor(/worker\.1 +\| long: Job OK \(live-1\)/);
    assert.match(readFileSync(path.join(b.dir, 'logs', 'worker.log'), 'utf8'), /^long: Job OK \(live-1\)$/m);
    const logs = await cli('logs', 'worker.log', '-n', '50');
    assert.match(logs.out, /^\d\d:\d\d:\d\d worker\.1 +\| long: Job OK \(live-1\)$/m);
  });

  test('fbench restart of one worker changes only its pid; fbench logs shows recent lines', async () => {
    const before = await ps();
    const { code, out } = await cli('restart', 'worker_email.1');
    assert.equal(code, 0, out);
    assert.match(out, /restarted worker_email\.1/);
    await until(async () => (await ps()).find((p) => p.name === 'worker_email.1')?.state === 'ready', 'worker_email.1 ready again', run);
    const after = await ps();
    for (const p of before) {
      if (p.name === 'worker_email.1') assert.notEqual(pidOf(after, p.name), p.pid);
      else assert.equal(pidOf(after, p.name), p.pid, `${p.name} was restarted too`);
    }
    const logs = await cli('logs', 'web', '-n', '5');
    assert.match(logs.out, /^\d\d:\d\d:\d\d web\.1 +\| .*Running on http:\/\/127\.0\.0\.1:\d+\//m);
    const unknown = await cli('restart', 'wrker');
    assert.equal(unknown.code, 1);
    assert.match(unknown.out, /no process, type or role "wrker" \(restart\) → did you mean "worker"\?/);
  });

  test('a burst of .py changes restarts the workers and the scheduler once; web is left alone', async () => {
    const before = await ps();
    const from = run.output.length;
    for (let i = 0; i < 50; i++) writeFileSync(path.join(b.dir, 'apps', 'frappe', 'frappe', `gen_${i}.py`), `x = ${i}\n`);
    // The workers first, the scheduler once they are registered again.
    await run.waitFor(/changed: restarting worker\.1, worker_email\.1\n[\s\S]*changed: restarting schedule\.1\n/, 20_000, from);
    await until(
      async () => {
        const now = await ps();
        return ['schedule.1', 'worker.1', 'worker_email.1'].every(
          (n) => now.find((p) => p.name === n)!.state === 'ready' && pidOf(now, n) !== pidOf(before, n),
        );
      },
      'all three restarted and ready',
      run,
    );
    await new Promise((r) => setTimeout(r, 500));
    assert.equal((run.output.slice(from).match(/changed: restarting/g) ?? []).length, 2, `one burst, two waves:\n${run.output.slice(from)}`);
    const after = await ps();
    assert.equal(pidOf(after, 'web.1'), pidOf(before, 'web.1'));
    assert.equal(pidOf(after, 'redis_queue.1'), pidOf(before, 'redis_queue.1'));
    // a change under node_modules or __pycache__ is not code
    const quiet = run.output.length;
    writeFileSync(path.join(b.dir, 'apps', 'frappe', 'frappe', 'tasks.pyc'), '');
    await new Promise((r) => setTimeout(r, 600));
    assert.doesNotMatch(run.output.slice(quiet), /changed: restarting/);
  });

  test('editing the Procfile adds and removes processes; a broken edit keeps what runs', async () => {
    const own = await session();
    const { b, run } = own;
    const ps = () => psOf(own);
    const procfile = path.join(b.dir, 'Procfile');
    const original = readFileSync(procfile, 'utf8');
    let from = run.output.length;
    writeFileSync(procfile, original.replace('watch: bench watch\n', '') + 'extra: sleep 1000\n');
    await run.waitFor(/Procfile changed: adding extra\.1; removing watch\.1/, 10_000, from);
    await until(
      async () => {
        const rows = await ps();
        return rows.some((p) => p.name === 'extra.1' && p.state === 'ready') && !rows.some((p) => p.name === 'watch.1');
      },
      'extra.1 in and started, watch.1 out',
      run,
    );
    from = run.output.length;
    appendFileSync(procfile, 'extra: sleep 5\n');
    await run.waitFor(/Procfile changed, but it does not plan: Procfile:\d+: duplicate process name "extra".*keeping what runs/, 10_000, from);
    assert.ok((await ps()).some((p) => p.name === 'extra.1' && p.state === 'ready'));
  });

  test('fbench stop NAME stops one process; bare fbench stop ends the session and leaves nothing', async () => {
    const own = await session();
    const { run } = own;
    const ps = () => psOf(own);
    const cli = (...args: string[]) => cliOn(own, ...args);
    const { out } = await cli('stop', 'socketio');
    assert.match(out, /stopped socketio\.1/);
    assert.equal((await ps()).find((p) => p.name === 'socketio.1')!.state, 'stopped');
    const pids = (await ps()).map((p) => p.pid).filter((p): p is number => p !== null);
    const all = [...pids, ...(await Promise.all(pids.map(descendants))).flat()];
    const stop = await cli('stop');
    assert.equal(stop.code, 0);
    const { code } = await run.exited;
    assert.equal(code, 0);
    assert.deepEqual(await survivors(all, 2000), []);
    const none = await cli('ps');
    assert.equal(none.code, 1);
    assert.match(none.out, /no fbench session is running for/);
  });
});
