import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { makeBench } from '../helpers/bench-fixture.js';
import { FBENCH, FbenchRun, survivors } from '../helpers/fbench-run.js';
import { freePort } from '../helpers/ports.js';
import { Terminal } from '../helpers/terminal.js';
import { DEBUG_JOB, enqueue, installBench, requireRq, RQ_BENCH, RQ_JOBS, SYSTEM_PYTHON, TWO_BREAKPOINTS } from '../helpers/real-programs.js';
import { until } from '../helpers/until.js';

const cleanups: (() => void)[] = [];
after(() => cleanups.forEach((c) => c()));

/** fbench attach NAME with `input` piped in; resolves its output once it has detached. */
function attach(dir: string, name: string, input: string): Promise<{ code: number | null; out: string }> {
  const child = spawn(process.execPath, [FBENCH, 'attach', name, '--bench', dir], { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  child.stdin.end(input);
  const kill = setTimeout(() => child.kill('SIGKILL'), 15_000);
  return new Promise((resolve) =>
    child.once('close', (code) => {
      clearTimeout(kill);
      resolve({ code, out });
    }),
  );
}

describe('breakpoint() under fbench', { timeout: 90_000 }, () => {
  test("in fbench's own terminal (tmux), then with fbench attach; another process keeps printing; Ctrl-C leaves nothing", async () => {
    const b = makeBench({ Procfile: `web: ${SYSTEM_PYTHON} bp.py\ntick: ${SYSTEM_PYTHON} tick.py\n`, 'bp.py': TWO_BREAKPOINTS });
    writeFileSync(path.join(b.dir, 'tick.py'), "import time\nwhile True:\n    print('tick', flush=True)\n    time.sleep(0.2)\n");
    cleanups.push(b.cleanup);
    const term = new Terminal(`${process.execPath} ${FBENCH} start --bench ${b.dir} --no-timestamps --no-tasks --no-color`, 220, 50);
    cleanups.push(() => term.close());
    const screen = (): string => term.screen(true);
    await term.until((s) => s.includes('web.1 is at a debugger prompt: what you type goes to it'), 'the prompt announced', 15_000, true);
    term.keys('p x + 1000', 'Enter');
    await term.until((s) => /web\.1 +\| 1041$/m.test(s), 'p x + 1000 answered', 15_000, true);
    term.keys('c', 'Enter');
    await term.until((s) => /web\.1 +\| between$/m.test(s) && (s.match(/web\.1 +\| \(Pdb\)/g) ?? []).length >= 3, 'the second breakpoint', 15_000, true);
    const ticksBefore = (screen().match(/tick\.1 +\| tick/g) ?? []).length;

    const attached = await attach(b.dir, 'web', 'p x * 1000\nc\n');
    assert.equal(attached.code, 0, attached.out);
    assert.match(attached.out, /^41000$/m);
    assert.match(attached.out, /after both/);
    assert.ok((screen().match(/tick\.1 +\| tick/g) ?? []).length > ticksBefore, 'the other process stopped printing');
    assert.doesNotMatch(screen(), /tick\.1 +\| .*p x \* 1000/, 'typed input echoed into another process');

    const pids = [...screen().matchAll(/started \(pid (\d+)\)/g)].map((m) => Number(m[1]));
    assert.equal(pids.length, 2);
    term.keys('C-c');
    await term.until((s) => /tick\.1 stopped/.test(s) && /web\.1 stopped/.test(s), 'both stopped', 15_000, true);
    await until(() => term.exited, 'fbench exited');
    assert.deepEqual(await survivors(pids, 0), []);
  });

  test('a second attach to the same process is refused, naming the first', async () => {
    const b = makeBench({ Procfile: `web: ${SYSTEM_PYTHON} bp.py\n`, 'bp.py': TWO_BREAKPOINTS });
    cleanups.push(b.cleanup);
    const run = new FbenchRun(['start', '--bench', b.dir]);
    cleanups.push(() => run.signal('SIGKILL'));
    await run.waitFor(/web\.1 +\| \(Pdb\)/);
    const first = spawn(process.execPath, [FBENCH, 'attach', 'web', '--bench', b.dir], { stdio: ['pipe', 'pipe', 'pipe'] });
    cleanups.push(() => first.kill('SIGKILL'));
    await run.waitFor(/attached to web\.1/);
    const second = await attach(b.dir, 'web', '');
    assert.equal(second.code, 1);
    assert.match(second.out, /web\.1 is already attached \(by fbench attach \(pid \d+\)\)/);
    first.kill('SIGINT');
    await run.waitFor(/detached from web\.1/);
    await run.stop();
  });

  test('a real RQ job at breakpoint(): attach to the worker, inspect a local, continue; the job finishes', async () => {
    requireRq();
    const port = await freePort();
    const b = makeBench({
      Procfile: 'redis_queue: redis-server config/redis_queue.conf\nworker:  bench worker 1>> logs/worker.log 2>> logs/worker.error.log\n',
      'sites/common_site_config.json': JSON.stringify({ redis_queue: `redis://127.0.0.1:${port}`, redis_cache: `redis://127.0.0.1:${port}` }),
      'config/redis_queue.conf': `bind 127.0.0.1\nport ${port}\nsave ""\n`,
      'config/pids/.keep': '',
      'logs/.keep': '',
      'jobs.py': RQ_JOBS + DEBUG_JOB,
    });
    cleanups.push(b.cleanup);
    installBench(b.dir, RQ_BENCH);
    const run = new FbenchRun(['start', '--bench', b.dir, '--no-timestamps']);
    cleanups.push(() => run.signal('SIGKILL'));
    await run.waitFor(/worker\.1 +\| .*Listening on/);
    const out = path.join(b.dir, 'debug-done');
    enqueue(b.dir, 'default', 'debug_job', [out]);
    await run.waitFor(/worker\.1 +\| \(Pdb\)/);
    const attached = await attach(b.dir, 'worker', 'p y\nc\n');
    assert.equal(attached.code, 0, attached.out);
    assert.match(attached.out, /^7$/m);
    await until(() => existsSync(out), 'the job finished');
    await run.waitFor(/debug job done/);
    await run.stop();
  });
});
