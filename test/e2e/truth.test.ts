import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { appendFileSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { Redis } from 'ioredis';
import { benchId } from '../../src/frappe/queues.js';
import { makeBench } from '../helpers/bench-fixture.js';
import { FBENCH, FbenchRun } from '../helpers/fbench-run.js';
import { listening } from '../helpers/ports.js';
import { tempSampleBench, type TempBench } from '../helpers/sample-bench.js';
import { testScope } from '../helpers/scope.js';

const { runs, cleanups } = testScope();

async function sample(edit?: (dir: string) => void): Promise<TempBench> {
  const b = await tempSampleBench(edit);
  cleanups.push(b.cleanup);
  return b;
}

function fbench(args: string[], env: Record<string, string> = {}): FbenchRun {
  const r = new FbenchRun(args, { env });
  runs.push(r);
  return r;
}

/** fbench on a terminal of its own (script, 120×40), until it exits. */
async function onTerminal(args: string, ms = 30_000): Promise<{ code: number | null; out: string }> {
  const child = spawn('script', ['-qfec', `stty cols 120 rows 40; exec ${process.execPath} ${FBENCH} ${args}`, '/dev/null'], {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, NO_COLOR: '1' },
  });
  cleanups.push(() => child.exitCode === null && child.kill('SIGKILL'));
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  const kill = setTimeout(() => child.stdin!.write('\x03'), ms);
  const code = await new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
  clearTimeout(kill);
  return { code, out };
}

describe('the start-up says what happened', { timeout: 90_000 }, () => {
  test('a Redis that cannot start (its ACL file is missing): ✖ with its own line and the fix; what never ran is not started, never ✔', async () => {
    const b = await sample((dir) => rmSync(path.join(dir, 'config', 'redis_queue.acl')));
    const { code, out } = await onTerminal(`start --bench ${b.dir}`);
    assert.equal(code, 1, out.slice(-2000));
    assert.match(out, /✖ redis_queue\.1: .*Aborting Redis startup because of ACL errors/);
    assert.doesNotMatch(out, /✔ web\.1/); // it starts with Redis (it reaches Redis only when it serves), and is stopped
    for (const n of ['socketio.1', 'schedule.1', 'worker.1', 'worker_email.1']) {
      assert.doesNotMatch(out, new RegExp(`✔ ${n.replace('.', '\\.')}`), `${n} was never started`);
      assert.match(out, new RegExp(`${n.replace('.', '\\.')}: not started \\(redis_queue\\.1 failed\\)`), n);
    }
    assert.match(out, /fix: create .*redis_queue\.acl/);
  });

  test('a process that exits at once: ✖ with its exit and what it said; start-up ends at --ready-timeout naming it, exit 1', async () => {
    const dir = makeBench({ Procfile: "bad: sh -c 'echo boom; exit 3'\ngood: sleep 100\n" });
    cleanups.push(dir.cleanup);
    const t = await onTerminal(`start --bench ${dir.dir}`, 3000);
    assert.match(t.out, /✖ bad\.1: .*exited during start-up \(exit code 3\): boom/);
    assert.match(t.out, /✔ good\.1: running after \d+ ms/);
    const plain = fbench(['start', '--bench', dir.dir, '--no-timestamps', '--ready-timeout', '3']);
    const { code } = await plain.exited;
    assert.equal(code, 1, plain.output);
    assert.match(
      plain.output,
      /error: start-up did not complete within 3 s \(--ready-timeout\): 1 not ready\n.*\| {3}bad\.1: .*exit code 3.* \(it said: boom\)\n/,
    );
    assert.doesNotMatch(plain.output, /ready in/);
  });

  test('a web port held by another program: nothing starts, and the holder is named', async () => {
    const b = await sample();
    const holder = spawn(process.execPath, ['-e', `require('net').createServer().listen(${b.ports.web}, '127.0.0.1')`], { stdio: 'ignore' });
    cleanups.push(() => holder.kill('SIGKILL'));
    await listening(b.ports.web);
    const run = fbench(['start', '--bench', b.dir]);
    const { code } = await run.exited;
    assert.equal(code, 1);
    assert.match(
      run.output,
      new RegExp(
        `web\\.1: port ${b.ports.web} is held by pid ${holder.pid} \\(.*node -e .*\\); web\\.1 could not listen there → stop it \\(kill ${holder.pid}\\), or move this bench to free ports with \`fbench ports --reassign\`\\. Nothing was started\\.`,
      ),
    );
    assert.doesNotMatch(run.output, /started \(pid/);
  });

  test('"ready" comes once both workers of the sample bench are registered in RQ', async () => {
    const b = await sample();
    const run = fbench(['start', '--bench', b.dir]);
    await run.waitFor(/ready in \d+ ms.*worker\.1, worker_email\.1 registered/);
    const r = new Redis({ port: b.ports.queue });
    try {
      const workers = await r.smembers('rq:workers');
      const pids = await Promise.all(workers.map((k) => r.hget(k, 'pid')));
      const started = run.startedPids();
      for (const w of ['worker.1', 'worker_email.1']) assert.ok(pids.includes(String(started.get(w))), `${w} registered by the time of "ready"`);
    } finally {
      r.disconnect();
    }
    await run.stop();
  });

  test('restart of a Redis whose conf broke: the answer is non-zero, with what it said', async () => {
    const b = await sample();
    const run = fbench(['start', '--bench', b.dir, 'redis_queue']);
    await run.waitFor(/ready in/);
    appendFileSync(path.join(b.dir, 'config', 'redis_queue.conf'), '\nno-such-directive yes\n');
    const restart = fbench(['restart', 'redis_queue', '--bench', b.dir]);
    const { code } = await restart.exited;
    assert.equal(code, 1, restart.output);
    assert.match(restart.output, /redis_queue\.1 did not start again: .*; it said: .*(Bad directive|no-such-directive)/);
    await run.stop();
  });
});

describe('doctor counts what is there', { timeout: 60_000 }, () => {
  test('a dead worker RQ still lists (an unclean stop) is not counted', async () => {
    const b = await sample();
    const run = fbench(['start', '--bench', b.dir, 'redis_queue', 'redis_cache']);
    await run.waitFor(/ready in/);
    const r = new Redis({ port: b.ports.queue });
    try {
      const dead = spawn('true');
      await new Promise((res) => dead.once('exit', res));
      const key = `rq:worker:${hostname()}.${dead.pid}`;
      const q = `${benchId({}, b.dir)}:short`;
      await r.hset(key, {
        birth: new Date().toISOString(),
        last_heartbeat: new Date().toISOString(),
        queues: q,
        pid: String(dead.pid),
        hostname: hostname(),
        state: 'idle',
      });
      await r.sadd('rq:workers', key);
    } finally {
      r.disconnect();
    }
    const doctor = fbench(['doctor', '--bench', b.dir]);
    await doctor.exited;
    assert.match(doctor.output, /short: 0 waiting, 0 workers, 0 failed/);
    await run.stop();
  });
});

describe('every warning reaches the user', { timeout: 60_000 }, () => {
  test('a preset that leaves a custom queue without a worker says so in plan, plan --json and start', async () => {
    const b = await sample();
    const plan = fbench(['plan', '--bench', b.dir, '--preset', 'split']);
    await plan.exited;
    assert.match(plan.output, /warning: \S*presets\/split\.yaml: no worker listens to the queue "email": its jobs will wait/);
    const json = fbench(['plan', '--json', '--bench', b.dir, '--preset', 'split']);
    await json.exited;
    assert.ok((JSON.parse(json.output) as { warnings: { message: string }[] }).warnings.some((w) => /queue "email"/.test(w.message)));
    const run = fbench(['start', '--bench', b.dir, '--preset', 'split']);
    await run.waitFor(/warning: \S*presets\/split\.yaml: no worker listens to the queue "email"/);
    await run.stop();
  });

  test('a malformed line added while running is a warning naming its line', async () => {
    const dir = makeBench({ Procfile: 'a: sleep 100\n' });
    cleanups.push(dir.cleanup);
    const run = fbench(['start', '--bench', dir.dir]);
    await run.waitFor(/watching .*Procfile/);
    appendFileSync(path.join(dir.dir, 'Procfile'), 'this is not a procfile line\n');
    await run.waitFor(/warning: Procfile:2: ignored: not a "name: command" line/);
    await run.stop();
  });
});

describe('a log file on a full disk', { timeout: 60_000 }, () => {
  const root = process.getuid?.() === 0;
  test(
    'one warning naming the file; the stream goes on; once there is room, a line says what is missing, and no line is ever glued',
    { skip: root ? false : 'needs root to mount a small tmpfs' },
    async () => {
      const b = makeBench({
        Procfile: 'w: python3 flood.py 1>> logs/w.log\n',
        'flood.py': "import time\nfor i in range(10**9):\n    print(f'flood {i:07d} ' + 'y' * 60, flush=True)\n    time.sleep(0.005)\n",
        'logs/.keep': '',
      });
      const logs = path.join(b.dir, 'logs');
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=256k', 'tmpfs', logs]);
      cleanups.push(() => {
        try {
          execFileSync('umount', [logs]);
        } catch {
          // already
        }
        b.cleanup();
      });
      const filler = path.join(logs, 'filler');
      writeFileSync(filler, Buffer.alloc(200 * 1024));
      const run = fbench(['start', '--bench', b.dir, '--no-timestamps']);
      await run.waitFor(/warning: cannot write .*logs\/w\.log \(disk full\): its lines are still shown and kept for fbench logs/, 20_000);
      const at = run.output.length;
      await run.waitFor(/w\.1 +\| flood/, 5000, at); // the stream goes on
      rmSync(filler);
      const deadline = Date.now() + 10_000;
      while (!/\[… \d+ lines? not written: disk full\]/.test(readFileSync(path.join(logs, 'w.log'), 'utf8')) && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 50));
      await run.stop();
      const lines = readFileSync(path.join(logs, 'w.log'), 'utf8').split('\n').slice(0, -1);
      assert.ok(
        lines.some((l) => /^\[… \d+ lines? not written: disk full\]$/.test(l)),
        'the recovery line',
      );
      const glued = lines.filter((l) => !/^flood \d{7} y{60}$/.test(l) && !/^\[… \d+ lines? not written: disk full\]$/.test(l));
      assert.deepEqual(glued, []);
      assert.equal((run.output.match(/cannot write .*w\.log/g) ?? []).length, 1, 'one warning');
      // the disk may fill again after the marker: what matters is no glued line, and one warning per episode at most
      assert.ok(!existsSync(path.join(b.dir, 'config/pids/fbench.pid')));
    },
  );
});
