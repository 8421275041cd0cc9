import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { Redis } from 'ioredis';
import { makeBench } from '../helpers/bench-fixture.js';
import { alive, FBENCH, FbenchRun, pidsMatching, survivors } from '../helpers/fbench-run.js';
import { DAEMON, enqueue, HORSE, rqBench as realRqBench, SYSTEM_PYTHON, TERM_COUNTER } from '../helpers/real-programs.js';
import { testScope } from '../helpers/scope.js';
import { until } from '../helpers/until.js';

const { runs, cleanups } = testScope();

function start(dir: string, ...args: string[]): FbenchRun {
  const r = new FbenchRun(['start', '--bench', dir, '--no-timestamps', ...args]);
  runs.push(r);
  return r;
}

async function rqBench(extra = ''): Promise<{ dir: string; port: number }> {
  const b = await realRqBench(extra);
  cleanups.push(b.cleanup);
  return b;
}

/** Workers registered in RQ whose process is alive. */
async function liveWorkers(port: number): Promise<number> {
  const r = new Redis({ port, lazyConnect: true });
  await r.connect();
  try {
    let n = 0;
    for (const key of await r.smembers('rq:workers')) {
      const pid = Number(await r.hget(key, 'pid'));
      if (pid && alive(pid)) n++;
    }
    return n;
  } finally {
    r.disconnect();
  }
}

const workerLog = (dir: string): string =>
  ['logs/worker.log', 'logs/worker.error.log'].map((f) => (existsSync(path.join(dir, f)) ? readFileSync(path.join(dir, f), 'utf8') : '')).join('');

/** A 12 s job on `default`, started: the file it writes at its end, and its work horse's pid. */
async function longJob(dir: string, run: FbenchRun, seconds = 12): Promise<{ out: string; horse: number; id: string }> {
  await until(() => /Listening on/.test(workerLog(dir)), 'the worker listening', run);
  const out = path.join(dir, `job-${Date.now()}`);
  const id = enqueue(dir, 'default', 'slow', [out, seconds]);
  await until(() => existsSync(`${out}.pid`), 'the job started', run);
  return { out, horse: Number(readFileSync(`${out}.pid`, 'utf8')), id };
}

describe('a job longer than the old 5 s grace: a worker gets its queue timeout to finish it', { timeout: 120_000 }, () => {
  test('Ctrl-C with no --grace: the job completes (warm shut down only), fbench says what it waits for in Frappe words', async () => {
    const { dir } = await rqBench();
    const run = start(dir);
    await run.waitFor(/ready in/);
    const job = await longJob(dir, run);
    run.signal('SIGINT');
    await run.waitFor(
      /waiting for worker\.1 to finish jobs\.slow \(job \S+, running \d+ s, timeout \d+ s\), redis_queue\.1 — Ctrl-C again to kill it \(the job will be lost\)/,
    );
    const { code } = await run.exited;
    assert.equal(code, 130, run.output.slice(-2000));
    assert.ok(existsSync(job.out), 'the job completed');
    assert.doesNotMatch(workerLog(dir), /Cold shut down/);
    assert.match(workerLog(dir), /Warm shut down requested/);
    assert.deepEqual(await survivors([job.horse], 0), []);
  });

  test('fbench restart worker mid-job: a new worker within 3 s, the old one finishes the job and leaves; --wait stops it first', async () => {
    const { dir, port } = await rqBench();
    const run = start(dir);
    await run.waitFor(/ready in/);
    const job = await longJob(dir, run, 20);
    const t0 = Date.now();
    const restart = new FbenchRun(['restart', 'worker', '--bench', dir]);
    runs.push(restart);
    const { code } = await restart.exited;
    assert.equal(code, 0, restart.output);
    assert.ok(Date.now() - t0 < 15_000, `the new worker took ${Date.now() - t0} ms: it waited for the 20 s job`); // how soon is the benchmark's to say
    assert.match(restart.output, /worker\.1 is busy: its old code \(pid \d+\) goes on to finish jobs\.slow \(job /);
    assert.match(restart.output, /restarted worker\.1: registered on short,default,long/);
    assert.ok(!existsSync(job.out), 'the job still runs, in the old worker');
    const ps = new FbenchRun(['ps', '--bench', dir]);
    runs.push(ps);
    await ps.exited;
    assert.match(ps.output, /^worker\.1 \(old code\) +stopping .*old code, finishing jobs\.slow/m);
    await run.waitFor(/worker\.1 \(old code, pid \d+\) finished its job and left/, 30_000);
    assert.ok(existsSync(job.out), 'the job completed');
    assert.doesNotMatch(workerLog(dir), /Cold shut down/);
    assert.equal(await liveWorkers(port), 1, 'one worker afterwards');

    // --wait: today's stop-then-start.
    const waited = await longJob(dir, run, 4);
    const old = new FbenchRun(['restart', 'worker', '--wait', '--bench', dir]);
    runs.push(old);
    assert.equal((await old.exited).code, 0, old.output);
    assert.ok(existsSync(waited.out), 'with --wait the job completed before the new worker');
    await run.stop();
  });

  test('a .py save mid-job: the new code runs within 3 s, the job completes in the old worker; Ctrl-C during the overlap leaves nothing', async () => {
    const { dir, port } = await rqBench();
    const run = start(dir);
    await run.waitFor(/watching apps\//);
    const job = await longJob(dir, run, 20);
    const from = run.output.length;
    const t0 = Date.now();
    writeFileSync(path.join(dir, 'apps/app/app/hooks.py'), '# changed\n');
    await run.waitFor(/hooks\.py changed: restarting worker\.1/, 10_000, from);
    await run.waitFor(/worker\.1 ready: registered/, 10_000, from);
    assert.ok(Date.now() - t0 < 15_000, `the new worker took ${Date.now() - t0} ms: it waited for the 20 s job`); // how soon is the benchmark's to say
    assert.equal(await liveWorkers(port), 2, 'old and new, side by side');
    const all = [...run.startedPids().values(), job.horse];
    run.signal('SIGINT');
    await run.waitFor(/waiting for .*worker\.1 \(old code\) to finish jobs\.slow/, 5000, from);
    const { code } = await run.exited;
    assert.equal(code, 130, run.output.slice(-2000));
    assert.ok(existsSync(job.out), 'the job completed');
    assert.doesNotMatch(workerLog(dir), /Cold shut down/);
    assert.deepEqual(await survivors(all, 2000), []);
  });

  test('with --grace 2 the job is killed, and one line names it as lost and where it stays', async () => {
    const { dir } = await rqBench();
    const run = start(dir, '--grace', '2');
    await run.waitFor(/ready in/);
    const job = await longJob(dir, run);
    run.signal('SIGINT');
    const { code } = await run.exited;
    assert.equal(code, 130);
    assert.ok(!existsSync(job.out), 'killed before its end');
    assert.match(
      run.output,
      new RegExp(`worker\\.1 was killed: its grace ran out, and the job ${job.id} \\(jobs\\.slow\\) was lost; it stays in rq:wip:\\S+:default`),
    );
    assert.deepEqual(await survivors([job.horse], 1000), []);
  });
});

/**
 * A terminal of its own (script), running fbench; Ctrl-C is typed into it. `up` settles when the
 * terminal is there and fbench is being started: a Ctrl-C typed before script has made its
 * terminal is echoed but signals nobody (no process is in its foreground yet).
 */
function onTerminal(command: string): { child: ReturnType<typeof spawn>; output: () => string; up: Promise<void>; exited: Promise<number | null> } {
  const child = spawn('script', ['-qfec', `stty cols 120 rows 40; echo terminal-up; exec ${command}`, '/dev/null'], {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, NO_COLOR: '1' },
  });
  let out = '';
  let isUp: () => void;
  const up = new Promise<void>((r) => (isUp = r));
  child.stdout!.on('data', (d) => {
    out += d;
    if (out.includes('terminal-up')) isUp();
  });
  child.stderr!.on('data', (d) => (out += d));
  cleanups.push(() => child.exitCode === null && child.kill('SIGKILL'));
  return { child, output: () => out, up, exited: new Promise((r) => child.once('exit', (c) => r(c))) };
}

describe('every way a stop comes, at every moment', { timeout: 120_000 }, () => {
  test('Ctrl-C at 10 moments of the first second, with the task list on screen: exit 130, one TERM per started group, nothing left', async () => {
    for (let i = 0; i < 10; i++) {
      const tag = `${5000 + i}.${process.pid}`;
      const b = makeBench({ Procfile: `a: ${SYSTEM_PYTHON} term.py ${tag}\nb: ${SYSTEM_PYTHON} term.py ${tag}\n`, 'term.py': TERM_COUNTER });
      cleanups.push(b.cleanup);
      const t = onTerminal(`${process.execPath} ${FBENCH} start --bench ${b.dir}`);
      await t.up;
      await new Promise((r) => setTimeout(r, i * 100));
      t.child.stdin!.write('\x03');
      const code = await t.exited;
      assert.equal(code, 130, `try ${i} (${i * 100} ms): ${t.output().slice(-1500)}`);
      const events = existsSync(path.join(b.dir, 'events.log')) ? readFileSync(path.join(b.dir, 'events.log'), 'utf8').trim().split('\n').filter(Boolean) : [];
      const byPid = new Map<string, string[]>();
      for (const e of events) byPid.set(e.split(' ')[0]!, [...(byPid.get(e.split(' ')[0]!) ?? []), e.split(' ')[1]!]);
      for (const [pid, seen] of byPid) {
        assert.ok(seen.filter((s) => s === 'TERM').length <= 1, `try ${i}: pid ${pid} got ${seen.join(',')}`);
        if (seen.includes('TERM')) assert.equal(seen.at(-1), 'done', `try ${i}: pid ${pid} was not let finish: ${seen.join(',')}`);
      }
      assert.ok(!existsSync(path.join(b.dir, 'config/pids/fbench.pid')), `try ${i}: pid file left`);
      assert.ok(!existsSync(path.join(b.dir, 'config/pids/fbench.sock')), `try ${i}: socket left`);
      assert.deepEqual(pidsMatching(`term.py ${tag}`), [], `try ${i}: left running`);
    }
  });

  test('`fbench start | head -3`: a closed stdout is no reason to stop; a Ctrl-C then lets a 2 s TERM handler finish', async () => {
    const tag = `${6000}.${process.pid}`;
    const b = makeBench({ Procfile: `a: ${SYSTEM_PYTHON} term.py ${tag}\n`, 'term.py': TERM_COUNTER });
    cleanups.push(b.cleanup);
    const pipe = spawn('sh', ['-c', `${process.execPath} ${FBENCH} start --bench ${b.dir} | head -3`], { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    cleanups.push(() => pipe.exitCode === null && process.kill(-pipe.pid!, 'SIGKILL'));
    let out = '';
    pipe.stdout!.on('data', (d) => (out += d));
    await until(() => existsSync(path.join(b.dir, 'events.log')) && readFileSync(path.join(b.dir, 'events.log'), 'utf8').includes('up'), 'the program up');
    await until(() => out.split('\n').length > 3, 'head had its lines');
    await new Promise((r) => setTimeout(r, 500)); // head has gone; fbench writes on into a closed pipe
    const fbenchPid = Number(readFileSync(path.join(b.dir, 'config/pids/fbench.pid'), 'utf8'));
    assert.equal((await survivors([fbenchPid], 0)).length, 1, 'fbench runs on');
    process.kill(fbenchPid, 'SIGINT');
    await new Promise((r) => pipe.once('exit', r));
    await until(() => !existsSync(path.join(b.dir, 'config/pids/fbench.pid')), 'pid file removed');
    assert.deepEqual(
      readFileSync(path.join(b.dir, 'events.log'), 'utf8')
        .trim()
        .split('\n')
        .map((l) => l.split(' ')[1]),
      ['up', 'TERM', 'done'],
    );
    assert.deepEqual(pidsMatching(`term.py ${tag}`), []);
  });
});

describe('descendants that leave the group cannot escape', { timeout: 120_000 }, () => {
  for (const how of ['Ctrl-C', 'fbench stop', 'kill -9'] as const) {
    test(`a setsid work horse whose worker exits on TERM, and a double-forked daemon: none left after ${how}`, async () => {
      const tag = `esc-${how.replace(/\W/g, '')}-${process.pid}`;
      const b = makeBench({
        Procfile: `w: ${SYSTEM_PYTHON} -u horse.py ${tag}\nd: ${SYSTEM_PYTHON} -u daemon.py ${tag}\n`,
        'horse.py': HORSE,
        'daemon.py': DAEMON,
      });
      cleanups.push(b.cleanup);
      const run = start(b.dir, '--grace', '2');
      const horse = Number((await run.waitFor(/horse (\d+)/))[1]);
      const daemon = Number((await run.waitFor(/daemon (\d+)/))[1]);
      await run.waitFor(new RegExp(`d\\.1 exited, leaving pid ${daemon} \\(\\S*python3 -u daemon\\.py ${tag}\\) running; it is stopped with the bench`));
      assert.equal((await survivors([horse, daemon], 0)).length, 2);
      if (how === 'Ctrl-C') run.signal('SIGINT');
      if (how === 'kill -9') run.signal('SIGKILL');
      if (how === 'fbench stop') {
        const stop = new FbenchRun(['stop', '--bench', b.dir]);
        runs.push(stop);
        assert.equal((await stop.exited).code, 0, stop.output);
      }
      await run.exited;
      assert.deepEqual(await survivors([horse, daemon], 5000), [], `${how}: ${run.output.slice(-1500)}`);
      assert.deepEqual(pidsMatching(tag), []);
    });
  }
});

describe('fbench stop waits for the end', { timeout: 60_000 }, () => {
  test('`fbench stop; fbench start` in a script: the second start runs', async () => {
    const b = makeBench({ Procfile: `a: ${SYSTEM_PYTHON} term.py\n`, 'term.py': TERM_COUNTER });
    cleanups.push(b.cleanup);
    const first = start(b.dir);
    await first.waitFor(/ready in/);
    const script = spawn(
      'sh',
      ['-c', `${process.execPath} ${FBENCH} stop --bench ${b.dir} && exec ${process.execPath} ${FBENCH} start --bench ${b.dir} --no-timestamps`],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, NO_COLOR: '1' },
      },
    );
    let out = '';
    script.stdout!.on('data', (d) => (out += d));
    script.stderr!.on('data', (d) => (out += d));
    cleanups.push(() => script.exitCode === null && script.kill('SIGKILL'));
    await until(() => /ready in/.test(out), 'the second start ready');
    assert.match(out, /stopping fbench start, pid \d+/);
    assert.match(out, /fbench start \(pid \d+\) stopped \(exit 0\)/);
    assert.doesNotMatch(out, /already running/);
    script.kill('SIGINT');
    await new Promise((r) => script.once('exit', r));
  });

  test('the "already running" refusal names fbench stop', async () => {
    const b = makeBench({ Procfile: 'a: sleep 100\n' });
    cleanups.push(b.cleanup);
    const first = start(b.dir);
    await first.waitFor(/a\.1 started/);
    const second = start(b.dir);
    assert.equal((await second.exited).code, 1);
    assert.match(second.output, /fbench start is already running for this bench \(pid \d+\) → stop it first: `fbench stop`/);
    await first.stop();
  });
});
