import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Supervisor, type ServiceSpec, type StateEvent } from '../../src/runtime/supervisor.js';
import { FakeClock, FakeProcess, settle } from '../helpers/fakes.js';

const backoff = { initialMs: 1000, maxMs: 30_000, resetAfterMs: 60_000, loopWarningAt: 3 };

/** A supervisor over fake processes and a fake clock; `gate` resolves the Redis probe. */
function setup(specs: Partial<ServiceSpec & { cmd: string }>[], opts: { graceMs?: number; exitOnCrash?: boolean } = {}) {
  const clock = new FakeClock();
  const log: string[] = [];
  const procs = new Map<string, FakeProcess>();
  const full: ServiceSpec[] = specs.map((s) => ({
    name: s.name!,
    dependsOn: s.dependsOn ?? [],
    process: { name: s.name!, command: s.cmd ?? 'x', cwd: '/', env: {} },
    gating: s.gating ?? false,
    critical: s.critical ?? true,
    ...(s.probe ? { probe: s.probe } : {}),
    ...(s.graceMs !== undefined ? { graceMs: s.graceMs } : {}),
    ...(s.stoppingHint ? { stoppingHint: s.stoppingHint } : {}),
  }));
  const sup = new Supervisor(
    full,
    { exitOnCrash: opts.exitOnCrash ?? false, graceMs: opts.graceMs ?? 5000, backoff },
    {
      clock,
      createProcess: (spec) => {
        const p = new FakeProcess(spec, log, clock);
        procs.set(spec.name, p);
        return p;
      },
    },
  );
  const events: StateEvent[] = [];
  sup.on('state', (e: StateEvent) => events.push(e));
  const states = (name: string): string[] => events.filter((e) => e.name === name).map((e) => e.state);
  return { sup, clock, log, proc: (n: string) => procs.get(n)!, states };
}

describe('Supervisor (fake processes, virtual clock)', { timeout: 10_000 }, () => {
  test('a process waits for its Redis to be healthy before it is spawned', async () => {
    let pass!: () => void;
    const probe = (): Promise<void> => new Promise((r) => (pass = r));
    const { sup, log } = setup([
      { name: 'redis.1', probe, gating: true },
      { name: 'worker.1', dependsOn: ['redis.1'] },
    ]);
    sup.start();
    await settle();
    assert.deepEqual(log, ['redis.1 up']);
    pass();
    await settle();
    assert.deepEqual(log, ['redis.1 up', 'worker.1 up']);
  });

  test('shutdown: one SIGTERM each; Redis gets its SIGTERM only once its dependents are gone', async () => {
    const { sup, clock, log, proc, states } = setup([
      { name: 'redis.1' },
      { name: 'worker.1', dependsOn: ['redis.1'] },
      { name: 'web.1', dependsOn: ['redis.1'] },
    ]);
    sup.start();
    await settle();
    proc('worker.1').termDelayMs = 3000; // finishing a job
    void sup.shutdown(130);
    await clock.advance(2999);
    assert.ok(!log.includes('redis.1 TERM'), log.join(', '));
    assert.deepEqual(states('worker.1').slice(-1), ['stopping'], 'not stopped while it runs');
    await clock.advance(1);
    assert.equal(await sup.done, 130);
    assert.deepEqual(log.slice(3), ['worker.1 TERM', 'web.1 TERM', 'web.1 done', 'worker.1 done', 'redis.1 TERM', 'redis.1 done']);
    for (const n of ['redis.1', 'worker.1', 'web.1']) assert.deepEqual(proc(n).signals, ['TERM'], n);
    assert.deepEqual(states('worker.1').slice(-2), ['stopping', 'stopped']);
  });

  test('a process that ignores SIGTERM is SIGKILLed when its grace is over, not before, and gets no second TERM', async () => {
    const { sup, clock, proc } = setup([{ name: 'a.1' }], { graceMs: 5000 });
    sup.start();
    await settle();
    proc('a.1').ignoresTerm = true;
    void sup.shutdown(130);
    await clock.advance(4999);
    assert.deepEqual(proc('a.1').signals, ['TERM']);
    await clock.advance(1);
    assert.deepEqual(proc('a.1').signals, ['TERM', 'KILL']);
    assert.equal(await sup.done, 130);
  });

  test("a Redis's own longer grace applies to it, and shutdown says what it waits for every second", async () => {
    const { sup, clock, proc } = setup(
      [
        { name: 'redis.1', graceMs: 30_000, stoppingHint: 'saving its data?' },
        { name: 'worker.1', dependsOn: ['redis.1'], stoppingHint: 'finishing a job?' },
      ],
      { graceMs: 2000 },
    );
    const said: string[] = [];
    sup.on('waiting', (w: { name: string; hint?: string }[]) => said.push(w.map((x) => `${x.name}${x.hint ? ` (${x.hint})` : ''}`).join(', ')));
    sup.start();
    await settle();
    proc('worker.1').termDelayMs = 1500;
    proc('redis.1').ignoresTerm = true;
    void sup.shutdown(130);
    await clock.advance(1000);
    assert.deepEqual(said, ['worker.1 (finishing a job?), redis.1']);
    await clock.advance(20_000);
    assert.deepEqual(proc('redis.1').signals, ['TERM'], 'not killed before its own 30 s');
    assert.equal(said.length, 21);
    assert.equal(said.at(-1), 'redis.1 (saving its data?)');
    await clock.advance(10_499); // its TERM came at 1.5 s, when the worker was gone
    assert.deepEqual(proc('redis.1').signals, ['TERM']);
    await clock.advance(1);
    assert.deepEqual(proc('redis.1').signals, ['TERM', 'KILL']);
    await sup.done;
  });

  test('a second shutdown kills what is left at once, even a Redis still waiting for its dependents', async () => {
    const { sup, clock, proc } = setup([{ name: 'redis.1' }, { name: 'worker.1', dependsOn: ['redis.1'] }]);
    sup.start();
    await settle();
    proc('worker.1').ignoresTerm = true;
    void sup.shutdown(130);
    await clock.advance(100);
    void sup.shutdown(130);
    await settle();
    assert.deepEqual(proc('worker.1').signals, ['TERM', 'KILL']);
    assert.deepEqual(proc('redis.1').signals, ['KILL']);
    assert.equal(await sup.done, 130);
  });

  test('restart: the new instance starts only after the old one is gone, and the old one gets one TERM', async () => {
    const { sup, clock, log, proc } = setup([{ name: 'w.1' }]);
    sup.start();
    await settle();
    proc('w.1').termDelayMs = 2000;
    const restarted = sup.restartService('w.1');
    await clock.advance(1999);
    assert.deepEqual(log, ['w.1 up', 'w.1 TERM']);
    await clock.advance(1);
    await restarted;
    await settle();
    assert.deepEqual(log, ['w.1 up', 'w.1 TERM', 'w.1 done', 'w.1 up']);
    assert.equal(proc('w.1').spawns, 2);
  });

  test('a crash is restarted after 1 s, then 2 s; a process that ran a minute is forgiven', async () => {
    const { sup, clock, proc, states } = setup([{ name: 'c.1' }]);
    sup.start();
    await settle();
    proc('c.1').exitWith(3);
    await clock.advance(999);
    assert.equal(proc('c.1').spawns, 1);
    await clock.advance(1);
    assert.equal(proc('c.1').spawns, 2);
    proc('c.1').exitWith(3);
    await clock.advance(1999);
    assert.equal(proc('c.1').spawns, 2);
    await clock.advance(1);
    assert.equal(proc('c.1').spawns, 3);
    await clock.advance(60_000);
    proc('c.1').exitWith(3);
    await clock.advance(1000);
    assert.equal(proc('c.1').spawns, 4);
    assert.ok(states('c.1').filter((s) => s === 'backoff').length === 3);
  });

  test('--exit-on-crash: a crash stops the others with one TERM each and ends with its code', async () => {
    const { sup, proc } = setup([{ name: 'a.1' }, { name: 'b.1' }], { exitOnCrash: true });
    sup.start();
    await settle();
    proc('a.1').exitWith(3);
    assert.equal(await sup.done, 3);
    assert.deepEqual(proc('b.1').signals, ['TERM']);
  });

  test('stopService keeps it down; "stopped" comes only after its exit', async () => {
    const { sup, clock, proc, states } = setup([{ name: 'a.1' }, { name: 'b.1' }]);
    sup.start();
    await settle();
    proc('a.1').termDelayMs = 500;
    const stopped = sup.stopService('a.1');
    await clock.advance(499);
    assert.equal(states('a.1').at(-1), 'stopping');
    await clock.advance(1);
    await stopped;
    assert.equal(states('a.1').at(-1), 'stopped');
    await clock.advance(60_000);
    assert.equal(proc('a.1').spawns, 1);
    assert.equal(proc('b.1').signals.length, 0);
  });
});
