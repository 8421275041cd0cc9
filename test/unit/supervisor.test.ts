import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Probe, ReadySummary, RetiredEvent, Waiting } from '../../src/runtime/supervisor.js';
import { FakeProcess, settle } from '../helpers/fakes.js';
import { gate, service, setup } from '../helpers/fake-supervisor.js';
import { canMove, TRANSITIONS, type ServiceState } from '../../src/runtime/service-state.js';

describe('Supervisor (fake processes, virtual clock)', { timeout: 10_000 }, () => {
  test('start order: one round spawns every service whose dependencies are ready, in the given order, before anything is checked', async () => {
    const cache = gate();
    const queue = gate();
    const { sup, log } = setup([
      { name: 'redis_cache.1', probe: cache.probe, gating: true },
      { name: 'redis_queue.1', probe: queue.probe, gating: true },
      { name: 'watch.1' },
      { name: 'web.1', dependsOn: ['redis_cache.1', 'redis_queue.1'] },
      { name: 'worker.1', dependsOn: ['redis_queue.1', 'redis_cache.1'] },
      { name: 'socketio.1', dependsOn: ['redis_queue.1'] },
    ]);
    sup.start();
    // No await: the round is synchronous, whatever the microtasks.
    assert.deepEqual(log, ['redis_cache.1 up', 'redis_queue.1 up', 'watch.1 up']);
    queue.pass();
    await settle();
    assert.deepEqual(log.slice(3), ['socketio.1 up']);
    cache.pass();
    await settle();
    assert.deepEqual(log.slice(4), ['web.1 up', 'worker.1 up']);
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

  test('a process that ignores SIGTERM is SIGKILLed when its grace is over, not before; what it was doing is said as lost', async () => {
    const { sup, clock, proc, events } = setup([
      { name: 'w.1', graceMs: 5000, work: async () => ({ waitingFor: 'finish job 1', ifKilled: 'job 1 was lost' }) },
    ]);
    sup.start();
    await settle();
    proc('w.1').ignoresTerm = true;
    void sup.shutdown(130);
    await clock.advance(4999);
    assert.deepEqual(proc('w.1').signals, ['TERM']);
    await clock.advance(1);
    assert.deepEqual(proc('w.1').signals, ['TERM', 'KILL']);
    assert.equal(await sup.done, 130);
    const stopped = events.find((e) => e.name === 'w.1' && e.state === 'stopped')!;
    assert.equal(stopped.killed, 'grace');
    assert.equal(stopped.lost, 'job 1 was lost');
  });

  test('while a stop waits, it says every second what for, in the words of what each is doing', async () => {
    let ran = 12;
    const { sup, clock, proc } = setup([
      { name: 'redis.1', graceMs: 30_000, hint: 'saving its data?', keepsData: true },
      {
        name: 'worker.1',
        dependsOn: ['redis.1'],
        graceMs: 360_000,
        work: async () => ({ waitingFor: `finish x.flush (running ${ran++} s)`, ifKilled: 'lost' }),
      },
    ]);
    const said: string[] = [];
    sup.on('waiting', (w: Waiting[], down: boolean) =>
      said.push(`${down ? 'down' : 'stop'}: ${w.map((x) => `${x.name}${x.doing ? ` to ${x.doing.waitingFor}` : x.hint ? ` (${x.hint})` : ''}`).join(', ')}`),
    );
    sup.start();
    await settle();
    proc('worker.1').termDelayMs = 2500;
    proc('redis.1').ignoresTerm = true;
    void sup.shutdown(130);
    await clock.advance(1000);
    assert.deepEqual(said, ['down: worker.1 to finish x.flush (running 12 s), redis.1']);
    await clock.advance(2000);
    assert.equal(said.at(-1), 'down: redis.1 (saving its data?)');
    await clock.advance(30_000);
    assert.deepEqual(proc('redis.1').signals, ['TERM', 'KILL'], 'killed at its own 30 s');
    await sup.done;
  });

  test('a second shutdown kills at once what keeps no data; a Redis still gets its TERM and its grace; a third kills it', async () => {
    const { sup, clock, proc, events } = setup([
      { name: 'redis.1', keepsData: true, graceMs: 30_000 },
      { name: 'worker.1', dependsOn: ['redis.1'], graceMs: 360_000 },
    ]);
    sup.start();
    await settle();
    proc('worker.1').ignoresTerm = true;
    proc('redis.1').ignoresTerm = true;
    void sup.shutdown(130);
    await clock.advance(100);
    void sup.shutdown(130);
    await settle();
    assert.deepEqual(proc('worker.1').signals, ['TERM', 'KILL']);
    await clock.advance(10);
    assert.deepEqual(proc('redis.1').signals, ['TERM'], 'the Redis saves its data');
    void sup.shutdown(130);
    await settle();
    assert.deepEqual(proc('redis.1').signals, ['TERM', 'KILL']);
    assert.equal(await sup.done, 130);
    assert.equal(events.find((e) => e.name === 'worker.1' && e.state === 'stopped')?.killed, 'forced', 'killed as asked, not for its grace');
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
    assert.deepEqual(await restarted, { ok: true, readiness: 'running' });
    assert.deepEqual(log, ['w.1 up', 'w.1 TERM', 'w.1 done', 'w.1 up']);
    assert.equal(proc('w.1').spawns, 2);
  });

  test('a stop after a restart wins: the restart does not start it again, and says why', async () => {
    const { sup, clock, log, proc, states } = setup([{ name: 'w.1' }]);
    sup.start();
    await settle();
    proc('w.1').termDelayMs = 3000;
    const restarted = sup.restartService('w.1');
    await clock.advance(500);
    const stopped = sup.stopService('w.1');
    await clock.advance(2500);
    await stopped;
    assert.deepEqual(await restarted, { ok: false, why: 'it was stopped meanwhile (fbench stop)' });
    await clock.advance(60_000);
    assert.deepEqual(log, ['w.1 up', 'w.1 TERM', 'w.1 done']);
    assert.equal(states('w.1').at(-1), 'stopped');
  });

  test('a replacement while a restart waits for the old process: one new process runs, of the new spec', async () => {
    const { sup, clock, log, proc } = setup([{ name: 'w.1', cmd: 'v1' }]);
    sup.start();
    await settle();
    proc('w.1').termDelayMs = 3000;
    const restarted = sup.restartService('w.1');
    await clock.advance(500);
    const replaced = sup.replaceService(service({ name: 'w.1', cmd: 'v2' }));
    await clock.advance(2500);
    await Promise.all([restarted, replaced]);
    await settle();
    assert.deepEqual(log, ['w.1 up', 'w.1 TERM', 'w.1 done', 'w.1 up']);
    assert.equal(proc('w.1:v2').spawns, 1);
    assert.equal(proc('w.1:v1').spawns, 1);
    assert.equal(proc('w.1:v1').running, false);
  });

  test('two replacements 0.4 s apart while the old one stops: the last spec runs, once', async () => {
    const { sup, clock, log, proc } = setup([{ name: 'w.1', cmd: 'v1' }]);
    sup.start();
    await settle();
    proc('w.1').termDelayMs = 3000;
    const a = sup.replaceService(service({ name: 'w.1', cmd: 'v2' }));
    await clock.advance(400);
    const b = sup.replaceService(service({ name: 'w.1', cmd: 'v3' }));
    await clock.advance(3000);
    await Promise.all([a, b]);
    await settle();
    assert.deepEqual(log, ['w.1 up', 'w.1 TERM', 'w.1 done', 'w.1 up']);
    assert.equal(proc('w.1:v3').spawns, 1);
  });

  test('removed, then added again once the removal is done: no duplicate, the new one runs', async () => {
    const { sup, clock, log, proc } = setup([{ name: 'w.1', cmd: 'v1' }]);
    sup.start();
    await settle();
    proc('w.1').termDelayMs = 3000;
    const removed = sup.removeService('w.1');
    await clock.advance(500);
    assert.throws(() => sup.addService(service({ name: 'w.1', cmd: 'v2' })), /duplicate service w\.1/, 'the re-planner waits for the removal first');
    await clock.advance(2500);
    await removed;
    sup.addService(service({ name: 'w.1', cmd: 'v2' }));
    await settle();
    assert.deepEqual(log, ['w.1 up', 'w.1 TERM', 'w.1 done', 'w.1 up']);
    assert.equal(proc('w.1:v2').running, true);
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

  test('restarts asked for while one still stops the old process join it: one new process, each caller told its real outcome', async () => {
    const { sup, clock, proc } = setup([{ name: 'w.1', probe: async () => 'registered' }]);
    sup.start();
    await settle();
    proc('w.1').termDelayMs = 3000; // a job to finish first
    const asked = Array.from({ length: 5 }, () => sup.restartService('w.1'));
    await clock.advance(3000);
    const outcomes = await Promise.all(asked);
    assert.deepEqual(outcomes, Array(5).fill({ ok: true, readiness: 'registered' }));
    assert.equal(proc('w.1').spawns, 2);
    // Once the new one runs, a restart is a new one.
    const again = sup.restartService('w.1');
    await clock.advance(3000);
    assert.deepEqual(await again, { ok: true, readiness: 'registered' });
    assert.equal(proc('w.1').spawns, 3);
  });

  test('restarts asked for while the new process still starts join it too: twenty callers, one new process, nobody told it was stopped', async () => {
    const slow = gate();
    const { sup, clock, proc } = setup([{ name: 'w.1', probe: slow.probe }]);
    sup.start();
    await settle();
    slow.pass();
    await settle();
    proc('w.1').termDelayMs = 500;
    const first = Array.from({ length: 10 }, () => sup.restartService('w.1'));
    await clock.advance(500); // the old one gone: the new one starting, not yet ready
    await settle();
    const later = Array.from({ length: 10 }, () => sup.restartService('w.1'));
    slow.pass();
    const outcomes = await Promise.all([...first, ...later]);
    assert.deepEqual(outcomes, Array(20).fill({ ok: true, readiness: 'PONG' }));
    assert.equal(proc('w.1').spawns, 2);
  });

  test('startupNeedsAll: a crash retried into ready still makes the start-up; what is not ready at its deadline fails it, each named, exit 1', async () => {
    const web = gate();
    const { sup, clock, proc } = setup(
      [{ name: 'redis.1', probe: async () => 'PONG', gating: true }, { name: 'flaky.1' }, { name: 'web.1', dependsOn: ['redis.1'], probe: web.probe }],
      { readyTimeoutMs: 30_000, startupNeedsAll: true },
    );
    const said: string[] = [];
    sup.on('ready', () => said.push('ready'));
    sup.on('startup-incomplete', (r: ReadySummary) => said.push(...r.notReady.map((n) => `${n.name}: ${n.why}`)));
    sup.start();
    await settle();
    proc('flaky.1').exitWith(1);
    await clock.advance(1000); // retried, and runs
    assert.deepEqual(said, [], 'no ready while web.1 is not');
    await clock.advance(29_000);
    assert.deepEqual(said, ['web.1: not ready after 30 s']);
    assert.equal(await sup.done, 1);
  });

  test('startAfter: a service that reaches its dependency only later starts with it, and still stops before it', async () => {
    const redis = gate();
    const { sup, clock, log } = setup([
      { name: 'redis.1', probe: redis.probe, gating: true },
      { name: 'web.1', dependsOn: ['redis.1'], startAfter: [] },
      { name: 'worker.1', dependsOn: ['redis.1'] },
    ]);
    sup.start();
    await settle();
    assert.ok(log.includes('web.1 up'), 'web started with Redis');
    assert.ok(!log.includes('worker.1 up'), 'the worker waits for PONG');
    redis.pass();
    await settle();
    assert.ok(log.includes('worker.1 up'));
    const stopping = sup.shutdown(0);
    await clock.advance(10_000);
    await stopping;
    assert.ok(log.indexOf('web.1 TERM') < log.indexOf('redis.1 TERM'), log.join(' '));
  });

  test('handover: a busy worker restarted starts its new process first; the old one finishes, stops before Redis at a shutdown', async () => {
    let busy = true;
    const work = async () => (busy ? { waitingFor: 'finish jobs.slow (job j1)', ifKilled: 'the job j1 was lost' } : null);
    const { sup, clock, log, states } = setup([
      { name: 'redis.1', probe: async () => 'PONG', gating: true, keepsData: true },
      { name: 'w.1', dependsOn: ['redis.1'], probe: async () => 'registered', work, handover: true, graceMs: 60_000 },
    ]);
    const retired: RetiredEvent[] = [];
    sup.on('retired', (r: RetiredEvent) => retired.push(r));
    sup.start();
    await settle();
    const old = sup.process('w.1') as FakeProcess;
    old.termDelayMs = 20_000; // its job takes 20 s more
    const outcome = await sup.restartService('w.1');
    assert.deepEqual(outcome, { ok: true, readiness: 'registered' });
    assert.notEqual(sup.process('w.1'), old, 'a new process');
    assert.deepEqual(
      sup
        .status()
        .find((s) => s.name === 'w.1')!
        .retiring.map((r) => r.doing.waitingFor),
      ['finish jobs.slow (job j1)'],
    );
    assert.equal(log.filter((l) => l === 'w.1 TERM').length, 1, 'the old one got its warm stop at once');
    assert.ok(!states('w.1').includes('stopping'), 'the service itself never stopped');
    // A shutdown meanwhile: Redis waits for the old one's job.
    busy = false;
    const stopping = sup.shutdown(130);
    await clock.advance(19_000);
    assert.ok(!log.includes('redis.1 TERM'), log.join(' '));
    await clock.advance(2000);
    await clock.advance(100);
    assert.equal(await stopping, 130);
    assert.ok(log.indexOf('redis.1 TERM') > log.lastIndexOf('w.1 done'), log.join(' '));
    assert.deepEqual(
      retired.map((r) => (r.killed ? 'killed' : 'left')),
      ['left'],
    );
  });

  test('exit code 0 ends a process whose policy is on-failure; one whose policy is always (a Redis shut down from outside) is restarted', async () => {
    const { sup, clock, proc, states } = setup([{ name: 'redis.1', restart: 'always' }, { name: 'worker.1', dependsOn: ['redis.1'] }, { name: 'once.1' }]);
    sup.start();
    await settle();
    proc('once.1').exitWith(0);
    proc('redis.1').exitWith(0);
    await clock.advance(1000);
    assert.equal(proc('redis.1').spawns, 2);
    assert.ok(states('redis.1').includes('backoff'));
    assert.ok(!states('redis.1').includes('exited'));
    assert.equal(proc('once.1').spawns, 1);
    assert.equal(states('once.1').at(-1), 'exited');
  });

  test('ready waits for every readiness; one that exits during its check is named, not ready', async () => {
    const settleProbe: Probe = (signal) => new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason as Error)));
    const { sup, proc } = setup([
      { name: 'redis.1', probe: async () => 'PONG', gating: true },
      { name: 'bad.1', dependsOn: ['redis.1'], probe: settleProbe },
    ]);
    let ready: ReadySummary | null = null;
    sup.on('ready', (r: ReadySummary) => (ready = r));
    sup.start();
    await settle();
    assert.equal(ready, null, 'not ready while bad.1 is being checked');
    proc('bad.1').exitWith(3);
    await settle();
    assert.deepEqual(ready!.notReady, [{ name: 'bad.1', why: 'exited during start-up (exit code 3)' }]);
  });

  test('a readiness that runs out of time: a gating one fails start-up, another is reported and still checked', async () => {
    const web = gate();
    const { sup, clock, events } = setup([{ name: 'web.1', probe: web.probe }], { readyTimeoutMs: 30_000 });
    let ready: ReadySummary | null = null;
    sup.on('ready', (r: ReadySummary) => (ready = r));
    sup.start();
    await clock.advance(30_000);
    assert.deepEqual(ready!.notReady, [{ name: 'web.1', why: 'not ready after 30 s' }]);
    web.pass();
    await settle();
    assert.equal(events.at(-1)!.state, 'ready', 'ready later, said');

    const redis = gate();
    const s2 = setup(
      [
        { name: 'redis.1', probe: redis.probe, gating: true },
        { name: 'w.1', dependsOn: ['redis.1'] },
      ],
      { readyTimeoutMs: 1000 },
    );
    const failed: string[] = [];
    s2.sup.on('startup-failed', (n: string, why: string) => failed.push(`${n}: ${why}`));
    s2.sup.start();
    await s2.clock.advance(1000);
    assert.deepEqual(failed, ['redis.1: not ready after 1 s']);
    assert.equal(await s2.sup.done, 1);
    assert.deepEqual(s2.log, ['redis.1 up', 'redis.1 TERM', 'redis.1 done'], 'its dependent never started');
  });

  test('--exit-on-crash: a crash stops the others with one TERM each and ends with its code', async () => {
    const { sup, proc } = setup([{ name: 'a.1' }, { name: 'b.1' }], { exitOnCrash: true });
    sup.start();
    await settle();
    proc('a.1').exitWith(3);
    assert.equal(await sup.done, 3);
    assert.deepEqual(proc('b.1').signals, ['TERM']);
  });

  test('stopService keeps it down; "stopped" comes only after its exit; a per-call grace is honoured', async () => {
    const { sup, clock, proc, states } = setup([{ name: 'a.1', graceMs: 60_000 }, { name: 'b.1' }]);
    sup.start();
    await settle();
    proc('a.1').ignoresTerm = true;
    const stopped = sup.stopService('a.1', 2000);
    await clock.advance(1999);
    assert.equal(states('a.1').at(-1), 'stopping');
    await clock.advance(1);
    await stopped;
    assert.deepEqual(proc('a.1').signals, ['TERM', 'KILL']);
    assert.equal(states('a.1').at(-1), 'stopped');
    await clock.advance(60_000);
    assert.equal(proc('a.1').spawns, 1);
    assert.equal(proc('b.1').signals.length, 0);
  });
});

describe('the service state machine', () => {
  const reach = (from: ServiceState): Set<ServiceState> => {
    const seen = new Set<ServiceState>([from]);
    for (const s of seen) for (const t of TRANSITIONS[s]) seen.add(t);
    return seen;
  };

  test('from every state a stop can end it, and a start can begin it again', () => {
    for (const s of Object.keys(TRANSITIONS) as ServiceState[]) {
      assert.ok(reach(s).has('stopped'), `${s} cannot be stopped`);
      assert.ok(reach(s).has('running'), `${s} cannot run again`);
    }
  });

  test('readiness comes only from running: a stopped, backed-off or exited service is never told ready', () => {
    const into = (t: ServiceState): ServiceState[] => (Object.keys(TRANSITIONS) as ServiceState[]).filter((s) => canMove(s, t));
    assert.deepEqual(into('ready'), ['running']);
    assert.deepEqual(into('running'), ['waiting']);
    assert.deepEqual(into('backoff').sort(), ['ready', 'running']);
  });

  test('every move a run of the supervisor makes is an edge of the machine (a stop, a crash, a restart, a replacement)', async () => {
    const { sup, clock, proc } = setup([
      { name: 'redis.1', restart: 'always' },
      { name: 'worker.1', dependsOn: ['redis.1'] },
    ]);
    const moves: string[] = [];
    const last = new Map<string, ServiceState>();
    sup.on('state', (e) => {
      const from = last.get(e.name) ?? 'waiting';
      assert.ok(canMove(from, e.state) || from === e.state, `${e.name}: ${from} → ${e.state}`);
      moves.push(`${e.name}:${from}→${e.state}`);
      last.set(e.name, e.state);
    });
    sup.start();
    await settle();
    proc('worker.1').exitWith(1);
    await clock.advance(1000);
    await settle();
    void sup.restartService('worker.1');
    await clock.advance(6000);
    await sup.stopService('worker.1');
    void sup.shutdown(0);
    await clock.advance(60_000);
    assert.ok(moves.includes('worker.1:ready→backoff'), moves.join(' '));
    assert.ok(moves.includes('worker.1:backoff→waiting'));
    assert.ok(moves.at(-1)?.endsWith('→stopped'));
  });
});

describe('a readiness check that ends after a stop', () => {
  test('a Redis whose PONG is still awaited when the bench stops: stopped, not failed; nothing told', async () => {
    const g = gate();
    const { sup, clock, states } = setup([{ name: 'redis.1', gating: true, probe: g.probe, restart: 'always' }]);
    const failed: string[] = [];
    sup.on('startup-failed', (n) => failed.push(n));
    sup.start();
    await settle();
    const done = sup.shutdown(130);
    await clock.advance(60_000);
    await settle();
    assert.equal(await done, 130);
    assert.deepEqual(states('redis.1'), ['running', 'stopping', 'stopped']);
    assert.deepEqual(failed, []);
  });

  test('a check that fails only after its service has stopped (a slow probe on a loaded machine) changes nothing', async () => {
    let fail!: () => void;
    const slow: Probe = () => new Promise<string>((_, reject) => (fail = () => reject(new Error('no answer'))));
    const { sup, clock, states } = setup([{ name: 'redis.1', gating: true, probe: slow, restart: 'always' }]);
    sup.start();
    await settle();
    const done = sup.shutdown(130);
    await clock.advance(60_000);
    assert.equal(await done, 130);
    fail();
    await settle();
    assert.deepEqual(states('redis.1'), ['running', 'stopping', 'stopped']);
  });
});
