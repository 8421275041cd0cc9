import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { cliBench, installCliPrograms, type CliPorts } from '../helpers/bench-cli.js';
import { pidsMatching, survivors, type FbenchRun } from '../helpers/fbench-run.js';
import { freePorts } from '../helpers/ports.js';
import { enqueue, requireRq } from '../helpers/real-programs.js';
import { testScope } from '../helpers/scope.js';
import { until } from '../helpers/until.js';

const { cleanups, fbench, finished } = testScope();

/** The dev fixture on free ports, with stand-ins for the bench's python, node's socketio and the CLI's admin. */
async function devBench(): Promise<{ root: string; dir: string; ports: CliPorts }> {
  requireRq();
  const [http, socketio, cache, queue, admin] = await freePorts(5);
  const ports = { http: http!, socketio: socketio!, cache: cache!, queue: queue!, admin: admin! };
  const b = cliBench('dev', ports);
  cleanups.push(b.cleanup);
  installCliPrograms(b.root, b.dir);
  return { ...b, ports };
}

const WORKER = 'worker_default_short_long_1';
const pidFile = (dir: string, name: string): number | null => {
  try {
    return Number(readFileSync(path.join(dir, 'pids', `${name}.pid`), 'utf8'));
  } catch {
    return null;
  }
};

/** A 20 s job on `default`, started: the file it writes at its end. */
async function job(dir: string, run: FbenchRun): Promise<string> {
  const out = path.join(dir, `job-${Date.now()}`);
  enqueue(dir, 'default', 'slow', [out, 20]);
  await until(() => existsSync(`${out}.pid`), 'the job started', run);
  return out;
}

describe("a bench of the new bench CLI (bench.toml), run by fbench with real Redis and Debian's RQ", { timeout: 170_000 }, () => {
  test("found from sites/, ready with its workers registered, pid files for the CLI; a 20 s job survives fbench restart and the CLI's bench stop", async () => {
    const { dir, ports } = await devBench();
    const run = fbench(['start', '--no-timestamps'], { cwd: path.join(dir, 'sites') });
    await run.waitFor(/ready in/, 30_000);
    assert.match(run.output, new RegExp(`${WORKER}\\.1 ready: registered on default,short,long`));
    assert.match(run.output, new RegExp(`web\\.1 ready: listening on :${ports.http}`));
    assert.match(run.output, new RegExp(`admin\\.1 ready: listening on :${ports.admin}`));
    assert.match(run.output, new RegExp(`socketio\\.1 ready: listening on :${ports.socketio}`));
    // Planned as the CLI runs it: nothing to warn of (no "no scheduler": v16 schedules in a worker).
    assert.deepEqual((JSON.parse((await finished(['plan', '--json', '--bench', dir])).out) as { warnings: unknown[] }).warnings, []);

    // The CLI reads these: the runner (fbench itself) and each process.
    assert.equal(pidFile(dir, 'bench'), run.child.pid);
    const started = run.startedPids();
    for (const name of ['web', 'socketio', 'admin', WORKER, 'redis_cache', 'redis_queue', 'watch']) {
      assert.equal(pidFile(dir, name), started.get(`${name}.1`), `pids/${name}.pid`);
    }

    // fbench's own files stay out of the folder the CLI's admin lists as processes.
    assert.deepEqual(
      readdirSync(path.join(dir, 'pids')).filter((f) => f.startsWith('fbench.')),
      [],
      'fbench keeps its files in pids/fbench/',
    );
    assert.ok(existsSync(path.join(dir, 'pids', 'fbench', 'fbench.pid')));

    // `fbench restart` from another terminal while a job runs: the same.
    const restarted = await job(dir, run);
    const r = await finished(['restart', WORKER, '--bench', dir]);
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, new RegExp(`restarted ${WORKER}\\.1: registered on default,short,long`));
    await until(() => existsSync(restarted), 'the job completed in the old worker', run, 30_000);

    // The CLI's `bench stop`: pids/bench.pid removed, then SIGTERM to the pid it named. The running
    // job finishes; bench.pid says the truth (running) until fbench has stopped; nothing is left.
    const second = await job(dir, run);
    const all = [...run.startedPids().values()];
    const benchPid = pidFile(dir, 'bench')!;
    rmSync(path.join(dir, 'pids', 'bench.pid'));
    const mark = run.output.length;
    process.kill(benchPid, 'SIGTERM');
    await run.waitFor(/waiting for worker_default_short_long_1\.1 to finish/, 10_000, mark);
    assert.equal(pidFile(dir, 'bench'), benchPid, 'bench.pid written again while the job finishes');
    const { code } = await run.exited;
    assert.equal(code, 143, run.output.slice(-2000));
    assert.ok(existsSync(second), 'the job completed');
    assert.doesNotMatch(run.output, /Cold shut down|was killed/);
    assert.deepEqual(await survivors(all, 2000), []);
    assert.deepEqual(pidsMatching(dir), []);
    assert.deepEqual(
      readdirSync(path.join(dir, 'pids')).filter((f) => f.endsWith('.pid')),
      [],
    );
  });

  test('bench.toml edited while the bench runs: re-planned as the CLI would run it (a worker group added, reload_python = false), what changed restarts, the rest runs on', async () => {
    const { dir } = await devBench();
    const run = fbench(['start', '--no-timestamps', '--bench', dir]);
    await run.waitFor(/ready in/, 30_000);
    await run.waitFor(/watching apps\/ for \.py changes.*for re-planning\n/, 30_000);
    const before = run.startedPids();
    const mark = run.output.length;
    const toml = path.join(dir, 'bench.toml');
    writeFileSync(toml, `${readFileSync(toml, 'utf8').replace('[bench]\n', '[bench]\nreload_python = false\n')}\n[[workers]]\nqueues = ["long"]\ncount = 1\n`);
    await run.waitFor(/bench\.toml changed: adding worker_long_1\.1; restarting web\.1 \(command changed\)/, 20_000, mark);
    await run.waitFor(/worker_long_1\.1 ready: registered on long/, 30_000, mark);
    await run.waitFor(/web\.1 ready/, 30_000, mark);
    const ps = JSON.parse((await finished(['ps', '--json', '--bench', dir])).out) as { name: string; pid: number }[];
    for (const name of [`${WORKER}.1`, 'redis_queue.1', 'redis_cache.1', 'socketio.1', 'admin.1'])
      assert.equal(
        ps.find((p) => p.name === name)?.pid,
        before.get(name),
        `${name} runs on: ${run.output
          .slice(mark)
          .split('\n')
          .filter((l) => l.includes('changed'))
          .join(' / ')}`,
      );
    const plan = JSON.parse((await finished(['plan', '--json', '--bench', dir])).out) as { processes: { name: string; command: string }[] };
    assert.match(plan.processes.find((p) => p.name === 'web.1')!.command, /serve --port \d+ --noreload$/);
    // reload_python = false: a .py save restarts nothing (web serves without its reloader).
    const saved = run.output.length;
    writeFileSync(path.join(dir, 'apps', 'frappe', 'hooks.py'), '# saved\n');
    await new Promise((r) => setTimeout(r, 1500)); // past the burst's 250 ms: a restart would have been asked by now
    assert.doesNotMatch(run.output.slice(saved), /changed: restarting/);
    await run.stop();
  });

  test("refused while the CLI's own runner holds pids/bench.pid, naming it; nothing started", async () => {
    const { dir } = await devBench();
    const runner = spawn('sleep', ['60'], { stdio: 'ignore' });
    cleanups.push(() => runner.kill('SIGKILL'));
    writeFileSync(path.join(dir, 'pids', 'bench.pid'), `${runner.pid}\n`);
    const r = await finished(['start', '--bench', dir]);
    assert.equal(r.code, 1);
    assert.match(
      r.out,
      new RegExp(`already running under the bench CLI's own runner \\(pids/bench\\.pid: pid ${runner.pid}, sleep 60\\) → stop it first with \`bench stop\``),
    );
    assert.doesNotMatch(r.out, /started \(pid/);
    assert.ok(!existsSync(path.join(dir, 'pids', 'fbench.pid')));
  });

  test('a broken bench.toml: one line with its line and column, exit 1, nothing started', async () => {
    const { dir } = await devBench();
    writeFileSync(path.join(dir, 'bench.toml'), '[bench]\nname = "dev"\nhttp_port = = 8000\n');
    const r = await finished(['start', '--bench', dir]);
    assert.equal(r.code, 1);
    assert.match(r.out, /^fbench: bench\.toml:3:\d+: .+ → fix bench\.toml/);
    assert.equal(r.out.trim().split('\n').length, 1, r.out);
    assert.ok(!existsSync(path.join(dir, 'pids', 'bench.pid')));
  });

  test('ports --reassign on a copy: bench.toml (comments kept), common_site_config.json, the Redis confs and config/Procfile together', async () => {
    const { root, dir } = await devBench();
    const copy = path.join(root, 'benches', 'copy');
    await new Promise<void>((resolve, reject) => spawn('cp', ['-a', dir, copy]).once('exit', (c) => (c === 0 ? resolve() : reject(new Error('cp')))));
    writeFileSync(path.join(copy, 'bench.toml'), `# copied from dev\n${readFileSync(path.join(copy, 'bench.toml'), 'utf8')}`);
    const snapshot = (): string => execFileSync('sh', ['-c', 'find . -type f | sort | xargs sha256sum'], { cwd: dir, encoding: 'utf8' });
    const originalBefore = snapshot();
    const r = await finished(['ports', '--reassign', '--bench', copy]);
    assert.equal(r.code, 0, r.out);
    assert.equal(snapshot(), originalBefore, 'the original bench is byte-for-byte what it was');
    for (const conf of ['redis_cache.conf', 'redis_queue.conf']) {
      const text = readFileSync(path.join(copy, 'config', conf), 'utf8');
      const port = Number(/^port (\d+)/m.exec(text)?.[1]);
      assert.notEqual(port, Number(/^port (\d+)/m.exec(readFileSync(path.join(dir, 'config', conf), 'utf8'))?.[1]), `${conf}: the copy's own port moved`);
    }
    assert.match(readFileSync(path.join(copy, 'bench.toml'), 'utf8'), /^name = "copy"$/m, 'named by its folder, as the CLI names benches');
    const toml = readFileSync(path.join(copy, 'bench.toml'), 'utf8');
    assert.ok(toml.startsWith('# copied from dev\n[bench]'), toml);
    const procfile = readFileSync(path.join(copy, 'config', 'Procfile'), 'utf8');
    assert.ok(!procfile.includes(`${dir}/`) && !procfile.includes(`${dir} `) && !procfile.includes(`${dir}\n`), procfile);
    const planned = await finished(['plan', '--json', '--bench', copy]);
    const plan = JSON.parse(planned.out) as { processes: { name: string; port: number | null }[] };
    const original = JSON.parse((await finished(['plan', '--json', '--bench', dir])).out) as typeof plan;
    for (const p of plan.processes.filter((x) => x.port !== null)) {
      assert.notEqual(p.port, original.processes.find((x) => x.name === p.name)!.port, `${p.name} moved`);
    }
    const check = await finished(['ports', '--bench', copy]);
    assert.equal(check.code, 0, check.out);
  });
});
