import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { describe, test } from 'node:test';
import { ask } from '../../src/client/control-client.js';
import { messageWith } from '../../src/session/control-protocol.js';
import { planBench } from '../../src/session/planning.js';
import { Session } from '../../src/session/session.js';
import { sessionFiles } from '../../src/session/session-files.js';
import { makeBench } from '../helpers/bench-fixture.js';
import { FakeClock, FakeProcess } from '../helpers/fakes.js';

/**
 * A whole Session (pid file, control socket, supervisor, reporter, session log) over fake
 * processes and a virtual clock: what `fbench start` does, minus real programs and real time.
 */
async function session(procfile: string) {
  const bench = makeBench({ Procfile: procfile, 'sites/common_site_config.json': '{}\n' });
  const planned = await planBench({ bench: bench.dir }, { PATH: '/usr/bin' });
  const clock = new FakeClock();
  const procs = new Map<string, FakeProcess>();
  const out: Buffer[] = [];
  const s = new Session({
    kind: 'start',
    planned,
    supervision: { exitOnCrash: false, readyTimeoutS: 30, reload: false, followLogs: false, tasks: false },
    output: { prefix: true, timestamps: false, color: false },
    env: {},
    seams: {
      clock,
      createProcess: (spec) => {
        const p = new FakeProcess(spec, [], clock);
        procs.set(spec.name, p);
        return p;
      },
      stdout: { write: (c, done) => (out.push(Buffer.from(c)), done(), true), once: () => undefined },
      terminal: { isTTY: false, rows: 24, stdinTTY: false },
    },
  });
  const text = (): string => Buffer.concat(out).toString();
  /** Virtual time passes, with real I/O (the socket, the log file) between its steps. */
  const pass = async (ms: number): Promise<void> => {
    for (let t = 0; t < ms; t += 100) {
      await clock.advance(Math.min(100, ms - t));
      await new Promise((r) => setTimeout(r, 1));
    }
  };
  return { s, bench, clock, procs, text, pass, files: sessionFiles(bench.dir, 'start') };
}

describe('a whole session, in virtual time', { timeout: 20_000 }, () => {
  test('ready, then Ctrl-C: one TERM each, everything said, exit 130, its pid file and socket gone', async () => {
    const { s, bench, procs, text, pass, files } = await session('a: sleep 1000\nb: sleep 1000\n');
    try {
      const ended = s.untilEnd();
      await pass(1500);
      assert.match(text(), /ready in \d+ ms/);
      assert.ok(existsSync(files.pid), 'the pid file is held while it runs');
      process.emit('SIGINT', 'SIGINT');
      await pass(1000);
      assert.equal(await ended, 130);
      assert.deepEqual(procs.get('a.1')!.signals, ['TERM']);
      assert.deepEqual(procs.get('b.1')!.signals, ['TERM']);
      assert.match(text(), /SIGINT received: stopping/);
      assert.ok(!existsSync(files.pid) && !existsSync(files.socket), 'nothing of the session is left');
      assert.match(text(), /a\.1 stopped/);
    } finally {
      bench.cleanup();
    }
  });

  test('a crash is restarted after its backoff, said once; `fbench stop` over the real socket ends the session with 0', async () => {
    const { s, bench, procs, text, pass, files } = await session('a: sleep 1000\n');
    try {
      const ended = s.untilEnd();
      await pass(1500);
      procs.get('a.1')!.exitWith(3);
      await pass(200);
      assert.match(text(), /^system \| a\.1 exit code 3; restarting in 1 s$/m);
      assert.equal(procs.get('a.1')!.spawns, 1, 'not before its backoff');
      await pass(1000);
      assert.equal(procs.get('a.1')!.spawns, 2);
      await pass(1500); // kept running a second: started again
      const asked = ask(files.socket, { cmd: 'ps' }); // its CPU sample spans a moment of the session's clock
      await pass(1500);
      const ps = messageWith(await asked, 'processes')!.processes;
      assert.deepEqual(
        ps.map((p) => [p.name, p.state, p.restarts]),
        [['a.1', 'ready', 1]],
      );
      const stopping = ask(files.socket, { cmd: 'stop', names: [] });
      await pass(1000);
      assert.ok(messageWith(await stopping, 'stopping'));
      assert.equal(await ended, 0);
      assert.match(text(), /stop requested \(fbench stop\)/);
      assert.ok(!existsSync(files.socket));
    } finally {
      bench.cleanup();
    }
  });
});
