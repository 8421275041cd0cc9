import assert from 'node:assert/strict';
import { chmodSync } from 'node:fs';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { makeBench } from '../helpers/bench-fixture.js';
import { FbenchRun, survivors } from '../helpers/fbench-run.js';

const cleanups: (() => void)[] = [];
const runs: FbenchRun[] = [];
after(async () => {
  for (const r of runs) if (r.child.exitCode === null && r.child.signalCode === null) r.signal('SIGKILL');
  cleanups.forEach((c) => c());
});

// Writes `count` lines "TAG:seq:xxxx" (lengths vary, some 20 KB long) in randomly cut writes,
// so lines arrive split across pipe reads.
const EMIT = `
const [tag, count] = [process.argv[2], Number(process.argv[3])];
let all = '';
for (let i = 0; i < count; i++) all += tag + ':' + i + ':' + 'x'.repeat(i % 97 === 0 ? 20000 : i % 40) + '\\n';
let pos = 0;
(function next() {
  while (pos < all.length) {
    const n = 1 + Math.floor(Math.random() * 9000);
    const ok = process.stdout.write(all.slice(pos, pos + n));
    pos += n;
    if (!ok) return process.stdout.once('drain', next);
  }
})();
`;

function bench(procfile: string, files: Record<string, string> = {}): string {
  const b = makeBench({ Procfile: procfile, 'emit.js': EMIT, ...files });
  cleanups.push(b.cleanup);
  return b.dir;
}

function start(dir: string, ...args: string[]): FbenchRun {
  const r = new FbenchRun(['start', '--bench', dir, '--no-timestamps', ...args]);
  runs.push(r);
  return r;
}

describe('fbench start: output', () => {
  test('every line of several fast processes arrives whole, once and in order', async () => {
    const N = 30_000;
    const dir = bench(`a: node emit.js a ${N}\nb: node emit.js b ${N}\nc: node emit.js c ${N} 1>&2\n`);
    const run = start(dir);
    const { code } = await run.exited;
    assert.equal(code, 0, run.output.slice(-2000));
    const seen: Record<string, number> = { a: 0, b: 0, c: 0 };
    for (const line of run.output.split('\n')) {
      const m = /^(\w)\.1 +\| (.*)$/.exec(line);
      if (!m) continue;
      const [, proc, body] = m;
      const parts = /^(\w):(\d+):(x*)$/.exec(body!);
      assert.ok(parts, `torn or merged line from ${proc}: ${JSON.stringify(body!.slice(0, 120))}`);
      assert.equal(parts[1], proc, `a line of ${parts[1]} under the prefix of ${proc}`);
      const seq = Number(parts[2]);
      assert.equal(seq, seen[proc!], `${proc}: expected line ${seen[proc!]}, got ${seq}`);
      assert.equal(parts[3]!.length, seq % 97 === 0 ? 20000 : seq % 40, `${proc}: line ${seq} has the wrong length`);
      seen[proc!]!++;
    }
    assert.deepEqual(seen, { a: N, b: N, c: N });
    assert.match(run.output, /system +\| a\.1 exit code 0 \(finished; not restarted\)/);
  });

  test('a partial line (a debugger prompt) shows without waiting for its newline; the last partial line is flushed at exit', async () => {
    const dir = bench(`pdb: printf '(Pdb) '; sleep 30\nshort: printf 'no newline at the end'\n`);
    const run = start(dir);
    await run.waitFor(/pdb\.1 +\| \(Pdb\) \n/);
    await run.waitFor(/short\.1 +\| no newline at the end\n/);
    const { code } = await run.stop();
    assert.equal(code, 130);
  });

  test('--no-prefix prints the child lines bare', async () => {
    const dir = bench(`hello: echo hello world\n`);
    const run = start(dir, '--no-prefix');
    await run.exited;
    assert.match(run.output, /^hello world$/m);
  });
});

describe('fbench start: crashes', () => {
  test('a crashing process is restarted with a growing backoff; the others keep running', async () => {
    const dir = bench(`crash: echo boom; exit 3\nsteady: sleep 100\n`);
    const run = start(dir);
    await run.waitFor(/crash\.1 exit code 3; restarting in 1 s/);
    const steadyPid = run.startedPids().get('steady.1');
    await run.waitFor(/crash\.1 exit code 3; restarting in 2 s/, 5000);
    assert.equal(run.startedPids().get('steady.1'), steadyPid);
    assert.equal((run.output.match(/steady\.1 started/g) ?? []).length, 1);
    await run.stop();
  });

  test('--exit-on-crash stops everything and exits with the code of the crash', async () => {
    const dir = bench(`crash: sleep 0.3; exit 3\nsteady: sleep 100\n`);
    const run = start(dir, '--exit-on-crash');
    const { code } = await run.exited;
    assert.equal(code, 3, run.output);
    const pids = [...run.startedPids().values()];
    assert.equal(pids.length, 2);
    assert.deepEqual(await survivors(pids, 0), []);
  });

  test('watch is never critical: its crash does not end an --exit-on-crash run', async () => {
    const dir = bench(`watch: bench watch\nsteady: sleep 100\n`, { 'env/bin/bench': '#!/bin/sh\nexit 1\n' });
    chmodSync(path.join(dir, 'env/bin/bench'), 0o755);
    const run = start(dir, '--exit-on-crash');
    await run.waitFor(/watch\.1 exit code 1; restarting in 1 s/);
    assert.equal(run.child.exitCode, null);
    await run.stop();
  });
});

describe('fbench start: stopping', () => {
  for (const [signal, code] of [
    ['SIGINT', 130],
    ['SIGTERM', 143],
    ['SIGHUP', 129],
  ] as const) {
    test(`${signal} stops every process group and exits ${code}`, async () => {
      const dir = bench(`a: sleep 100\nb: sh -c 'sleep 100 & wait'\n`);
      const run = start(dir);
      await run.waitFor(/b\.1 started/);
      await run.waitFor(/a\.1 started/);
      const pids = [...run.startedPids().values()];
      run.signal(signal);
      const r = await run.exited;
      assert.equal(r.code, code, run.output);
      assert.deepEqual(await survivors(pids, 0), []);
    });
  }

  test('a child that ignores SIGTERM, and its grandchild, are killed after the grace', async () => {
    const dir = bench(`stubborn: trap '' TERM; sleep 1000 & echo "grandchild $!"; wait; wait; wait\n`);
    const run = start(dir, '--grace', '1');
    const m = await run.waitFor(/grandchild (\d+)/);
    const pids = [...run.startedPids().values(), Number(m[1])];
    const t0 = Date.now();
    run.signal('SIGINT');
    const r = await run.exited;
    assert.equal(r.code, 130);
    assert.ok(Date.now() - t0 >= 900, 'SIGKILL came before the grace ran out');
    assert.deepEqual(await survivors(pids, 0), []);
  });

  test('after kill -9 of fbench, what stops on SIGTERM is gone within a second, and what ignores it at its grace', async () => {
    const dir = bench(`a: sleep 1000\nb: sleep 1000 & echo "grandchild $!"; wait\nstubborn: trap '' TERM; echo ready; sleep 1000\n`);
    const run = start(dir, '--grace', '2');
    const m = await run.waitFor(/grandchild (\d+)/);
    await run.waitFor(/stubborn\.1 +\| ready/);
    const started = run.startedPids();
    const stubborn = started.get('stubborn.1')!;
    const pids = [...started.values(), Number(m[1])];
    assert.equal(pids.length, 4);
    run.signal('SIGKILL');
    await run.exited;
    assert.deepEqual(
      await survivors(
        pids.filter((p) => p !== stubborn),
        1000,
      ),
      [],
    );
    assert.deepEqual(await survivors([stubborn], 0), [stubborn], 'it has its grace, as under fbench');
    assert.deepEqual(await survivors([stubborn], 3000), []);
  });

  test('a second fbench start in the same bench refuses with the running pid', async () => {
    const dir = bench(`a: sleep 100\n`);
    const first = start(dir);
    await first.waitFor(/a\.1 started/);
    const second = start(dir);
    const r = await second.exited;
    assert.equal(r.code, 1);
    assert.match(second.output, new RegExp(`already running for this bench \\(pid ${first.child.pid}\\)`));
    await first.stop();
  });
});
