import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createReadStream, openSync, closeSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { describe, test } from 'node:test';
import { makeBench } from '../helpers/bench-fixture.js';
import { testScope } from '../helpers/scope.js';
import { FBENCH, FbenchRun } from '../helpers/fbench-run.js';
import { enqueue, rqBench as realRqBench, SYSTEM_PYTHON } from '../helpers/real-programs.js';
import { until } from '../helpers/until.js';

const { runs, cleanups } = testScope();

function bench(procfile: string, files: Record<string, string> = {}): string {
  const b = makeBench({ Procfile: procfile, 'logs/.keep': '', 'config/pids/.keep': '', ...files });
  cleanups.push(b.cleanup);
  return b.dir;
}

function fbench(args: string[]): FbenchRun {
  const r = new FbenchRun(args);
  runs.push(r);
  return r;
}

function rssKb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m?.[1] ?? 0);
}

describe('a line is a line', { timeout: 120_000 }, () => {
  test('5 MB and 16 MB lines arrive whole, 10 of each, while another process prints as fast as it can', async () => {
    const big = `import sys\nfor i in range(10):\n    sys.stdout.write('B' * 5242880 + '\\n')\n    sys.stdout.write('C' * 16777216 + '\\n')\n    sys.stdout.flush()\n`;
    const dir = bench(`big: ${SYSTEM_PYTHON} big.py\nchatty: ${SYSTEM_PYTHON} -c "import sys\nfor i in range(300000): sys.stdout.write(f'c:{i}\\\\n')"\n`, {
      'big.py': big,
    });
    writeFileSync(path.join(dir, 'Procfile'), `big: ${SYSTEM_PYTHON} big.py\nchatty: ${SYSTEM_PYTHON} chatty.py\n`);
    writeFileSync(path.join(dir, 'chatty.py'), "import sys\nfor i in range(300000):\n    sys.stdout.write(f'c:{i}\\n')\n");
    const outFile = path.join(dir, 'out.txt');
    const fd = openSync(outFile, 'w');
    const child = spawn(process.execPath, [FBENCH, 'start', '--bench', dir, '--no-timestamps'], {
      stdio: ['ignore', fd, fd],
      env: { ...process.env, NO_COLOR: '1' },
    });
    closeSync(fd);
    const code = await new Promise((r) => child.once('exit', r));
    assert.equal(code, 0);
    const lens: Record<string, number[]> = { B: [], C: [] };
    let chatty = 0;
    for await (const line of createInterface({ input: createReadStream(outFile, 'latin1'), crlfDelay: Infinity })) {
      const m = /^(\w+)\.1 +\| (.*)$/s.exec(line);
      if (!m) continue;
      if (m[1] === 'big') {
        const body = m[2]!;
        assert.match(body.slice(0, 10), /^(B{10}|C{10})$/, `a torn line under big.1: ${JSON.stringify(body.slice(0, 40))}`);
        lens[body[0]!]!.push(body.length);
      } else {
        assert.match(m[2]!, /^c:\d+$/, `a torn line under chatty.1: ${JSON.stringify(m[2]!.slice(0, 60))}`);
        chatty++;
      }
    }
    assert.deepEqual(lens.B, Array(10).fill(5242880));
    assert.deepEqual(lens.C, Array(10).fill(16777216));
    assert.equal(chatty, 300000);
  });
});

describe('bounded memory and clean ends', { timeout: 60_000 }, () => {
  test('a stalled fbench logs -f reader and an endless control request: fbench stays under 250 MB for 10 s', async () => {
    const dir = bench(`fast: ${SYSTEM_PYTHON} -c "import sys\\nwhile True: sys.stdout.write('x' * 200 + '\\\\n')"\n`);
    writeFileSync(path.join(dir, 'Procfile'), `fast: ${SYSTEM_PYTHON} fast.py\n`);
    writeFileSync(path.join(dir, 'fast.py'), "import sys\nwhile True:\n    sys.stdout.write('x' * 200 + '\\n')\n");
    const child = spawn(process.execPath, [FBENCH, 'start', '--bench', dir], { stdio: ['ignore', 'ignore', 'ignore'] });
    cleanups.push(() => child.kill('SIGKILL'));
    const sock = path.join(dir, 'config/pids/fbench.sock');
    await until(() => {
      try {
        return readFileSync(path.join(dir, 'config/pids/fbench.pid'), 'utf8').length > 0 && spawnSync('test', ['-S', sock]).status === 0;
      } catch {
        return false;
      }
    }, 'the control socket');
    // A follower that never reads.
    const stalled = net.connect(sock);
    stalled.write(`${JSON.stringify({ cmd: 'logs', names: [], n: 10, follow: true })}\n`);
    stalled.once('connect', () => stalled.pause());
    stalled.on('error', () => {});
    // A request that never ends.
    const endless = net.connect(sock);
    let endlessClosed = false;
    endless.on('close', () => (endlessClosed = true));
    endless.on('error', () => {});
    const chunk = 'a'.repeat(64 * 1024);
    const pump = setInterval(() => {
      if (!endless.destroyed) for (let i = 0; i < 16; i++) endless.write(chunk);
    }, 10);
    let peak = 0;
    try {
      const end = Date.now() + 10_000;
      while (Date.now() < end) {
        peak = Math.max(peak, rssKb(child.pid!));
        await new Promise((r) => setTimeout(r, 200));
      }
    } finally {
      clearInterval(pump);
      stalled.destroy();
      endless.destroy();
    }
    assert.ok(peak < 250 * 1024, `fbench grew to ${Math.round(peak / 1024)} MB`);
    assert.ok(endlessClosed, 'the endless request was never cut off');
    child.kill('SIGINT');
    await new Promise((r) => child.once('exit', r));
  });

  test('fbench logs -f | head -2 exits 0 quietly; logs -f says so and exits 1 when the session ends', async () => {
    const dir = bench(`tick: ${SYSTEM_PYTHON} tick.py\n`, {
      'tick.py': 'import time\ni = 0\nwhile True:\n    print(f"tick {i}", flush=True)\n    i += 1\n    time.sleep(0.01)\n',
    });
    const run = fbench(['start', '--bench', dir]);
    await run.waitFor(/tick\.1 +\| tick 5/);
    const piped = spawnSync('bash', ['-c', `set -o pipefail; "${process.execPath}" "${FBENCH}" logs -f --bench "${dir}" | head -2`], {
      encoding: 'utf8',
      timeout: 10_000,
    });
    assert.equal(piped.status, 0, piped.stderr);
    assert.equal(piped.stdout.split('\n').filter(Boolean).length, 2);
    assert.doesNotMatch(piped.stderr, /at .*\.js:\d+|EPIPE/);
    const follow = fbench(['logs', '-f', '--bench', dir]);
    await follow.waitFor(/tick\.1 \| tick \d+/);
    await run.stop();
    const { code } = await follow.exited;
    assert.equal(code, 1);
    assert.match(follow.output, /the session has stopped: nothing more to follow/);
  });
});

describe("real RQ workers on bench's Procfile lines", { timeout: 90_000 }, () => {
  async function rqBench(): Promise<string> {
    const b = await realRqBench('worker_email: bench worker --queue email 1>> logs/worker.log 2>> logs/worker.error.log\n', { workers: { email: {} } });
    cleanups.push(b.cleanup);
    return b.dir;
  }

  test('each job shows under the worker that ran it, is in fbench logs and in logs/worker.log; a traceback follows its start line', async () => {
    const dir = await rqBench();
    const run = fbench(['start', '--bench', dir, '--no-timestamps']);
    await run.waitFor(/worker_email\.1 +\| .*Listening on .*email/);
    await run.waitFor(/worker\.1 +\| .*Listening on /);
    const long = enqueue(dir, 'long', 'slow', [path.join(dir, 'long-done'), 0]);
    await run.waitFor(new RegExp(`worker\\.1 +\\| .*Job OK \\(${long}\\)`));
    const email = enqueue(dir, 'email', 'slow', [path.join(dir, 'email-done'), 0]);
    await run.waitFor(new RegExp(`(worker|worker_email)\\.1 +\\| .*Job OK \\(${email}\\)`));
    assert.doesNotMatch(run.output, /worker\.log +\|/, 'lines under a file name');
    const failing = enqueue(dir, 'default', 'fail', []);
    await run.waitFor(/ValueError: this job fails/);
    const lines = run.output.split('\n');
    const startAt = lines.findIndex((l) => l.includes(`jobs.fail() (${failing})`));
    const traceAt = lines.findIndex((l) => l.includes('Traceback'));
    assert.ok(startAt >= 0 && traceAt > startAt, `the traceback (${traceAt}) before its start line (${startAt}):\n${run.output}`);
    assert.equal(/^(\S+) /.exec(lines[startAt]!)![1], /^(\S+) /.exec(lines[traceAt]!)![1], 'the traceback under another process');
    const logs = fbench(['logs', 'worker', '-n', '200', '--bench', dir]);
    await logs.exited;
    assert.match(logs.output, new RegExp(`^\\d\\d:\\d\\d:\\d\\d worker\\.1 +\\| .*Job OK \\(${long}\\)`, 'm'));
    const file = readFileSync(path.join(dir, 'logs/worker.log'), 'utf8');
    assert.match(file, new RegExp(`Job OK \\(${long}\\)`));
    assert.match(readFileSync(path.join(dir, 'logs/worker.error.log'), 'utf8'), /ValueError: this job fails/);
    await run.stop();
  });

  test('fbench workers beside fbench start shows only its own jobs', async () => {
    const dir = await rqBench();
    writeFileSync(
      path.join(dir, 'Procfile'),
      readFileSync(path.join(dir, 'Procfile'), 'utf8').replace(/^worker: +bench worker/m, 'worker: bench worker --queue default'),
    );
    const start = fbench(['start', '--bench', dir, '--no-timestamps']);
    await start.waitFor(/worker\.1 +\| .*Listening on /);
    const workers = fbench(['workers', '--queues', 'long', '--bench', dir, '--no-timestamps']);
    await workers.waitFor(/worker_long\.1 +\| .*Listening on /);
    const id = enqueue(dir, 'long', 'slow', [path.join(dir, 'long-done'), 0]);
    await workers.waitFor(new RegExp(`worker_long\\.1 +\\| .*Job OK \\(${id}\\)`));
    await new Promise((r) => setTimeout(r, 300));
    assert.doesNotMatch(start.output, new RegExp(id), "fbench start shows the other session's job");
    await workers.stop();
    await start.stop();
  });
});
