import { EventEmitter } from 'node:events';
import { LogRing } from '../../src/runtime/log-ring.js';
import type { Clock } from '../../src/util/clock.js';
import type { ExitInfo, ProcessSpec, SupervisedProcess } from '../../src/runtime/supervised-process.js';

/** Lets promise callbacks run (several rounds, for chains of awaits). */
export async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await Promise.resolve();
  await new Promise((r) => setImmediate(r));
}

/** What a fake process is started from: a plain spec with a 5 s grace. */
export const processSpec = (name: string, command = 'x'): ProcessSpec => ({
  name,
  command,
  cwd: '/',
  env: {},
  stdout: 'fbench',
  stderr: 'fbench',
  show: true,
  stdin: 'pipe',
  graceMs: 5000,
  stopRank: 0,
});

/** A clock that moves only when told to. */
export class FakeClock implements Clock {
  private t = 0;
  private timers: { at: number; fn: () => void; id: number }[] = [];
  private ids = 0;

  now(): number {
    return this.t;
  }

  setTimer(ms: number, fn: () => void): () => void {
    const id = ++this.ids;
    this.timers.push({ at: this.t + ms, fn, id });
    return () => (this.timers = this.timers.filter((x) => x.id !== id));
  }

  /** Move time forward, firing due timers in order and letting what they start run. */
  async advance(ms: number): Promise<void> {
    const end = this.t + ms;
    for (;;) {
      await settle();
      const due = this.timers.filter((x) => x.at <= end).sort((a, b) => a.at - b.at || a.id - b.id)[0];
      if (!due) break;
      this.timers = this.timers.filter((x) => x !== due);
      this.t = due.at;
      due.fn();
    }
    this.t = end;
    await settle();
  }
}

/**
 * A process that records what it is told. By default it exits on SIGTERM (after `termDelayMs`
 * on the fake clock when given); `ignoresTerm` makes it wait for SIGKILL.
 */
export class FakeProcess extends EventEmitter implements SupervisedProcess {
  pid: number | null = null;
  startedAt = 0;
  readonly adopted = false;
  readonly ring = new LogRing();
  exit: Promise<ExitInfo> | null = null;
  signals: string[] = [];
  spawns = 0;
  ignoresTerm = false;
  termDelayMs = 0;
  private end: ((info: ExitInfo) => void) | null = null;
  private static nextPid = 1000;

  constructor(
    readonly spec: ProcessSpec,
    private readonly log: string[],
    private readonly clock: FakeClock,
  ) {
    super();
  }

  get name(): string {
    return this.spec.name;
  }

  get running(): boolean {
    return this.pid !== null;
  }

  written: string[] = [];

  write(text: string): boolean {
    if (this.pid === null) return false;
    this.written.push(text);
    return true;
  }

  record(text: Buffer, partial = false): void {
    this.ring.push(text);
    this.emit('output', text, partial);
  }

  members(): number[] {
    return this.pid === null ? [] : [this.pid];
  }

  spawn(): Promise<ExitInfo> {
    this.spawns++;
    this.pid = FakeProcess.nextPid++;
    this.startedAt = this.clock.now();
    this.signals = [];
    this.log.push(`${this.name} up`);
    this.exit = new Promise((r) => (this.end = r));
    return this.exit;
  }

  /** The program exits by itself. */
  exitWith(code: number | null, signal: NodeJS.Signals | null = null): void {
    if (!this.end) return;
    const end = this.end;
    this.end = null;
    this.pid = null;
    this.exit = null;
    this.log.push(`${this.name} done`);
    end({ code, signal, ranForMs: this.clock.now() - this.startedAt });
  }

  terminate(): void {
    if (this.pid === null) return;
    this.signals.push('TERM');
    this.log.push(`${this.name} TERM`);
    if (this.ignoresTerm) return;
    if (this.termDelayMs > 0) this.clock.setTimer(this.termDelayMs, () => this.exitWith(null, 'SIGTERM'));
    else this.exitWith(null, 'SIGTERM');
  }

  kill(): void {
    if (this.pid === null) return;
    this.signals.push('KILL');
    this.log.push(`${this.name} KILL`);
    this.exitWith(null, 'SIGKILL');
  }
}
