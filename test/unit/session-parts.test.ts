import assert from 'node:assert/strict';
import { appendFileSync, mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { Printer } from '../../src/output/printer.js';
import type { PlanDiff } from '../../src/plan/diff.js';
import type { Plan, PlanProcess } from '../../src/plan/types.js';
import type { Planned } from '../../src/session/planning.js';
import { Replanner } from '../../src/session/replanner.js';
import { Reporter } from '../../src/session/reporter.js';
import { LogRing } from '../../src/runtime/log-ring.js';
import { Supervisor } from '../../src/runtime/supervisor.js';
import { CodeReload } from '../../src/session/code-reload.js';
import { SessionControl } from '../../src/session/control.js';
import { connect } from '../../src/client/control-client.js';
import { messageWith, type ControlMessage } from '../../src/session/control-protocol.js';
import { followedLogs, LogTails } from '../../src/session/log-tails.js';
import { planBench } from '../../src/session/planning.js';
import { ServiceBuilder } from '../../src/session/services.js';
import { SAMPLE } from '../helpers/sample-bench.js';
import { FakeClock, FakeProcess, processSpec, settle } from '../helpers/fakes.js';
import { gate, setup } from '../helpers/fake-supervisor.js';
import type { BenchModel } from '../../src/frappe/bench-model.js';

/** A printer whose lines are kept, as the terminal would show them. */
function lines(): { printer: Printer; text: () => string[] } {
  const out: Buffer[] = [];
  const printer = new Printer(
    { write: (c, done) => (out.push(Buffer.from(c)), done(), true), once: () => undefined },
    { prefix: true, timestamps: false, color: false, names: ['worker.1', 'web.1'] },
  );
  return {
    printer,
    text: () => {
      printer.flush();
      return Buffer.concat(out)
        .toString()
        .split('\n')
        .filter(Boolean)
        .map((l) => l.replace(/^system +\| /, ''));
    },
  };
}

const proc = (name: string, command: string, extra: Partial<PlanProcess> = {}): PlanProcess =>
  ({
    name,
    type: name.split('.')[0]!,
    role: 'other',
    command,
    cwd: '/b',
    env: {},
    port: null,
    queues: null,
    dependsOn: [],
    ...extra,
  }) as unknown as PlanProcess;
const plan = (...processes: PlanProcess[]): Plan =>
  ({ bench: '/b', procfile: '/b/Procfile', env: {}, processes, externals: [], warnings: [] }) as unknown as Plan;
const planned = (p: Plan): Planned => ({ plan: p, model: {} }) as unknown as Planned;

describe('the re-planner, in virtual time', () => {
  /** A session whose applies wait until released, recording each. */
  function session(first: Plan): { target: ConstructorParameters<typeof Replanner>[0]; applied: PlanDiff[]; release: () => void; text: () => string[] } {
    let current = first;
    const applied: PlanDiff[] = [];
    let gate: (() => void) | null = null;
    const { printer, text } = lines();
    return {
      applied,
      text,
      release: () => gate?.(),
      target: {
        plan: () => current,
        model: () => planned(first).model,
        saved: () => {},
        printer,
        clock: new FakeClock(),
        applyPlan: async (next, diff) => {
          applied.push(diff);
          await new Promise<void>((r) => (gate = r));
          current = next.plan;
        },
      },
    };
  }

  test('edits during an apply wait for it; the edits that pile up meanwhile are one re-plan of the files as they are then', async () => {
    let version = 1;
    const s = session(plan(proc('w.1', 'sleep 1')));
    const builds: number[] = [];
    const r = new Replanner(s.target, async () => (builds.push(version), planned(plan(proc('w.1', `sleep ${version}`)))), ['/b/Procfile']);
    version = 2;
    const first = r.request(['/b/Procfile']);
    await settle();
    assert.equal(s.applied.length, 1);
    version = 3;
    void r.request(['/b/Procfile']);
    version = 4;
    void r.request(['/b/sites/common_site_config.json']);
    await settle();
    assert.equal(s.applied.length, 1, 'nothing else applied while the first apply waits');
    s.release();
    await settle();
    assert.deepEqual(builds, [2, 4], 'one re-plan for the two edits, of the files as they are when it runs');
    s.release();
    await first;
    assert.deepEqual(
      s.text().filter((l) => / changed/.test(l)),
      ['Procfile changed: restarting w.1 (command changed)', 'Procfile, sites/common_site_config.json changed: restarting w.1 (command changed)'],
    );
    await r.close();
  });

  test('a plan that does not build is a warning; what runs is kept (nothing applied)', async () => {
    const s = session(plan(proc('w.1', 'sleep 1')));
    const r = new Replanner(s.target, () => Promise.reject(new Error('Procfile:3: a line without a name')), ['/b/Procfile']);
    await r.request(['/b/Procfile']);
    assert.equal(s.applied.length, 0);
    assert.ok(
      s.text().some((l) => /^warning: Procfile changed, but it does not plan: Procfile:3: a line without a name; keeping what runs$/.test(l)),
      s.text().join('\n'),
    );
  });
});

describe('the reporter, in virtual time, over the real supervisor', () => {
  const doing = { waitingFor: 'finish jobs.slow (job site::1, running 5 s, timeout 300 s)', ifKilled: 'the job site::1 (jobs.slow) was lost' };

  test('a stop that waits for a job is said at once and again every 10 s while it lasts; a kill names the job lost', async () => {
    const { sup, clock, proc: fake } = setup([{ name: 'worker.1', graceMs: 25_000, work: () => Promise.resolve(doing) }]);
    const { printer, text } = lines();
    const rep = new Reporter(sup, printer, { plan: () => plan(proc('worker.1', 'bench worker', { role: 'worker' })), quietStartup: false, clock });
    rep.start();
    sup.start();
    await settle();
    fake('worker.1').ignoresTerm = true; // its job outlasts the grace
    const stopped = sup.shutdown(0);
    for (let s = 0; s <= 30; s++) await clock.advance(1000);
    await stopped;
    const said = text().filter((l) => l.startsWith('waiting for'));
    assert.equal(said.length, 3, said.join('\n')); // at 0, 10 and 20 s
    assert.equal(
      said[0],
      'waiting for worker.1 to finish jobs.slow (job site::1, running 5 s, timeout 300 s) — Ctrl-C again to kill it (the job will be lost)',
    );
    assert.ok(text().includes('error: worker.1 was killed: its grace ran out, and the job site::1 (jobs.slow) was lost'), text().join('\n'));
    rep.close();
  });

  test('the ready line: Redis, ports, workers, and where to open the site; a wait says its reason after 2 s, then every 10 s', async () => {
    const redis = gate();
    const { sup, clock } = setup([
      { name: 'redis_queue.1', gating: true, probe: redis.probe },
      { name: 'web.1', probe: () => Promise.resolve('listening on :8000') },
      { name: 'worker.1', dependsOn: ['redis_queue.1'], probe: () => Promise.resolve('registered on default') },
    ]);
    const { printer, text } = lines();
    const p = plan(
      proc('redis_queue.1', 'redis-server', { role: 'redis' }),
      proc('web.1', 'bench serve', { role: 'web', port: 8000 }),
      proc('worker.1', 'bench worker', { role: 'worker' }),
    );
    const rep = new Reporter(sup, printer, { plan: () => p, quietStartup: false, clock, site: () => 'http://erp.localhost:8000' });
    rep.start();
    sup.start();
    await settle();
    // What a Redis says while it loads its data: its probe's note, the reason it is not ready.
    const loading = 'LOADING Redis is loading the dataset in memory';
    redis.note(loading);
    await clock.advance(1500);
    redis.note(loading);
    assert.ok(!text().some((l) => /not ready yet/.test(l)), 'a wait under 2 s is not said');
    await clock.advance(1000);
    redis.note(loading);
    await clock.advance(5000);
    redis.note(loading);
    await clock.advance(5000);
    redis.note(loading);
    assert.equal(text().filter((l) => l === `redis_queue.1 not ready yet: ${loading}`).length, 2, text().join('\n'));
    redis.pass();
    await settle();
    await clock.advance(10);
    assert.ok(
      text().some((l) => /^ready in \d+ ms: redis_queue\.1 PONG; web\.1 :8000; worker\.1 registered — open http:\/\/erp\.localhost:8000$/.test(l)),
      text().join('\n'),
    );
    rep.close();
    void sup.shutdown(0);
    await clock.advance(60_000);
  });
});

describe('a move the state machine refuses', () => {
  test("is said as fbench's own bug, in one warning line, and the bench runs on", () => {
    const sup = new Supervisor(
      [],
      { exitOnCrash: false, readyTimeoutMs: 1000, startupNeedsAll: false },
      { createProcess: () => undefined as never, clock: new FakeClock() },
    );
    const { printer, text } = lines();
    const rep = new Reporter(sup, printer, { plan: () => plan(), quietStartup: false, clock: new FakeClock() });
    rep.start();
    sup.emit('refused-move', { name: 'redis_cache.1', from: 'stopped', to: 'failed' });
    assert.deepEqual(
      text().filter((l) => l.includes('internal:')),
      ["warning: internal: redis_cache.1 stays stopped (a late move to failed was refused); a bug of fbench's: please report it with logs/fbench.log"],
    );
    rep.close();
  });
});

describe('the service builder: what the supervisor runs for each process of a plan', () => {
  test("graces by role (a worker its queues' timeout + 60 s, Redis 30 s and keeps its data), working folders, environment, stop ranks, handover, quiet", async () => {
    const { plan: p, model } = await planBench({ bench: SAMPLE }, { PATH: '/usr/bin' });
    const ctx = { membersOf: () => [], clock: new FakeClock(), naming: model.queues, onLoading: () => {} };
    const specs = new ServiceBuilder(ctx).build(p, model, { quiet: ['watch'], env: { FORCE_COLOR: '1' } });
    const get = (n: string): (typeof specs)[number] => specs.find((s) => s.name === n)!;
    assert.equal(get('worker.1').process!.graceMs, (1500 + 60) * 1000, 'long: 1500 s');
    assert.equal(get('worker_email.1').process!.graceMs, (600 + 60) * 1000, 'email: its workers.email.timeout, 600 s');
    assert.equal(get('redis_queue.1').process!.graceMs, 30_000);
    assert.equal(get('redis_queue.1').stop.keepsData, true);
    assert.equal(get('web.1').process!.graceMs, 5000);
    assert.equal(get('web.1').process!.cwd, SAMPLE);
    assert.equal(get('web.1').process!.env.DEV_SERVER, 'true');
    assert.equal(get('web.1').process!.env.FORCE_COLOR, '1');
    assert.equal(get('web.1').process!.env.PORT, '5200', "honcho's PORT: 5000 + 100 for each type before it");
    assert.equal(get('redis_queue.1').process!.stopRank, 1, 'what others depend on is stopped last by the watchdog');
    assert.equal(get('worker.1').process!.stopRank, 0);
    assert.equal(get('worker.1').handover, true);
    assert.equal(get('web.1').handover, undefined);
    assert.equal(get('watch.1').process!.show, false, '--quiet watch');
    assert.equal(get('redis_queue.1').gating, true);
    assert.deepEqual(get('web.1').startAfter, [], 'web starts with Redis (it reaches it only when it serves)');
  });
});

describe('code reload, in virtual time', () => {
  test('a burst of .py saves on a polled apps/ is one restart of the roles that reload, 250 ms after the last', async () => {
    const bench = mkdtempSync(path.join(tmpdir(), 'fbench-reload-'));
    try {
      const code = path.join(bench, 'apps', 'app', 'app');
      mkdirSync(code, { recursive: true });
      for (const f of ['a.py', 'b.py', 'c.py', 'd.js']) writeFileSync(path.join(code, f), '# 1\n');
      const clock = new FakeClock();
      const restarts: { names: string[]; why: string }[] = [];
      const { printer } = lines();
      const p = {
        ...plan(
          proc('web.1', 'bench serve', { role: 'web' }),
          proc('worker.1', 'bench worker', { role: 'worker' }),
          proc('schedule.1', 'bench schedule', { role: 'schedule' }),
        ),
        bench,
      };
      let toml: { reloadPython: boolean } | null = null;
      let saves = 0;
      const session = {
        plan: () => p,
        model: () => ({ benchToml: toml }) as unknown as BenchModel,
        printer,
        clock,
        restart: async (names: string[], why: string) => void restarts.push({ names, why }),
        saved: () => void saves++,
      };
      toml = { reloadPython: false };
      assert.equal(await new CodeReload(session, ['worker', 'schedule'], undefined, true).start(), 'no .py changes: bench.toml sets reload_python = false');
      toml = null;
      const reload = new CodeReload(session, ['worker', 'schedule', 'socketio'], undefined, true);
      assert.match((await reload.start())!, /^apps\/ for \.py changes \(3 folders; restarting worker, then schedule; polled every 2 s: asked with --poll\)$/);
      const later = new Date(Date.now() + 5000);
      for (const f of ['a.py', 'b.py', 'c.py', 'd.js']) utimesSync(path.join(code, f), later, later);
      await clock.advance(2000); // the poll finds them
      assert.deepEqual(restarts, [], 'not before the burst has settled');
      await clock.advance(250);
      await settle();
      assert.deepEqual(restarts, [
        { names: ['worker.1'], why: 'apps/app/app/a.py and 2 more changed' },
        { names: ['schedule.1'], why: 'apps/app/app/a.py and 2 more changed' },
      ]);
      await clock.advance(10_000);
      assert.equal(restarts.length, 2, 'nothing changed since');
      assert.equal(saves, 1, 'one save seen (fbench errors --since save)');
      reload.close();
    } finally {
      rmSync(bench, { recursive: true, force: true });
    }
  });
});

describe('the session control, over its real socket, with fake processes in virtual time', () => {
  test('fbench stop NAME of a worker busy with a job: the client hears what the stop waits for, then that it stopped', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'fbench-control-'));
    const clock = new FakeClock();
    let worker: FakeProcess | null = null;
    const sup = new Supervisor(
      [
        {
          name: 'worker.1',
          dependsOn: [],
          process: { ...processSpec('worker.1'), graceMs: 360_000 },
          gating: false,
          critical: true,
          restart: 'on-failure',
          stop: { keepsData: false },
          work: async () => ({ waitingFor: 'finish jobs.slow (job site::1, running 5 s, timeout 300 s)', ifKilled: 'the job site::1 was lost' }),
        },
      ],
      {
        exitOnCrash: false,
        readyTimeoutMs: 30_000,
        backoff: { initialMs: 1000, maxMs: 30_000, resetAfterMs: 60_000, loopWarningAt: 3 },
        startupNeedsAll: false,
      },
      { clock, createProcess: (spec) => (worker = new FakeProcess(spec, [], clock)) },
    );
    const { printer } = lines();
    const session = {
      kind: 'start',
      startedAt: 0,
      clock,
      printer,
      systemRing: new LogRing(),
      plan: () => plan(proc('worker.1', 'bench worker', { role: 'worker' })),
      supervisor: () => sup,
      prompts: () => null,
      ports: () => [],
      stop: () => {},
      debugPort: () => null,
    } as unknown as ConstructorParameters<typeof SessionControl>[1];
    const control = new SessionControl({ socket: path.join(dir, 's.sock'), pointer: path.join(dir, 'fbench.sock') }, session);
    try {
      control.start();
      sup.start();
      await settle();
      worker!.termDelayMs = 12_000; // its job takes 12 s more
      const heard: ControlMessage<'stop'>[] = [];
      const conn = connect(path.join(dir, 'fbench.sock'), { cmd: 'stop', names: ['worker'] }, (m) => heard.push(m));
      for (let i = 0; i < 50 && !messageWith(heard, 'say'); i++) {
        await clock.advance(1000);
        await new Promise((r) => setTimeout(r, 5)); // the socket's bytes are real I/O
      }
      assert.equal(messageWith(heard, 'say')?.say, 'waiting for worker.1 to finish jobs.slow (job site::1, running 5 s, timeout 300 s)');
      for (let i = 0; i < 50 && !messageWith(heard, 'names'); i++) {
        await clock.advance(1000);
        await new Promise((r) => setTimeout(r, 5));
      }
      await conn.done;
      assert.deepEqual(heard.at(-1), { ok: true, names: ['worker.1'] });
      assert.deepEqual(worker!.signals, ['TERM'], 'one TERM, and the job was let finish');
    } finally {
      control.close(0);
      void sup.shutdown(0);
      await clock.advance(60_000);
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('log tails: the files compound lines write themselves, followed into the stream', () => {
  test('followed under the one process writing each (else the file), never a file fbench writes itself; a re-plan follows what the new plan writes, from its first line', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'fbench-tails-'));
    try {
      const log = (f: string): string => path.join(dir, f);
      for (const f of ['worker.log', 'shared.log', 'own.log', 'later.log']) writeFileSync(log(f), '');
      const exec = (stdout: unknown = 'fbench'): object => ({ exec: { command: 'x', stdout, stderr: 'fbench' }, cwd: dir });
      let current = plan(
        proc('worker.1', 'sh -c "bench worker >> worker.log"', { ...exec(), logFiles: [log('worker.log'), log('shared.log')] }),
        proc('schedule.1', 'sh -c "bench schedule >> shared.log"', { ...exec(), logFiles: [log('shared.log')] }),
        proc('web.1', 'bench serve 1>> own.log', { ...exec({ file: 'own.log' }), logFiles: [log('own.log')] }),
      );
      assert.deepEqual(
        followedLogs(current),
        new Map([
          [log('worker.log'), 'worker.1'],
          [log('shared.log'), 'shared.log'],
        ]),
      );
      const { printer, text } = lines();
      const clock = new FakeClock();
      const tails = new LogTails({ plan: () => current, supervisor: () => null, printer, clock }, true);
      tails.start();
      appendFileSync(log('worker.log'), 'job done\n');
      appendFileSync(log('own.log'), 'fbench wrote this one\n');
      const until = async (re: RegExp): Promise<void> => {
        for (let i = 0; i < 20 && !text().some((l) => re.test(l)); i++) await clock.advance(100); // the tails look every 100 ms of the clock
      };
      await until(/job done/);
      assert.ok(
        text().some((l) => /^worker\.1 +\| job done$/.test(l)),
        text().join('\n'),
      );
      current = plan(proc('worker.1', 'sh -c "bench worker >> later.log"', { ...exec(), logFiles: [log('later.log')] }));
      tails.sync();
      appendFileSync(log('worker.log'), 'not followed any more\n');
      appendFileSync(log('later.log'), 'from the new plan\n');
      await until(/from the new plan/);
      assert.ok(
        text().some((l) => /^worker\.1 +\| from the new plan$/.test(l)),
        text().join('\n'),
      );
      assert.ok(!text().some((l) => /not followed any more|fbench wrote this one/.test(l)), text().join('\n'));
      tails.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
