import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { before, describe, test } from 'node:test';
import { FBENCH, FbenchRun } from '../helpers/fbench-run.js';
import { SYSTEM_PYTHON } from '../helpers/real-programs.js';
import { tempSampleBench, type TempBench } from '../helpers/sample-bench.js';
import { testScope } from '../helpers/scope.js';
import { until } from '../helpers/until.js';

const { runs, cleanups, fbench, finished: output } = testScope();

/** A progress bar redrawn with \r, 30 steps (as pip, esbuild and tqdm print them), then a newline. */
const PROGRESS =
  "import sys, time\nfor i in range(1, 31):\n    sys.stdout.write(f'\\rbuilding {i}/30')\n    sys.stdout.flush()\n    time.sleep(0.03)\nprint(' done', flush=True)\nimport time; time.sleep(300)\n";

const TIME = /^(\d\d:\d\d:\d\d) (\S+) +\| /;
const parsed = (out: string): { time: string; name: string; text: string; line: string }[] =>
  out
    .trim()
    .split('\n')
    .filter((l) => TIME.test(l))
    .map((line) => {
      const m = TIME.exec(line)!;
      return { time: m[1]!, name: m[2]!, text: line.slice(line.indexOf('| ') + 2), line };
    });

describe('logs, names and control across sessions', { timeout: 180_000 }, () => {
  let b: TempBench;
  let run: FbenchRun;
  before(async () => {
    b = await tempSampleBench((dir) => {
      writeFileSync(path.join(dir, 'progress.py'), PROGRESS);
      // A custom line (role other) that talks to Redis, as Frappe code in a Procfile line does.
      const procfile = readFileSync(path.join(dir, 'Procfile'), 'utf8');
      writeFileSync(
        path.join(dir, 'Procfile'),
        `${procfile}rqw: ${SYSTEM_PYTHON} -u -c "print('rqw up'); import time; time.sleep(300)"\nprog: ${SYSTEM_PYTHON} -u progress.py\n`,
      );
    });
    cleanups.push(b.cleanup);
    run = fbench(['start', '--bench', b.dir]);
    await run.waitFor(/ready in/, 30_000);
    await run.waitFor(/prog\.1 +\| building 30\/30 done/);
  });

  test('a custom line (role other) starts once the Redis are healthy, and plan says so', async () => {
    const ready = Math.max(run.output.indexOf('redis_queue.1 ready'), run.output.indexOf('redis_cache.1 ready'));
    assert.ok(ready > 0);
    assert.ok(run.output.indexOf('rqw.1 started') > ready, 'rqw.1 started before the Redis were healthy');
    const plan = await output(['plan', '--bench', b.dir, 'rqw']);
    assert.match(plan.out, /^rqw\.1 +other +(redis_queue\.1, redis_cache\.1|redis_cache\.1, redis_queue\.1) /m);
    assert.match(plan.out, /^rqw: custom line, started once the bench's Redis answers and stopped before it$/m);
    const json = await output(['plan', '--json', '--bench', b.dir]);
    const rqw = (JSON.parse(json.out) as { processes: { name: string; dependsOn: string[] }[] }).processes.find((p) => p.name === 'rqw.1')!;
    assert.deepEqual([...rqw.dependsOn].sort(), ['redis_cache.1', 'redis_queue.1']);
  });

  test('a line redrawn with \\r is one line, its final state: in the stream, in fbench logs', async () => {
    const lines = run.output.split('\n').filter((l) => l.includes('prog.1 ') && l.includes('building'));
    assert.deepEqual(
      lines.map((l) => l.replace(/^.*\| /, '')),
      ['building 30/30 done'],
    );
    const logs = await output(['logs', '--bench', b.dir, 'prog']);
    assert.deepEqual(
      parsed(logs.out).map((l) => l.text),
      ['building 30/30 done'],
    );
  });

  test('fbench logs: named processes merged in time order, timestamps and aligned names; -n per process; system; --since; --grep', async () => {
    // More lines of each than -n 3 keeps: the scheduler ticks every 5 s, the workers run what it enqueues.
    const count = (name: string): number => (run.output.match(new RegExp(`^\\S* *${name.replace('.', '\\.')} +\\| `, 'gm')) ?? []).length;
    await until(() => count('schedule.1') > 3 && count('worker.1') > 3, 'four lines of schedule.1 and of worker.1', run, 60_000);
    const merged = await output(['logs', '--bench', b.dir, 'schedule', 'worker', '-n', '3']);
    assert.equal(merged.code, 0);
    const lines = parsed(merged.out);
    assert.deepEqual([...new Set(lines.map((l) => l.name))].sort(), ['schedule.1', 'worker.1']);
    assert.ok(lines.filter((l) => l.name === 'worker.1').length <= 3 && lines.filter((l) => l.name === 'schedule.1').length <= 3);
    assert.deepEqual(
      lines.map((l) => l.time),
      lines.map((l) => l.time).sort(),
      'in time order',
    );
    assert.equal(new Set(lines.map((l) => l.line.indexOf('| '))).size, 1, 'names aligned');

    const system = await output(['logs', '--bench', b.dir, 'system', '-n', '5']);
    assert.equal(system.code, 0);
    const sys = parsed(system.out);
    assert.ok(sys.length > 0 && sys.length <= 5);
    assert.ok(
      sys.every((l) => l.name === 'system'),
      system.out,
    );

    const grep = await output(['logs', '--bench', b.dir, '--grep', 'started \\(pid \\d+\\)$', '-n', '100']);
    assert.ok(parsed(grep.out).length >= 10 && parsed(grep.out).every((l) => /started \(pid \d+\)$/.test(l.text)), grep.out);

    const asked = Date.now();
    const recent = await output(['logs', '--bench', b.dir, '--since', '6s', '-n', '1000']);
    const secondsAgo = (hms: string): number => {
      const [h, m, sec] = hms.split(':').map(Number);
      const d = new Date(asked);
      d.setHours(h!, m!, sec!, 0);
      return (asked - d.getTime()) / 1000;
    };
    assert.ok(parsed(recent.out).length > 0, 'a schedule tick in the last 6 s');
    assert.ok(
      parsed(recent.out).every((l) => secondsAgo(l.time) <= 7),
      `nothing older than 6 s:\n${recent.out}`,
    );
    assert.doesNotMatch(recent.out, /rqw up|ready in/);

    const wrong = await output(['logs', '--bench', b.dir, 'wrker']);
    assert.equal(wrong.code, 1);
    assert.match(wrong.out, /^fbench: no process, type or role "wrker" \(logs\) → did you mean "worker"\?/);
    const badRe = await output(['logs', '--bench', b.dir, '--grep', '(']);
    assert.equal(badRe.code, 1);
    assert.match(badRe.out, /^fbench: --grep: "\(" is not a regular expression/);
  });

  test('logs --json is one object a line; logs -f | head -1 ends once head has its line, not at the next line written', async () => {
    const json = await output(['logs', '--bench', b.dir, 'rqw', '--json']);
    assert.equal(json.code, 0, json.out);
    const objs = json.out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { time: string; name: string; text: string });
    assert.deepEqual(
      objs.map((o) => [o.name, o.text]),
      [['rqw.1', 'rqw up']],
    );
    assert.match(objs[0]!.time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    // rqw prints nothing more: only the reader's going can end the follow.
    const t0 = Date.now();
    const piped = spawn('sh', ['-c', `${process.execPath} ${FBENCH} logs -f -n 1 rqw --bench ${b.dir} | head -1`], { stdio: ['ignore', 'pipe', 'pipe'] });
    cleanups.push(() => piped.exitCode === null && piped.kill('SIGKILL'));
    let out = '';
    piped.stdout!.on('data', (d) => (out += d));
    const code = await new Promise<number | null>((r) => piped.once('exit', r));
    assert.equal(code, 0);
    assert.match(out, /rqw\.1 +\| rqw up/);
    assert.ok(Date.now() - t0 < 8000, `the follow went on for ${Date.now() - t0} ms after head left`);
  });

  test('one rule for names: an instance, else a type, else a role; all; wildcards — the same in plan, ps, restart, attach', async () => {
    const names = async (cmd: string, ...args: string[]): Promise<string[]> => {
      const r = await output([cmd, '--json', '--bench', b.dir, ...args]);
      assert.equal(r.code, 0, r.out);
      const j = JSON.parse(r.out) as { name: string }[] | { processes: { name: string }[] };
      return (Array.isArray(j) ? j : j.processes).map((p) => p.name).sort();
    };
    // plan shows what start would run: the named processes and the Redis they need.
    const named = async (cmd: string, ...args: string[]): Promise<string[]> =>
      (await names(cmd, ...args)).filter((n) => cmd === 'ps' || ['redis', 'all'].includes(args[0]!) || !n.startsWith('redis_'));
    for (const cmd of ['plan', 'ps']) {
      assert.deepEqual(await named(cmd, 'worker'), ['worker.1'], `${cmd} worker: the Procfile type`);
      assert.deepEqual(await named(cmd, 'worker.1'), ['worker.1']);
      assert.deepEqual(await named(cmd, 'redis'), ['redis_cache.1', 'redis_queue.1'], `${cmd} redis: the role`);
      assert.deepEqual(await named(cmd, 'worker*'), ['worker.1', 'worker_email.1'], `${cmd} worker*`);
      assert.equal((await named(cmd, 'all')).length, 10, `${cmd} all`);
    }

    const before = JSON.parse((await output(['ps', '--json', '--bench', b.dir])).out) as { name: string; pid: number }[];
    const pid = (list: { name: string; pid: number }[], n: string): number => list.find((p) => p.name === n)!.pid;
    const restart = await output(['restart', '--bench', b.dir, 'worker']);
    assert.equal(restart.code, 0, restart.out);
    assert.match(restart.out, /^restarted worker\.1: registered on short,default,long,email \(fbench start, pid \d+\)$/m);
    const after = JSON.parse((await output(['ps', '--json', '--bench', b.dir])).out) as { name: string; pid: number }[];
    assert.notEqual(pid(after, 'worker.1'), pid(before, 'worker.1'));
    assert.equal(pid(after, 'worker_email.1'), pid(before, 'worker_email.1'), 'worker is the type: worker_email.1 is left alone');

    // The README's example: `fbench attach worker` (stdin here ends at once: it attaches, then detaches).
    const attach = await output(['attach', '--bench', b.dir, 'worker']);
    assert.equal(attach.code, 0, attach.out);
    assert.match(attach.out, /attached to worker\.1/);
    const two = await output(['attach', '--bench', b.dir, 'worker*']);
    assert.equal(two.code, 1);
    assert.match(two.out, /^fbench: attach takes one process: "worker\*" is worker\.1, worker_email\.1/);
  });

  test('fbench workers beside start: names unique across the sessions, and control reaches it, saying which session answered', async () => {
    const workers = fbench(['workers', '--bench', b.dir, '--queues', 'email']);
    await workers.waitFor(/ready in/, 30_000);
    const ps = JSON.parse((await output(['ps', '--json', '--bench', b.dir])).out) as { name: string; session?: { kind: string; pid: number } }[];
    const names = ps.map((p) => p.name);
    assert.equal(new Set(names).size, names.length, `names unique: ${names.join(' ')}`);
    // (The Redis it uses, already running, are listed as external ones: redis_queue (external))
    const extra = names.filter(
      (n) => !n.endsWith('(external)') && !/^(redis_cache|redis_queue|web|socketio|watch|schedule|worker|worker_email|rqw|prog)\.1$/.test(n),
    );
    assert.equal(extra.length, 1, `the workers session's one worker: ${names.join(' ')}`);
    const restart = await output(['restart', '--bench', b.dir, extra[0]!]);
    assert.equal(restart.code, 0, restart.out);
    assert.match(
      restart.out,
      new RegExp(`^restarted ${extra[0]!.replace('.', '\\.')}: registered on email \\(fbench workers, pid ${workers.child.pid}\\)$`, 'm'),
    );
    const logs = await output(['logs', '--bench', b.dir, extra[0]!]);
    assert.match(logs.out, /Worker \S+ started; listening on email/);
    await workers.stop();
  });

  test('fbench attach says why it ends when the session does; the stop order: the custom line before Redis; fbench logs after the end reads logs/fbench.log', async () => {
    const attach = new FbenchRun(['attach', '--bench', b.dir, 'rqw']);
    runs.push(attach);
    // Its stdin stays open: the attach ends because the session does, not because its input ended (a moment of quiet later).
    await attach.waitFor(/attached to rqw\.1/);
    await run.stop();
    const { code } = await attach.exited;
    assert.equal(code, 1);
    assert.match(attach.output, /^fbench: the session has stopped \(rqw\.1 with it\): detached$/m);

    const stopped = (n: string): number => run.output.indexOf(`${n} stopped`);
    assert.ok(stopped('rqw.1') > 0 && stopped('rqw.1') < stopped('redis_queue.1') && stopped('rqw.1') < stopped('redis_cache.1'), 'rqw.1 stopped after Redis');
    assert.doesNotMatch(run.output, /Connection refused/);

    const after = await output(['logs', '--bench', b.dir, 'prog', 'system', '-n', '1000']);
    assert.equal(after.code, 0, after.out);
    assert.match(after.out, /^fbench: no session is running; from .*logs\/fbench\.log:$/m);
    const lines = parsed(after.out);
    assert.deepEqual(
      lines.filter((l) => l.name === 'prog.1').map((l) => l.text),
      ['building 30/30 done'],
      'the final state in the file',
    );
    assert.ok(lines.some((l) => l.name === 'system' && /redis_queue\.1 stopped/.test(l.text)));
    assert.ok(lines.every((l) => l.name === 'prog.1' || l.name === 'system'));
  });
});
