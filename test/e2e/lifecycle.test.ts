import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { Redis } from 'ioredis';
import { makeBench } from '../helpers/bench-fixture.js';
import { testScope } from '../helpers/scope.js';
import { FbenchRun, pidsMatching, survivors } from '../helpers/fbench-run.js';
import { freePort } from '../helpers/ports.js';
import { enqueue, installBench, requireRq, RQ_BENCH, RQ_JOBS, SYSTEM_PYTHON, TERM_COUNTER } from '../helpers/real-programs.js';
import { until } from '../helpers/until.js';

const { runs, cleanups } = testScope();

function bench(procfile: string, files: Record<string, string> = {}): string {
  const b = makeBench({ Procfile: procfile, 'logs/.keep': '', ...files });
  cleanups.push(b.cleanup);
  return b.dir;
}

function fbench(args: string[], cwd?: string): FbenchRun {
  const r = new FbenchRun(args, cwd ? { cwd } : {});
  runs.push(r);
  return r;
}

const start = (dir: string, ...args: string[]): FbenchRun => fbench(['start', '--bench', dir, '--no-timestamps', ...args]);

/** "PID what" lines the TERM counters wrote, grouped by pid in order of appearance. */
function events(dir: string): { pid: number; what: string }[] {
  const f = path.join(dir, 'events.log');
  if (!existsSync(f)) return [];
  return readFileSync(f, 'utf8')
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => ({ pid: Number(l.split(' ')[0]), what: l.split(' ')[1]! }));
}
function termsByPid(dir: string): Map<number, string[]> {
  const out = new Map<number, string[]>();
  for (const e of events(dir)) out.set(e.pid, [...(out.get(e.pid) ?? []), e.what]);
  return out;
}

/** A bench's queue Redis on a free port, with its conf as bench writes it (data under config/pids). */
async function withRedis(procfile: string, files: Record<string, string> = {}): Promise<{ dir: string; port: number }> {
  const port = await freePort();
  const dir = bench(`redis_queue: redis-server config/redis_queue.conf\n${procfile}`, {
    'sites/common_site_config.json': JSON.stringify({ redis_queue: `redis://127.0.0.1:${port}`, redis_cache: `redis://127.0.0.1:${port}` }),
    'config/pids/.keep': '',
    ...files,
  });
  writeFileSync(
    path.join(dir, 'config/redis_queue.conf'),
    `dbfilename redis_queue.rdb\ndir ${dir}/config/pids\npidfile ${dir}/config/pids/redis_queue.pid\nbind 127.0.0.1\nport ${port}\n`,
  );
  return { dir, port };
}

// bench's own worker line, with the TERM counter behind `bench`; and the same program under a shell that stays.
const COUNTERS = `worker: bench worker 1>> logs/worker.log 2>> logs/worker.error.log\nwrapped: sh -c '${SYSTEM_PYTHON} term.py; echo after'\n`;

async function counterBench(extra = '', lines = COUNTERS): Promise<string> {
  const { dir } = await withRedis(lines + extra, { 'term.py': TERM_COUNTER, 'apps/app/app/hooks.py': '' });
  installBench(dir, TERM_COUNTER);
  return dir;
}

const upCount = (dir: string): number => events(dir).filter((e) => e.what === 'up').length;

describe('stopping: one SIGTERM, waited for', { timeout: 60_000 }, () => {
  test('Ctrl-C: each program gets exactly one SIGTERM, its 2 s handler completes, and fbench exits only after', async () => {
    const dir = await counterBench();
    const run = start(dir, '--grace', '10');
    await until(() => upCount(dir) === 2, 'both up', run);
    const t0 = Date.now();
    run.signal('SIGINT');
    const { code } = await run.exited;
    assert.equal(code, 130, run.output);
    assert.ok(Date.now() - t0 >= 1900, 'fbench exited before the handlers finished');
    const byPid = termsByPid(dir);
    assert.equal(byPid.size, 2);
    for (const [pid, seen] of byPid) assert.deepEqual(seen, ['up', 'TERM', 'done'], `pid ${pid}`);
    assert.deepEqual(await survivors(byPid.keys(), 0), []);
    assert.doesNotMatch(run.output, /wrapped\.1 stopped[\s\S]*wrapped\.1 +\| done/, 'stopped was said before the program was gone');
    assert.match(run.output, /waiting for worker\.1 \(finishing a job\?\), wrapped\.1, redis_queue\.1 — Ctrl-C again to kill/);
  });

  test('fbench stop NAME: one SIGTERM, and it returns once the program is gone', async () => {
    const dir = await counterBench();
    const run = start(dir, '--grace', '10');
    await until(() => upCount(dir) === 2, 'both up', run);
    const stop = fbench(['stop', 'worker', '--bench', dir]);
    assert.equal((await stop.exited).code, 0, stop.output);
    const worker = [...termsByPid(dir)].find(([, s]) => s.includes('TERM'));
    assert.deepEqual(worker?.[1], ['up', 'TERM', 'done']);
    await run.stop();
  });

  test('fbench restart NAME: the old one gets one SIGTERM and is gone before the new one starts', async () => {
    const dir = await counterBench();
    const run = start(dir, '--grace', '10');
    await until(() => upCount(dir) === 2, 'both up', run);
    const restart = fbench(['restart', 'wrapped', '--bench', dir]);
    assert.equal((await restart.exited).code, 0, restart.output);
    await until(() => upCount(dir) === 3, 'the new one up', run);
    const seq = events(dir)
      .slice(2)
      .map((e) => e.what);
    assert.deepEqual(seq, ['TERM', 'done', 'up']);
    await run.stop();
    for (const [pid, seen] of termsByPid(dir)) assert.equal(seen.filter((s) => s === 'TERM').length, 1, `pid ${pid}: ${seen}`);
  });

  test('a .py change reloads the scheduler with one SIGTERM, old gone before new', async () => {
    // (A real RQ worker's reload mid-job: never-lose-a-job.test.ts.)
    const dir = await counterBench('', COUNTERS.replace('worker: bench worker', 'schedule: bench schedule'));
    const run = start(dir, '--grace', '10');
    await run.waitFor(/ready in/);
    await until(() => upCount(dir) === 2, 'both up', run);
    await run.waitFor(/watching apps\/ for \.py changes/);
    writeFileSync(path.join(dir, 'apps/app/app/hooks.py'), '# changed\n');
    await until(() => upCount(dir) === 3, 'the worker back up', run);
    const worker = events(dir)
      .filter((e) => e.pid === events(dir).find((x) => x.what === 'TERM')!.pid)
      .map((e) => e.what);
    assert.deepEqual(worker, ['up', 'TERM', 'done']);
    assert.equal(events(dir).at(-1)!.what, 'up');
    await run.stop();
  });

  test('--exit-on-crash: the others get one SIGTERM each and finish before fbench exits with the crash code', async () => {
    const dir = await counterBench('crash: sleep 1; exit 3\n');
    const run = start(dir, '--grace', '10', '--exit-on-crash');
    const { code } = await run.exited;
    assert.equal(code, 3, run.output);
    const byPid = termsByPid(dir);
    for (const [pid, seen] of byPid) assert.deepEqual(seen, ['up', 'TERM', 'done'], `pid ${pid}`);
    assert.deepEqual(await survivors(byPid.keys(), 0), []);
  });
});

describe('stopping what ignores SIGTERM', { timeout: 60_000 }, () => {
  for (const [signal, code] of [
    ['SIGINT', 130],
    ['SIGTERM', 143],
    ['SIGHUP', 129],
  ] as const) {
    test(`${signal}: a child and grandchild that ignore SIGTERM are killed at the grace; nothing is left when fbench exits`, async () => {
      const marker = `${3000 + Math.floor(Math.random() * 1000)}.${process.pid}`;
      const dir = bench(`w: bash -c 'trap "" TERM; sleep ${marker}'\ng: sh -c 'trap "" TERM; (trap "" TERM; sleep ${marker}) & sleep ${marker}'\n`);
      const run = start(dir, '--grace', '1');
      await until(() => pidsMatching(`sleep ${marker}`).length >= 3, 'all sleeping', run);
      const pids = pidsMatching(marker);
      const t0 = Date.now();
      run.signal(signal);
      assert.equal((await run.exited).code, code, run.output);
      assert.ok(Date.now() - t0 >= 900, 'killed before the grace');
      assert.deepEqual(await survivors(pids, 0), []);
      assert.deepEqual(pidsMatching(marker), []);
    });
  }

  test('SIGKILL of fbench at any moment of start-up (50-500 ms, 10 tries) leaves nothing running', async () => {
    for (let i = 0; i < 10; i++) {
      const marker = `${4000 + i}.${process.pid}`;
      const dir = bench(`a: sleep ${marker}\nb: sh -c 'sleep ${marker} & wait'\nc: bash -c 'trap "" TERM; sleep ${marker}'\n`);
      const run = start(dir, '--grace', '1');
      await new Promise((r) => setTimeout(r, 50 + Math.floor((450 * i) / 9)));
      run.signal('SIGKILL');
      await run.exited;
      const deadline = Date.now() + 3000; // c ignores SIGTERM: the watchdog gives it its grace
      while (pidsMatching(marker).length > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
      assert.deepEqual(pidsMatching(marker), [], `try ${i}: survivors after SIGKILL at ${50 + Math.floor((450 * i) / 9)} ms`);
    }
  });

  test('a signal delivered twice at once (timeout -s INT) is one Ctrl-C, not "kill at once"', async () => {
    const dir = await counterBench();
    const run = start(dir, '--grace', '10');
    await until(() => upCount(dir) === 2, 'both up', run);
    run.signal('SIGINT');
    run.signal('SIGINT');
    await run.exited;
    for (const [pid, seen] of termsByPid(dir)) assert.deepEqual(seen, ['up', 'TERM', 'done'], `pid ${pid}`);
  });
});

describe('one session per bench', { timeout: 60_000 }, () => {
  test('two fbench start launched at the same moment: exactly one runs (10 tries)', async () => {
    const dir = bench('a: sleep 100\n');
    for (let i = 0; i < 10; i++) {
      const [x, y] = [start(dir), start(dir)];
      const loser = await Promise.race([x.exited.then(() => x), y.exited.then(() => y)]);
      const winner = loser === x ? y : x;
      assert.equal(loser.child.exitCode, 1, `try ${i}: ${loser.output}`);
      assert.match(loser.output, new RegExp(`already running for this bench \\(pid ${winner.child.pid}\\)`));
      await winner.waitFor(/a\.1 started/);
      assert.equal((await winner.stop()).code, 130);
    }
  });
});

describe('a real RQ worker', { timeout: 90_000 }, () => {
  test('Ctrl-C mid-job: the job completes (warm shutdown), Redis outlives the worker, nothing is left', async () => {
    requireRq();
    const { dir, port } = await withRedis('worker: bench worker 1>> logs/worker.log 2>> logs/worker.error.log\n', { 'jobs.py': RQ_JOBS });
    installBench(dir, RQ_BENCH);
    const run = start(dir, '--grace', '10');
    await run.waitFor(/ready in/);
    const redis = new Redis({ port, lazyConnect: true });
    await redis.connect();
    try {
      await until(
        () =>
          readFileSync(path.join(dir, 'logs/worker.error.log'), 'utf8').includes('Listening on') ||
          readFileSync(path.join(dir, 'logs/worker.log'), 'utf8').includes('Listening on'),
        'the worker listening',
        run,
      );
      const out = path.join(dir, 'job-done');
      const id = enqueue(dir, 'default', 'slow', [out, 3]);
      await until(() => existsSync(`${out}.pid`), 'the job started', run);
      const horse = Number(readFileSync(`${out}.pid`, 'utf8'));
      const pids = [...run.startedPids().values(), horse];
      run.signal('SIGINT');
      const { code } = await run.exited;
      assert.equal(code, 130, run.output);
      assert.ok(existsSync(out), `the job did not complete (job ${id}); worker.log:\n${readFileSync(path.join(dir, 'logs/worker.log'), 'utf8')}`);
      const logs = readFileSync(path.join(dir, 'logs/worker.log'), 'utf8') + readFileSync(path.join(dir, 'logs/worker.error.log'), 'utf8');
      assert.doesNotMatch(logs, /Cold shut down/);
      assert.doesNotMatch(logs, /Connection refused|Error 111/);
      assert.match(logs, /Warm shut down requested/);
      assert.deepEqual(await survivors(pids, 0), []);
    } finally {
      redis.disconnect();
    }
  });
});
