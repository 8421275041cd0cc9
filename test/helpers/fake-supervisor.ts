import { Supervisor, type Probe, type ServiceSpec, type StateEvent } from '../../src/runtime/supervisor.js';
import { FakeClock, FakeProcess, processSpec } from './fakes.js';

/**
 * The real Supervisor over fake processes and a virtual clock: what the supervisor's own tests
 * and the tests of its listeners (the reporter, the task list) drive, so a renamed event or a
 * changed order breaks them as it breaks the program.
 */
const backoff = { initialMs: 1000, maxMs: 30_000, resetAfterMs: 60_000, loopWarningAt: 3 };

export interface Spec {
  name: string;
  cmd?: string;
  dependsOn?: string[];
  startAfter?: string[];
  probe?: Probe;
  gating?: boolean;
  critical?: boolean;
  restart?: ServiceSpec['restart'];
  graceMs?: number;
  hint?: string;
  keepsData?: boolean;
  work?: ServiceSpec['work'];
  handover?: boolean;
}

export const service = (s: Spec): ServiceSpec => ({
  name: s.name,
  dependsOn: s.dependsOn ?? [],
  ...(s.startAfter ? { startAfter: s.startAfter } : {}),
  process: { ...processSpec(s.name, s.cmd), graceMs: s.graceMs ?? 5000 },
  gating: s.gating ?? false,
  critical: s.critical ?? true,
  restart: s.restart ?? 'on-failure',
  stop: { keepsData: s.keepsData ?? false, ...(s.hint ? { hint: s.hint } : {}) },
  ...(s.probe ? { probe: s.probe } : {}),
  ...(s.work ? { work: s.work } : {}),
  ...(s.handover ? { handover: true } : {}),
});

/** A supervisor over fake processes and a fake clock. */
export function setup(specs: Spec[], opts: { exitOnCrash?: boolean; readyTimeoutMs?: number; startupNeedsAll?: boolean } = {}) {
  const clock = new FakeClock();
  const log: string[] = [];
  const procs = new Map<string, FakeProcess>();
  const sup = new Supervisor(
    specs.map(service),
    { exitOnCrash: opts.exitOnCrash ?? false, readyTimeoutMs: opts.readyTimeoutMs ?? 30_000, backoff, startupNeedsAll: opts.startupNeedsAll ?? false },
    {
      clock,
      createProcess: (spec) => {
        const p = new FakeProcess(spec, log, clock);
        procs.set(`${spec.name}:${spec.command}`, p);
        procs.set(spec.name, p);
        return p;
      },
    },
  );
  // A move the state machine refuses is a bug of the supervisor's: any test that makes one fails.
  sup.on('refused-move', (m) => {
    throw new Error(`${m.name}: refused move from ${m.from} to ${m.to}`);
  });
  const events: StateEvent[] = [];
  sup.on('state', (e: StateEvent) => events.push(e));
  const states = (name: string): string[] => events.filter((e) => e.name === name).map((e) => e.state);
  return { sup, clock, log, proc: (n: string) => procs.get(n)!, states, events };
}

/** A probe the test passes (or fails) by hand, saying why it waits as it is told; like the real ones, it ends when the supervisor aborts it (its process exited). */
export function gate(): { probe: Probe; pass: () => void; fail: (why: string) => void; note: (why: string) => void } {
  let pass!: () => void;
  let fail!: (why: string) => void;
  let note: (why: string) => void = () => {};
  const probe: Probe = (signal, noted) =>
    new Promise<string>((resolve, reject) => {
      note = noted;
      pass = () => resolve('PONG');
      fail = (why) => reject(new Error(why));
      signal.addEventListener('abort', () => reject(signal.reason instanceof Error ? signal.reason : new Error(String(signal.reason))), { once: true });
    });
  return { probe, pass: () => pass(), fail: (w) => fail(w), note: (w) => note(w) };
}
