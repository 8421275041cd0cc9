import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { makeBench } from '../helpers/bench-fixture.js';
import { alive, FBENCH, pidsMatching, survivors, type FbenchRun } from '../helpers/fbench-run.js';
import { listening } from '../helpers/ports.js';
import { enqueue, rqBench } from '../helpers/real-programs.js';
import { REPO } from '../helpers/sample-bench.js';
import { testScope } from '../helpers/scope.js';

const { cleanups, fbench, finished } = testScope();

function start(dir: string, ...args: string[]): FbenchRun {
  return fbench(['start', '--bench', dir, '--no-timestamps', ...args]);
}

async function bench(): Promise<{ dir: string; port: number }> {
  const b = await rqBench();
  cleanups.push(b.cleanup);
  return b;
}

/** A child of the test's own, ended by pid at the end. */
function own(cmd: string, args: string[], opts: { uid?: number; gid?: number; cwd?: string } = {}): ChildProcess {
  const c = spawn(cmd, args, { stdio: 'ignore', ...opts });
  cleanups.push(() => c.exitCode === null && c.signalCode === null && c.kill('SIGKILL'));
  return c;
}

/** A second local user for the test, removed at the end (even with its processes still going). */
let users = 0;
function otherUser(): { name: string; uid: number; gid: number } {
  const name = `fbt${process.pid % 100000}x${users++}`;
  execFileSync('useradd', ['--system', '--no-create-home', '--shell', '/usr/sbin/nologin', name], { stdio: 'pipe' });
  cleanups.push(() => execFileSync('userdel', ['--force', name], { stdio: 'ignore' }));
  const [uid, gid] = ['-u', '-g'].map((f) => Number(execFileSync('id', [f, name], { encoding: 'utf8' }).trim()));
  return { name, uid: uid!, gid: gid! };
}

/** A server that answers every Redis command with what it likes: PONG, an INFO naming `pid`, a CONFIG GET dir naming `dir`. */
const FAKE_REDIS = `const [port, pid, dir] = process.argv.slice(1);
const bulk = (s) => '$' + Buffer.byteLength(s) + '\\r\\n' + s + '\\r\\n';
require('net').createServer((c) => c.on('data', (d) => {
  const t = d.toString();
  if (/INFO/i.test(t)) c.write(bulk('# Server\\r\\nredis_version:7.0.15\\r\\nprocess_id:' + pid + '\\r\\n'));
  else if (/CONFIG/i.test(t)) c.write('*2\\r\\n' + bulk('dir') + bulk(dir));
  else c.write('+PONG\\r\\n');
})).listen(Number(port), '127.0.0.1');`;

describe('nothing believed that another program can fake', { timeout: 150_000 }, () => {
  test("another user's server on the bench's Redis port, fake or a real redis-server in the bench's dir: refused, naming the user; the pid it claims is never signalled", async (t) => {
    if (process.getuid?.() !== 0) return t.skip('needs root to add a second local user');
    const { dir, port } = await bench();
    const user = otherUser();
    const victim = own('sleep', ['120']);
    const fake = own(process.execPath, ['-e', FAKE_REDIS, String(port), String(victim.pid), path.join(dir, 'config', 'pids')], user);
    await listening(port);
    const r = await finished(['start', '--bench', dir, '--no-timestamps']);
    assert.equal(r.code, 1, r.out);
    assert.match(r.out, new RegExp(`port ${port} is held by pid ${fake.pid} \\(.*\\), which is not this bench's Redis \\(it runs as user ${user.name}\\)`));
    assert.equal(r.out.trim().split('\n').length, 1, r.out);
    assert.doesNotMatch(r.out, /taken over|already running \(pid/);
    assert.ok(alive(victim.pid!), 'the pid the fake server claimed is alive');
    fake.kill('SIGKILL');

    // The other user's real redis-server working in this bench's Redis dir.
    chmodSync(dir, 0o755);
    chmodSync(path.join(dir, 'config', 'pids'), 0o777);
    const real = own('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--dir', path.join(dir, 'config', 'pids')], user);
    await listening(port);
    const r2 = await finished(['start', '--bench', dir, '--no-timestamps']);
    assert.equal(r2.code, 1, r2.out);
    assert.match(r2.out, new RegExp(`held by pid ${real.pid} \\(redis-server .*\\), which is not this bench's Redis \\(it runs as user ${user.name}\\)`));
    assert.match((await finished(['doctor', '--bench', dir])).out, new RegExp(`not this bench's \\(it runs as user ${user.name}\\)`));
  });

  test("a copy of a running bench is refused before it touches the original's Redis; after ports --reassign both run", async () => {
    const { dir } = await bench();
    // The apps installed in editable mode, as `bench init` does (flit's .pth, setuptools' finder).
    const site = path.join(dir, 'env', 'lib', 'python3.11', 'site-packages');
    mkdirSync(site, { recursive: true });
    writeFileSync(path.join(site, 'app.pth'), `${dir}/apps/app\n`);
    writeFileSync(path.join(site, '__editable___erpnext_15_0_0_finder.py'), `MAPPING = {'erpnext': '${dir}/apps/erpnext/erpnext'}\n`);
    const original = start(dir);
    await original.waitFor(/ready in/);
    const redis = original.startedPids().get('redis_queue.1')!;
    const copy = mkdtempSync(path.join(tmpdir(), 'fbench-copy-'));
    cleanups.push(() => rmSync(copy, { recursive: true, force: true }));
    cpSync(dir, copy, { recursive: true, verbatimSymlinks: true }); // as `cp -a`: the pid files, socket link and confs too

    // The copied pid file names the original's live session: not this bench's, so ps says none runs here.
    assert.match((await finished(['ps', '--bench', copy])).out, /no fbench session is running/);
    const r = await finished(['start', 'worker', '--bench', copy, '--no-timestamps']);
    assert.equal(r.code, 1, r.out);
    assert.match(
      r.out,
      new RegExp(
        `redis_queue\\.1: config/redis_queue\\.conf sets dir ${dir}/config/pids, in another bench \\(${dir}\\): this bench is a copy of it.* → give this bench its own Redis folders and ports: \`fbench ports --reassign\``,
      ),
    );
    assert.ok(alive(redis), "the original's Redis runs on");

    const re = await finished(['ports', '--reassign', '--bench', copy]);
    assert.equal(re.code, 0, re.out);
    assert.match(
      re.out,
      new RegExp(
        `warning: env/ runs another bench's code: env/lib/python3\\.11/site-packages/app\\.pth points at ${dir}/apps/app → install this bench's apps into its env/: \`env/bin/python -m pip install -e apps/<app>\``,
      ),
    );
    assert.match(re.out, new RegExp(`__editable___erpnext_15_0_0_finder\\.py points at ${dir}/apps/erpnext/erpnext`));
    const doctor = await finished(['doctor', '--bench', copy]);
    assert.match(doctor.out, new RegExp(`✖ env/ runs another bench's code: env/lib/python3\\.11/site-packages/app\\.pth points at ${dir}/apps/app, in ${dir}`));
    assert.doesNotMatch((await finished(['doctor', '--bench', dir])).out, /another bench's code/);
    assert.ok(readFileSync(path.join(copy, 'config', 'redis_queue.conf'), 'utf8').includes(`dir ${copy}/config/pids`));
    const csc = JSON.parse(readFileSync(path.join(copy, 'sites', 'common_site_config.json'), 'utf8')) as Record<string, string>;
    assert.equal(csc.redis_cache, csc.redis_queue, 'one Redis before, one Redis after');
    const second = start(copy);
    await second.waitFor(/ready in/, 30_000);
    assert.match(second.output, /redis_queue\.1 started \(pid/);
    await second.stop();
    assert.ok(alive(redis), "the original's Redis runs on after the copy stopped");
    assert.doesNotMatch(original.output, /redis_queue\.1 (exit|gone|stopped)/);
    assert.match((await finished(['ps', '--bench', dir])).out, /redis_queue\.1/);
    await original.stop();
  });

  test('fbench killed with SIGKILL mid-job, then started at once: the new session waits for the old cleanup, then starts its own Redis', async () => {
    const { dir } = await bench();
    const first = start(dir);
    await first.waitFor(/worker\.1 ready: registered/);
    const out = path.join(dir, 'job-out');
    enqueue(dir, 'default', 'slow', [out, 6]);
    const end = Date.now() + 20_000;
    while (!existsSync(`${out}.pid`) && Date.now() < end) await new Promise((r) => setTimeout(r, 25));
    first.signal('SIGKILL');
    await first.exited;
    const second = start(dir);
    await second.waitFor(/the previous fbench start for this bench was killed; its watchdog \(pid \d+\) is still stopping what it ran/);
    await second.waitFor(/ready in/, 40_000);
    assert.ok(existsSync(out), 'the job completed');
    assert.match(second.output, /redis_queue\.1 started \(pid/);
    assert.doesNotMatch(second.output, /taken over|already running \(pid|gone|not a Redis/);
    await new Promise((r) => setTimeout(r, 1000));
    assert.doesNotMatch(second.output, /redis_queue\.1 (exit|killed|gone)/);
    await second.stop();
  });

  test('a Redis shut down from outside (exit 0) is restarted and its workers told; doctor says it is down meanwhile', async () => {
    const { dir, port } = await bench();
    const run = start(dir);
    await run.waitFor(/worker\.1 ready: registered/);
    const mark = run.output.length;
    execFileSync('redis-cli', ['-p', String(port), 'shutdown', 'nosave'], { stdio: 'ignore' });
    await run.waitFor(/redis_queue\.1 exit code 0; restarting in 1 s \(worker\.1 depend on it\)/, 10_000, mark);
    await run.waitFor(/redis_queue\.1 ready: PONG/, 20_000, mark);
    assert.doesNotMatch(run.output.slice(mark), /finished; not restarted/);

    // fbench stop of that Redis under its running worker: refused, naming it; done with --force.
    const redis = run.startedPids().get('redis_queue.1')!;
    const refused = await finished(['stop', 'redis_queue', '--bench', dir]);
    assert.equal(refused.code, 1);
    assert.match(
      refused.out,
      /redis_queue\.1: worker\.1 run on it and would break \(a job mid-way lost\) → stop those first \(`fbench stop worker\.1`\), or pass --force/,
    );
    assert.ok(alive(redis));
    const forced = await finished(['stop', 'redis_queue', '--force', '--bench', dir]);
    assert.equal(forced.code, 0, forced.out);
    await run.waitFor(/stopping redis_queue\.1 under worker\.1 \(--force\)/);
    assert.deepEqual(await survivors([redis], 3000), []);
    await run.stop();
  });

  test('out of file descriptors (ulimit -n 200, 60 processes): said before start, each refusal one line and retried, never a crash; Ctrl-C stops what runs', async () => {
    const tag = `fd-${process.pid}`;
    const b = makeBench({ Procfile: Array.from({ length: 60 }, (_, i) => `p${i}: sleep 300 ${tag}\n`).join('') });
    cleanups.push(b.cleanup);
    // A shell lowers the limit, then becomes fbench.
    const limited = spawn('sh', ['-c', `ulimit -n 200 && exec "$0" "$1" start --bench "$2" --no-timestamps`, process.execPath, FBENCH, b.dir], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NO_COLOR: '1' },
    });
    cleanups.push(() => limited.exitCode === null && limited.kill('SIGKILL'));
    let out = '';
    limited.stdout!.on('data', (d) => (out += d));
    limited.stderr!.on('data', (d) => (out += d));
    const end = Date.now() + 20_000;
    while (!/could not be started: out of file descriptors/.test(out) && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
    assert.match(out, /this bench runs 60 processes: fbench needs about \d+ open files for them, and it may have 200 \(`ulimit -n`\) → raise the limit/);
    assert.match(
      out,
      /p\d+\.1 could not be started: out of file descriptors \(EMFILE: fbench may have 200 open\); raise the limit before starting, e\.g\. `ulimit -n 4096`; restarting in \d+ s/,
    );
    await new Promise((r) => setTimeout(r, 1000));
    limited.kill('SIGINT');
    const code = await new Promise((r) => limited.once('exit', (c) => r(c)));
    assert.equal(code, 130, out.slice(-2000));
    assert.doesNotMatch(out, /TypeError|internal error|SIGINT again|killing/);
    assert.deepEqual(pidsMatching(tag), []);
  });

  test("the session's files are its user's only (logs/ 0700, logs 0600, a mode set by hand kept); another user's fbench logs is told the session is not theirs", async (t) => {
    if (process.getuid?.() !== 0) return t.skip('needs root to add a second local user');
    const b = makeBench({ Procfile: "app: sh -c 'echo secret-line; exec sleep 60' >> logs/app.log\n" });
    cleanups.push(b.cleanup);
    chmodSync(b.dir, 0o755);
    const mode = (rel: string): string => (statSync(path.join(b.dir, rel)).mode & 0o777).toString(8);
    let run = start(b.dir);
    await run.waitFor(/ready in/);
    assert.deepEqual([mode('logs'), mode('logs/app.log'), mode('logs/fbench.log')], ['700', '600', '600']);

    // The other user, with a copy of fbench it can read.
    const user = otherUser();
    const pkg = mkdtempSync(path.join(tmpdir(), 'fbench-pkg-'));
    cleanups.push(() => rmSync(pkg, { recursive: true, force: true }));
    for (const part of ['bin', 'dist/bundle', 'package.json']) cpSync(path.join(REPO, part), path.join(pkg, part), { recursive: true });
    chmodSync(pkg, 0o755);
    const theirs = spawnSync(process.execPath, [path.join(pkg, 'bin', 'fbench.cjs'), 'logs', '--bench', b.dir], {
      uid: user.uid,
      gid: user.gid,
      cwd: '/',
      env: { PATH: process.env.PATH!, NO_COLOR: '1' },
      encoding: 'utf8',
    });
    assert.equal(theirs.status, 1, theirs.stderr + theirs.stdout);
    assert.match(
      theirs.stderr,
      new RegExp(
        `^fbench: fbench start \\(pid ${run.child.pid}\\) runs this bench as user root: its session is not yours to see or control → run fbench as that user`,
      ),
    );
    assert.doesNotMatch(theirs.stdout + theirs.stderr, /secret-line|no session is running/);
    await run.stop();

    chmodSync(path.join(b.dir, 'logs', 'app.log'), 0o640);
    run = start(b.dir);
    await run.waitFor(/ready in/);
    assert.equal(mode('logs/app.log'), '640');
    await run.stop();
  });

  test("a Redis conf whose dir does not exist: doctor fails it, start names Redis's FATAL CONFIG line and the fix", async () => {
    const { dir } = await bench();
    const conf = path.join(dir, 'config', 'redis_queue.conf');
    writeFileSync(conf, readFileSync(conf, 'utf8').replace(/^dir .*$/m, `dir ${dir}/gone/pids`));
    const doctor = await finished(['doctor', '--bench', dir]);
    assert.equal(doctor.code, 1);
    assert.match(doctor.out, new RegExp(`✖ redis_queue: config/redis_queue\\.conf sets dir ${dir}/gone/pids, which does not exist`));
    const r = await finished(['start', '--bench', dir, '--no-timestamps']);
    assert.equal(r.code, 1);
    assert.match(r.out, /error: redis_queue\.1 exited during start-up \(exit code 1\)\n/);
    assert.match(r.out, new RegExp(`it said: FATAL CONFIG FILE ERROR at line 1: 'dir ${dir}/gone/pids': No such file or directory\n`));
    assert.match(
      r.out,
      new RegExp(`fix: the folder ${dir}/gone/pids named by dir in ${dir}/config/redis_queue\\.conf does not exist: create it \\(\`mkdir -p`),
    );
  });

  test('the bench folder moved mid-session: a restart says so once, instead of a crash loop of "not found"', async () => {
    const b = makeBench({ Procfile: 'app: sleep 60\n' });
    cleanups.push(b.cleanup);
    const run = start(b.dir);
    await run.waitFor(/ready in/);
    const moved = `${b.dir}-moved`;
    renameSync(b.dir, moved);
    cleanups.push(() => rmSync(moved, { recursive: true, force: true }));
    const r = await finished(['restart', 'app', '--bench', moved]);
    assert.equal(r.code, 1, r.out);
    await run.waitFor(new RegExp(`the bench folder ${b.dir} is gone \\(moved or removed while fbench ran\\): nothing can start from it → stop fbench`));
    assert.match(run.output, /app\.1 could not be started: its working folder .* does not exist; restarting in/);
    await run.stop();
    assert.equal(run.output.match(/the bench folder .* is gone/g)?.length, 1);
  });

  test('a bench path over 107 bytes: its control socket works, a second bench sharing the first 107 bytes runs beside it, nothing left after', async () => {
    const parent = mkdtempSync(path.join(tmpdir(), 'fbench-long-'));
    cleanups.push(() => rmSync(parent, { recursive: true, force: true }));
    const base = path.join(parent, 'a-folder-name-long-enough-to-pass-the-socket-limit'.repeat(2));
    const dirs = [`${base}-one`, `${base}-two`];
    assert.ok(Buffer.byteLength(path.join(dirs[0]!, 'config', 'pids', 'fbench.sock')) > 120);
    const runs = dirs.map((d) => {
      const b = makeBench({ Procfile: 'app: sleep 60\n' });
      mkdirSync(path.dirname(d), { recursive: true });
      cpSync(b.dir, d, { recursive: true });
      b.cleanup();
      return start(d);
    });
    await Promise.all(runs.map((r) => r.waitFor(/ready in/)));
    for (const d of dirs) {
      const ps = await finished(['ps', '--bench', d]);
      assert.equal(ps.code, 0, ps.out);
      assert.match(ps.out, /app\.1/);
    }
    const pids = runs.flatMap((r) => [...r.startedPids().values()]);
    await Promise.all(runs.map((r) => r.stop()));
    assert.deepEqual(await survivors(pids, 1000), []);
    for (const d of dirs) assert.deepEqual(readdirSync(path.join(d, 'config', 'pids')), []);
    // And it starts again: nothing stale in the way.
    const again = start(dirs[0]!);
    await again.waitFor(/ready in/);
    await again.stop();
    assert.doesNotMatch(again.output, /EADDRINUSE|internal error/);
  });
});
