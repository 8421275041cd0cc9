import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, describe, test } from 'node:test';
import { makeBench } from '../helpers/bench-fixture.js';
import { FBENCH, FbenchRun, survivors } from '../helpers/fbench-run.js';

const cleanups: (() => void)[] = [];
after(() => cleanups.forEach((c) => c()));

function bench(): string {
  const b = makeBench({
    Procfile: 'other: sleep 30\n',
    'Procfile.dev': "job: sh -c 'echo dev=$DEV_SERVER unbuffered=$PYTHONUNBUFFERED; exec sleep 30'\n",
  });
  cleanups.push(b.cleanup);
  return b.dir;
}

describe('coming from bench start', { timeout: 30_000 }, () => {
  test('bench start -m fbench: the argv, environment and folder bench execs with', async () => {
    const dir = bench();
    // bench's start(): os.execv(which(procman), [program, "start", "-c", c, "-f", procfile, "--no-prefix"]),
    // with PYTHONUNBUFFERED=true and DEV_SERVER=true set, from the bench folder.
    const child = spawn(FBENCH, ['start', '-c', 'job=2', '-f', 'Procfile.dev', '--no-prefix'], {
      cwd: dir,
      env: { ...process.env, PYTHONUNBUFFERED: 'true', DEV_SERVER: 'true', NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    cleanups.push(() => child.kill('SIGKILL'));
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const end = Date.now() + 10_000;
    while ((out.match(/^dev=true unbuffered=\S+$/gm) ?? []).length < 2 && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
    assert.equal((out.match(/^dev=true unbuffered=\S+$/gm) ?? []).length, 2, out);
    assert.match(out, /job\.1 started/);
    assert.match(out, /job\.2 started/);
    assert.doesNotMatch(out, /other\.1/, 'the default Procfile was read instead of -f');
    const pids = [...out.matchAll(/started \(pid (\d+)\)/g)].map((m) => Number(m[1]));
    child.kill('SIGINT');
    const code = await new Promise((r) => child.once('exit', r));
    assert.equal(code, 130);
    assert.deepEqual(await survivors(pids, 0), []);
  });

  test("bench's -p/--procfile, -c and --no-dev mean what they mean in bench; -m is ignored with one line", async () => {
    const dir = bench();
    const plan = new FbenchRun(['plan', '-p', 'Procfile.dev', '-c', 'job=3', '--no-dev', '--json', '--bench', dir]);
    assert.equal((await plan.exited).code, 0, plan.output);
    const json = JSON.parse(plan.output) as { processes: { name: string; env: Record<string, string> }[] };
    assert.deepEqual(
      json.processes.map((p) => p.name),
      ['job.1', 'job.2', 'job.3'],
    );
    assert.equal(json.processes[0]!.env.DEV_SERVER, undefined);
    const run = new FbenchRun(['start', '--procfile', 'Procfile.dev', '-m', 'honcho', '--bench', dir]);
    cleanups.push(() => run.signal('SIGKILL'));
    await run.waitFor(/job\.1 started/);
    assert.match(run.output, /^fbench: -m honcho ignored: fbench is the process manager$/m);
    await run.stop();
  });
});
