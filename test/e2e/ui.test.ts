import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { Redis } from 'ioredis';
import { benchId } from '../../src/frappe/queues.js';
import { FBENCH, FbenchRun, survivors } from '../helpers/fbench-run.js';
import { enqueue, rqBench, SYSTEM_PYTHON } from '../helpers/real-programs.js';
import { tempSampleBench } from '../helpers/sample-bench.js';
import { testScope } from '../helpers/scope.js';
import { Terminal } from '../helpers/terminal.js';

const { runs, cleanups } = testScope();

/** A program stopped at breakpoint() with a local x, for attaching. */
const DEBUGGEE = "x = 41\nprint('before', flush=True)\nbreakpoint()\nprint('after', flush=True)\nimport time\ntime.sleep(300)\n";

type Ps = { name: string; restarts: number; pid: number | null }[];
const ps = async (dir: string): Promise<Ps> => {
  const r = new FbenchRun(['ps', '--json', '--bench', dir]);
  runs.push(r);
  await r.exited;
  return JSON.parse(r.output) as Ps;
};

describe('fbench ui', { timeout: 120_000 }, () => {
  test('processes with their readiness, queues from RQ with a busy job, r restarts, a attaches to a (Pdb) prompt, / finds, resize, q leaves the bench running and the terminal as it was', async () => {
    // The split preset leaves the custom queue `email` without a worker: its jobs wait there.
    const b = await tempSampleBench((dir) => {
      writeFileSync(path.join(dir, 'dbg.py'), DEBUGGEE);
      writeFileSync(path.join(dir, 'Procfile'), `${readFileSync(path.join(dir, 'Procfile'), 'utf8')}dbg: ${SYSTEM_PYTHON} -u dbg.py\n`);
    });
    cleanups.push(b.cleanup);
    // --grace 3: the 60 s job the test leaves running is killed at the stop, not waited for.
    const run = new FbenchRun(['start', '--bench', b.dir, '--preset', 'split', '--grace', '3']);
    runs.push(run);
    await run.waitFor(/ready in/, 30_000);
    const id = benchId({}, b.dir);
    const redis = new Redis({ port: b.ports.queue });
    try {
      for (let i = 0; i < 3; i++) {
        await redis.hset(`rq:job:wait-${i}`, { description: 'app.email.send', origin: `${id}:email` });
        await redis.rpush(`rq:queue:${id}:email`, `wait-${i}`);
      }
      await redis.hset('rq:job:busy-1', { description: 'app.reports.build_big_report', origin: `${id}:long`, seconds: '60' });
      await redis.rpush(`rq:queue:${id}:long`, 'busy-1');
      await run.waitFor(/long: app\.reports\.build_big_report \(busy-1\)/);
      assert.equal(await redis.llen(`rq:queue:${id}:email`), 3);
    } finally {
      redis.disconnect();
    }

    const term = new Terminal(
      `sh -c 'stty -a > ${b.dir}/stty.before; ${process.execPath} ${FBENCH} ui --bench ${b.dir}; echo "ui exited $?"; stty -a > ${b.dir}/stty.after; sleep 60'`,
      200,
      50,
    );
    cleanups.push(() => term.close());
    let s = await term.until((x) => /worker_long\.1 +ready .* registered on long/.test(x) && /email +3 waiting +0 workers/.test(x), 'the panes');
    for (const n of [
      'redis_cache.1',
      'redis_queue.1',
      'web.1',
      'socketio.1',
      'watch.1',
      'schedule.1',
      'worker_short.1',
      'worker_default.1',
      'worker_long.1',
      'dbg.1',
    ])
      assert.match(s, new RegExp(`^${n.replace('.', '\\.')} +\\S+`, 'm'), n);
    assert.match(s, /web\.1 +ready .* listening :\d+/);
    assert.match(s, /redis_queue\.1 +ready .* PONG/);
    s = await term.until((x) => /long +0 waiting +1 worker \(1 busy\) +0 failed +· app\.reports\.build_big_report \d+ s/.test(x), 'the busy job');
    await term.until((x) => /dbg\.1 is at a debugger prompt/.test(x), 'the prompt announced');

    // r on a worker: its restarts go up by one
    const rows = s.split('\n');
    // A table row is the name and its padding (the banner above says "dbg.1 is at …").
    const row = (name: string): number => rows.findIndex((l) => l.startsWith(`${name}  `));
    const at = (name: string): number => row(name) - row('redis_cache.1');
    const before = (await ps(b.dir)).find((p) => p.name === 'worker_short.1')!;
    for (let i = 0; i < at('worker_short.1'); i++) term.keys('j');
    await new Promise((r) => setTimeout(r, 300));
    term.keys('r');
    await term.until((x) => /restarted worker_short\.1: registered on short/.test(x), 'the restart answered', 30_000);
    const after = (await ps(b.dir)).find((p) => p.name === 'worker_short.1')!;
    assert.equal(after.restarts, before.restarts + 1);
    assert.notEqual(after.pid, before.pid);

    // a on dbg.1: what is typed goes to the (Pdb) prompt
    for (let i = at('worker_short.1'); i < at('dbg.1'); i++) term.keys('j');
    await new Promise((r) => setTimeout(r, 300));
    term.keys('a');
    await term.until((x) => /attached to dbg\.1/.test(x), 'attached');
    term.type('p x + 1000');
    term.keys('Enter');
    await term.until((x) => /dbg\.1 +\| 1041/.test(x), 'the debugger answered');
    term.type('c');
    term.keys('Enter');
    await term.until((x) => /dbg\.1 +\| after/.test(x), 'continued');
    term.keys('Escape');
    // Esc and a key in one read are Alt+key to a terminal: a person's next key comes later.
    await term.until((x) => !/attached to dbg\.1/.test(x), 'detached');

    // / finds a line in all the logs
    term.keys('l');
    term.type('/');
    term.type('Running on http');
    term.keys('Enter');
    await term.until((x) => /web\.1 +\| +\* Running on http/.test(x), 'found');

    // resize: still a usable layout at 80×24
    term.resize(80, 24);
    s = await term.until((x) => x.split('\n').some((l) => /^web\.1 +ready/.test(l)) && /q quit/.test(x), 'the 80×24 layout, the keys in the footer');
    assert.ok(s.split('\n').every((l) => l.length <= 80));
    assert.match(s, /^QUEUES/m);
    assert.match(s, /q quit/);

    term.type('q');
    await term.until((x) => /ui exited 0/.test(x), 'left');
    await new Promise((r) => setTimeout(r, 300));
    // The modes as they were (the size line aside: the window was resized).
    const modes = (f: string): string => readFileSync(path.join(b.dir, f), 'utf8').split('\n').slice(1).join('\n');
    assert.equal(modes('stty.after'), modes('stty.before'), 'the terminal as it was');
    assert.match(modes('stty.after'), / icanon .* echo /);
    assert.equal(run.child.exitCode, null, 'the bench runs on');
    await run.stop();
  });

  test("Debian's RQ with jobs enqueued: the waiting count is rq:queue's length, the busy worker's job function and time are shown; x opens the newest failed job's traceback", async () => {
    const b = await rqBench();
    cleanups.push(b.cleanup);
    const run = new FbenchRun(['start', '--bench', b.dir]);
    runs.push(run);
    await run.waitFor(/ready in/, 30_000);
    const busy = path.join(b.dir, 'busy');
    enqueue(b.dir, 'default', 'slow', [busy, 6]);
    for (let i = 0; i < 2; i++) enqueue(b.dir, 'default', 'slow', [path.join(b.dir, `later-${i}`), 1]);
    const term = new Terminal(`${process.execPath} ${FBENCH} ui --bench ${b.dir}`, 140, 30);
    cleanups.push(() => term.close());
    const s = await term.until(
      (x) =>
        /^default +2 waiting +1 worker \(1 busy\) +0 failed +· jobs\.slow \d+ s/m.test(x) &&
        // The same worker listens on short too: busy, but with default's job.
        /^short +0 waiting +1 worker \(0 busy, 1 busy on default\)/m.test(x) &&
        /^worker\.1 +ready/m.test(x),
      'the queues and processes panes',
      20_000,
    );
    const redis = new Redis({ port: b.port });
    try {
      const waiting = await redis.llen(`rq:queue:${benchId({}, b.dir)}:default`);
      assert.match(s, new RegExp(`^default +${waiting} waiting`, 'm'));
      assert.equal(waiting, 2);
    } finally {
      redis.disconnect();
    }
    assert.match(s, /^worker\.1 +ready .* registered on short,default,long/m);

    // x: the newest failed job, its call and traceback in the log pane; Esc goes back to the logs.
    const failed = enqueue(b.dir, 'short', 'fail', []);
    await term.until((x) => /^short +0 waiting .* 1 failed/m.test(x), 'the failed count', 30_000);
    term.type('x');
    const shown = await term.until((x) => /ValueError: this job fails/.test(x) && /FAILED JOB /.test(x), 'the failed job', 10_000);
    assert.match(shown, new RegExp(`FAILED JOB ${failed} on short: jobs\\.fail`));
    assert.match(shown, /job +\| +raise ValueError\('this job fails'\)/);
    term.keys('Escape');
    await term.until((x) => /LOGS \(all processes\)/.test(x), 'back to the logs');
    term.type('q');
    await term.until(() => term.exited, 'left');
    await run.stop();
  });

  test('start --ui, then q: the bench stops with its one-TERM stop; a pipe is refused in one line', async () => {
    const b = await tempSampleBench();
    cleanups.push(b.cleanup);
    const term = new Terminal(`sh -c '${process.execPath} ${FBENCH} start --ui --bench ${b.dir}; echo "start exited $?"; sleep 60'`, 120, 40);
    cleanups.push(() => term.close());
    await term.until((x) => /worker\.1 +ready .* registered/.test(x), 'the view', 30_000);
    const pids = (await ps(b.dir)).map((p) => p.pid).filter((p): p is number => p !== null);
    term.type('q');
    await term.until((x) => /start exited 0/.test(x), 'stopped', 30_000);
    assert.deepEqual(await survivors(pids, 2000), []);
    const log = readFileSync(path.join(b.dir, 'logs', 'fbench.log'), 'utf8');
    assert.match(log, /the view was closed: stopping/);
    assert.match(log, /redis_queue\.1 stopped/);

    const piped = new FbenchRun(['ui', '--bench', b.dir]);
    runs.push(piped);
    assert.equal((await piped.exited).code, 1);
    assert.match(piped.output, /^fbench: fbench ui needs a terminal \(stdin and stdout\), and this is not one → run it in a terminal/);
  });
});

describe('the view draws only text', { timeout: 60_000 }, () => {
  test("a process's clipboard write, title, link, vertical tab and bidi override reach neither the terminal nor the screen's layout", async () => {
    const b = await tempSampleBench((dir) => {
      // OSC 52 (clipboard), OSC 0 (title), OSC 8 (link), VT, FF, U+202E: printed again and again.
      const py = String.raw`import time
while True:
    print('\x1b]52;c;cHduZWQ=\x07\x1b]0;pwned-title\x07\x1b]8;;https://evil.example\x1b\\link\x1b]8;;\x1b\\ a\x0bb\x0cc \u202eevil', flush=True)
    time.sleep(0.2)`;
      writeFileSync(path.join(dir, 'hostile.py'), py);
      writeFileSync(path.join(dir, 'Procfile'), `hostile: ${SYSTEM_PYTHON} -u hostile.py\n`);
    });
    cleanups.push(b.cleanup);
    const run = new FbenchRun(['start', '--bench', b.dir]);
    runs.push(run);
    await run.waitFor(/ready in/, 30_000);
    const term = new Terminal(`${process.execPath} ${FBENCH} ui --bench ${b.dir}`, 120, 30);
    cleanups.push(() => term.close());
    const s = await term.until((x) => /link a␋b␌c evil/.test(x) && /^ *hostile\.1 +ready .* running/m.test(x), 'the hostile line, as text, under the table');
    assert.doesNotMatch(term.tmux('display-message', '-p', '-t', 't', '#{pane_title}'), /pwned-title/);
    assert.doesNotMatch(s, /52;c|evil\.example|\u202e/);
    assert.match(s, /^ *hostile\.1 +ready .* running/m, 'the table keeps its place');
    term.type('q');
    await term.until(() => term.exited, 'left');
    await run.stop();
  });
});

describe('start --ui with a job running', { timeout: 90_000 }, () => {
  test('q: the stop is said on the terminal the view gave back (the wait for the job); Ctrl-C then kills it, says what was lost, and exits 130', async () => {
    const b = await rqBench();
    cleanups.push(b.cleanup);
    // The shell ignores the terminal's Ctrl-C (as an interactive one does while a job runs); fbench gets it.
    const term = new Terminal(`sh -c 'trap "" INT; ${process.execPath} ${FBENCH} start --ui --bench ${b.dir}; echo "start exited $?"; sleep 60'`, 160, 40);
    cleanups.push(() => term.close());
    await term.until((x) => /worker\.1 +ready .* registered/.test(x), 'the view', 30_000);
    const out = path.join(b.dir, 'job-ui');
    enqueue(b.dir, 'default', 'slow', [out, 60]);
    const end = Date.now() + 20_000;
    while (!existsSync(`${out}.pid`) && Date.now() < end) await new Promise((r) => setTimeout(r, 25));
    term.type('q');
    await term.until((x) => /waiting for worker\.1 to finish jobs\.slow/.test(x), 'the wait, on the terminal', 15_000, true);
    term.keys('C-c');
    const s = await term.until((x) => /start exited \d+/.test(x), 'stopped', 30_000, true);
    assert.match(s, /worker\.1 was killed: asked again to stop, and the job \S+ \(jobs\.slow\) was lost/);
    assert.match(s, /start exited 130/);
  });
});

describe('the log pane for real work', { timeout: 90_000 }, () => {
  test('search any case with n/N and a counter, Esc clears, t finds the traceback, z gives the log the screen; s stops a crash-looping row', async () => {
    const b = await tempSampleBench((dir) => {
      const tb = `import sys, time
print('Starting up', flush=True)
for i in range(3):
    print(f'request {i} ok', flush=True)
print('Traceback (most recent call last):', flush=True)
print('  File "app/api.py", line 7, in get', flush=True)
print('ValueError: bad input', flush=True)
for i in range(60):
    print(f'later line {i}', flush=True)
time.sleep(300)
`;
      writeFileSync(path.join(dir, 'tb.py'), tb);
      writeFileSync(path.join(dir, 'Procfile'), `tb: ${SYSTEM_PYTHON} -u tb.py\nflaky: sh -c 'sleep 1; echo boom; exit 3'\n`);
    });
    cleanups.push(b.cleanup);
    const run = new FbenchRun(['start', '--bench', b.dir]);
    runs.push(run);
    await run.waitFor(/flaky\.1 exit code 3; restarting/, 30_000);
    const term = new Terminal(`${process.execPath} ${FBENCH} ui --bench ${b.dir}`, 120, 30);
    cleanups.push(() => term.close());
    await term.until((x) => /later line 59/.test(x) && /^flaky\.1 /m.test(x), 'the view, on every log');

    term.type('/');
    term.type('REQUEST');
    term.keys('Enter');
    await term.until((x) => /LOGS \(all processes\) search "REQUEST" 3\/3/.test(x), 'three matches, the latest current');
    term.type('n');
    await term.until((x) => /search "REQUEST" 2\/3/.test(x), 'n: the one before');
    term.type('N');
    await term.until((x) => /search "REQUEST" 3\/3/.test(x), 'N: the one after');
    term.keys('Escape');
    await term.until((x) => /LOGS \(all processes\) following/.test(x), 'Esc cleared it');

    term.type('t');
    let s = await term.until((x) => /Traceback \(most recent call last\)/.test(x) && / lines? up/.test(x), 'the traceback in view');
    assert.match(s, /ValueError: bad input|File "app\/api\.py"/);
    term.type('z');
    s = await term.until((x) => !/^QUEUES/m.test(x), 'the log on the whole screen');
    term.type('z');
    term.keys('End');

    // s on the crash-looping row: stopped, not started again.
    const rows = (await term.until((x) => /^flaky\.1 /m.test(x), 'rows')).split('\n');
    const at = rows.findIndex((l) => l.startsWith('flaky.1 ')) - rows.findIndex((l) => /^(tb|flaky)\.1 /.test(l));
    for (let i = 0; i < at; i++) term.keys('j');
    await new Promise((r) => setTimeout(r, 300));
    term.type('s');
    await term.until((x) => /stopped flaky\.1/.test(x), 'stopped');
    await new Promise((r) => setTimeout(r, 2500));
    assert.equal((await ps(b.dir)).find((p) => p.name === 'flaky.1')?.pid, null, 'it stays stopped');
    term.type('q');
    await term.until(() => term.exited, 'left');
    await run.stop();
  });
});
