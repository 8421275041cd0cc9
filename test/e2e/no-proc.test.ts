import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { makeBench } from '../helpers/bench-fixture.js';
import { pidsMatching, survivors } from '../helpers/fbench-run.js';
import { listening } from '../helpers/ports.js';
import { DAEMON, HORSE, SYSTEM_PYTHON } from '../helpers/real-programs.js';
import { tempSampleBench } from '../helpers/sample-bench.js';
import { testScope } from '../helpers/scope.js';

const { cleanups, fbench, finished } = testScope();

/**
 * macOS has no /proc. Two ways to be there on Linux: `FBENCH_PROC=0` (fbench asks ps and lsof
 * though /proc is there), and a system without /proc — a private mount namespace covering it, as
 * the machine's notes say — where fbench finds none and ps and lsof (which need /proc on Linux)
 * are run in this test's own mount namespace, as macOS's own ps and lsof need no /proc.
 */
function noProcPrefix(): string[] {
  const root = mkdtempSync(path.join(tmpdir(), 'fbench-noproc-'));
  cleanups.push(() => rmSync(root, { recursive: true, force: true }));
  const real = path.join(root, 'real');
  const bin = path.join(root, 'bin');
  mkdirSync(real);
  mkdirSync(bin);
  for (const tool of ['ps', 'lsof']) {
    writeFileSync(path.join(bin, tool), `#!/bin/sh\nexec nsenter --mount=${real}/${process.pid}/ns/mnt -- /usr/bin/${tool} "$@"\n`, { mode: 0o755 });
  }
  const script = `mount -t proc proc '${real}' && mount -t tmpfs none /proc && PATH='${bin}':"$PATH" exec "$@"`;
  return ['unshare', '-m', '--propagation', 'private', 'sh', '-c', script, 'sh'];
}

const WAYS = [
  { way: 'FBENCH_PROC=0 (ps and lsof asked on Linux)', opts: () => ({ env: { FBENCH_PROC: '0' } }) },
  { way: 'no /proc at all (a mount namespace covers it)', opts: () => ({ prefix: noProcPrefix() }) },
];

describe('where there is no /proc, as on macOS', { timeout: 120_000 }, () => {
  for (const { way, opts } of WAYS) {
    test(`${way}: the sample bench is ready (web and socketio listening, workers registered), ps has CPU and RSS, nothing is left after Ctrl-C`, async () => {
      const b = await tempSampleBench();
      cleanups.push(b.cleanup);
      const run = fbench(['start', '--bench', b.dir, '--no-timestamps'], opts());
      await run.waitFor(/ready in \d+ ms/, 30_000);
      assert.match(run.output, new RegExp(`web\\.1 ready: listening on :${b.ports.web}`));
      assert.match(run.output, new RegExp(`socketio\\.1 ready: listening on :${b.ports.socketio}`));
      const ps = JSON.parse((await finished(['ps', '--json', '--bench', b.dir])).out) as { name: string; rssBytes: number | null; cpuPercent: number | null }[];
      const web = ps.find((p) => p.name === 'web.1')!;
      assert.ok(web.rssBytes !== null && web.rssBytes > 1_000_000, JSON.stringify(web));
      assert.ok(web.cpuPercent !== null, JSON.stringify(web));
      const pids = [...run.startedPids().values()];
      assert.ok(pids.length >= 8, run.output);
      run.signal('SIGINT');
      assert.equal((await run.exited).code, 130, run.output.slice(-2000));
      assert.deepEqual(await survivors(pids, 3000), []);
    });

    test(`${way}: a setsid work horse and a double-forked daemon are found by their marker and stopped (Ctrl-C, kill -9)`, async () => {
      for (const how of ['Ctrl-C', 'kill -9'] as const) {
        const tag = `noproc-${how.replace(/\W/g, '')}-${process.pid}-${way.length}`;
        const b = makeBench({
          Procfile: `w: ${SYSTEM_PYTHON} -u horse.py ${tag}\nd: ${SYSTEM_PYTHON} -u daemon.py ${tag}\n`,
          'horse.py': HORSE,
          'daemon.py': DAEMON,
        });
        cleanups.push(b.cleanup);
        const run = fbench(['start', '--bench', b.dir, '--grace', '2'], opts());
        const horse = Number((await run.waitFor(/horse (\d+)/))[1]);
        const daemon = Number((await run.waitFor(/daemon (\d+)/))[1]);
        await run.waitFor(new RegExp(`d\\.1 exited, leaving pid ${daemon} \\(.*daemon\\.py ${tag}\\) running; it is stopped with the bench`));
        run.signal(how === 'Ctrl-C' ? 'SIGINT' : 'SIGKILL');
        await run.exited;
        assert.deepEqual(await survivors([horse, daemon], 8000), [], `${how}: ${run.output.slice(-1500)}`);
        assert.deepEqual(pidsMatching(tag), []);
      }
    });
  }

  test('FBENCH_PROC=0: a web port held by another program is refused, naming its pid and command', async () => {
    const b = await tempSampleBench();
    cleanups.push(b.cleanup);
    const holder = spawn(process.execPath, ['-e', `require('net').createServer().listen(${b.ports.web}, '127.0.0.1')`], { stdio: 'ignore' });
    cleanups.push(() => holder.kill('SIGKILL'));
    await listening(b.ports.web);
    const { code, out } = await finished(['start', '--bench', b.dir], { env: { FBENCH_PROC: '0' } });
    assert.equal(code, 1, out);
    assert.match(out, new RegExp(`web\\.1: port ${b.ports.web} is held by pid ${holder.pid} \\(.*node -e .*\\); web\\.1 could not listen there`));
    assert.doesNotMatch(out, /started \(pid/);
  });
});
