import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { makeBench } from '../helpers/bench-fixture.js';
import { FbenchRun, pidsMatching } from '../helpers/fbench-run.js';
import { SYSTEM_PYTHON } from '../helpers/real-programs.js';
import { testScope } from '../helpers/scope.js';

const { runs, cleanups } = testScope();

/** A process whose SIGTERM handler takes 3 s, printing its version: how many copies run is counted by their marker. */
const W = `import signal, sys, time
version = sys.argv[1]
print('up', version, flush=True)
def term(*_):
    time.sleep(3)
    print('done', version, flush=True)
    sys.exit(0)
signal.signal(signal.SIGTERM, term)
while True:
    time.sleep(1)
`;

/** Never two copies at once: sampled every 25 ms while `during` runs; the versions seen running. */
async function atMostOne(marker: string, during: () => Promise<void>): Promise<number> {
  let most = 0;
  let done = false;
  const sampling = (async () => {
    while (!done) {
      most = Math.max(most, pidsMatching(marker).length);
      await new Promise((r) => setTimeout(r, 25));
    }
  })();
  try {
    await during();
  } finally {
    done = true;
    await sampling;
  }
  return most;
}

async function session(): Promise<{ dir: string; run: FbenchRun; marker: string; procfile: (v: string | null) => void }> {
  const marker = `w-${process.pid}-${Math.random().toString(36).slice(2, 8)}.py`;
  const b = makeBench({ Procfile: `w: ${SYSTEM_PYTHON} -u ${marker} V1\n`, [marker]: W });
  cleanups.push(b.cleanup);
  const run = new FbenchRun(['start', '--bench', b.dir, '--no-timestamps']);
  runs.push(run);
  await run.waitFor(/watching .*Procfile/);
  const procfile = (v: string | null): void =>
    writeFileSync(path.join(b.dir, 'Procfile'), v === null ? 'other: sleep 1000\n' : `w: ${SYSTEM_PYTHON} -u ${marker} ${v}\n`);
  return { dir: b.dir, run, marker, procfile };
}

const fbench = async (args: string[]): Promise<{ code: number | null; out: string }> => {
  const r = new FbenchRun(args);
  runs.push(r);
  const { code } = await r.exited;
  return { code, out: r.output };
};

describe('one edit or command at a time: re-planning and control of one process are ordered', { timeout: 60_000 }, () => {
  test('removed from the Procfile and put back 0.5 s later, while its stop takes 3 s: fbench carries on, one copy runs', async () => {
    const s = await session();
    const most = await atMostOne(s.marker, async () => {
      s.procfile(null);
      await new Promise((r) => setTimeout(r, 500));
      s.procfile('V1');
      await s.run.waitFor(/w\.1 +\| up V1[\s\S]*w\.1 +\| done V1[\s\S]*w\.1 +\| up V1/, 20_000);
    });
    assert.equal(most, 1, 'never two copies');
    assert.equal(s.run.child.exitCode, null, `fbench is still running:\n${s.run.output.slice(-2000)}`);
    assert.doesNotMatch(s.run.output, /duplicate service|internal error/);
    assert.equal(pidsMatching(s.marker).length, 1);
    await s.run.stop();
  });

  test('its command changed twice 0.4 s apart: the last one runs, once', async () => {
    const s = await session();
    const most = await atMostOne(s.marker, async () => {
      s.procfile('V2');
      await new Promise((r) => setTimeout(r, 400));
      s.procfile('V3');
      await s.run.waitFor(/w\.1 +\| up V3/, 20_000);
      await new Promise((r) => setTimeout(r, 500));
    });
    assert.equal(most, 1, 'never two copies');
    assert.doesNotMatch(s.run.output, /up V2[\s\S]*up V3[\s\S]*done V2|duplicate service|internal error/);
    assert.equal(s.run.child.exitCode, null);
    await s.run.stop();
  });

  test('its command edited while `fbench restart` waits for it to stop: one copy runs, of the new command, and ps lists it', async () => {
    const s = await session();
    const most = await atMostOne(s.marker, async () => {
      const restart = fbench(['restart', 'w', '--bench', s.dir]);
      await s.run.waitFor(/restart of w\.1 requested/);
      await new Promise((r) => setTimeout(r, 300));
      s.procfile('V2');
      await restart;
      await s.run.waitFor(/w\.1 +\| up V2/, 20_000);
      await new Promise((r) => setTimeout(r, 500));
    });
    assert.equal(most, 1, 'never two copies');
    assert.equal(pidsMatching(s.marker).length, 1);
    assert.match(readFileSync(`/proc/${pidsMatching(s.marker)[0]}/cmdline`, 'utf8'), /V2/);
    const ps = JSON.parse((await fbench(['ps', '--json', '--bench', s.dir])).out) as { name: string }[];
    assert.deepEqual(
      ps.map((p) => p.name),
      ['w.1'],
    );
    await s.run.stop();
  });

  test('`fbench restart w`, then `fbench stop w` 0.5 s later: the stop wins, and answers once w is gone', async () => {
    const s = await session();
    const restart = fbench(['restart', 'w', '--bench', s.dir]);
    await s.run.waitFor(/restart of w\.1 requested/);
    await new Promise((r) => setTimeout(r, 500));
    const stop = await fbench(['stop', 'w', '--bench', s.dir]);
    assert.equal(stop.code, 0, stop.out);
    assert.match(stop.out, /stopped w\.1/);
    assert.deepEqual(pidsMatching(s.marker), [], 'gone when stop answers');
    const r = await restart;
    assert.equal(r.code, 1, r.out);
    assert.match(r.out, /w\.1 did not start again: it was stopped meanwhile \(fbench stop\)/);
    await new Promise((res) => setTimeout(res, 1500));
    assert.deepEqual(pidsMatching(s.marker), [], 'not started again');
    assert.doesNotMatch(s.run.output.slice(s.run.output.indexOf('stop of w.1')), /w\.1 started/);
    await s.run.stop();
  });
});
