import { EventEmitter } from 'node:events';
import { delay, realClock, type Clock } from '../util/clock.js';
import { LogRing } from './log-ring.js';
import { signalPid } from './process-group.js';
import { stillSame, type ProcessIdentity } from '../util/process-facts.js';
import type { ExitInfo, ProcessSpec, SupervisedProcess } from './supervised-process.js';

const POLL_MS = 20;

/**
 * A process fbench did not start but took over (a Redis left by an earlier run of this bench),
 * supervised and stopped like the rest. Not our child, so its end is polled and its status is
 * unknown. Once it is gone, a restart runs the real thing (`successor`).
 */
export class AdoptedProcess extends EventEmitter implements SupervisedProcess {
  private own: { ring: LogRing; startedAt: number; exit: Promise<ExitInfo> | null; termSent: boolean; gone: boolean };
  private next: SupervisedProcess | null = null;

  constructor(
    readonly spec: ProcessSpec,
    private readonly adoptedId: ProcessIdentity,
    private readonly successor: () => SupervisedProcess,
    private readonly clock: Clock = realClock,
  ) {
    super();
    this.own = { ring: new LogRing(undefined, clock), startedAt: clock.now(), exit: null, termSent: false, gone: false };
  }

  get name(): string {
    return this.spec.name;
  }

  get pid(): number | null {
    return this.next ? this.next.pid : this.own.gone ? null : this.adoptedId.pid;
  }

  get running(): boolean {
    return this.next ? this.next.running : !this.own.gone;
  }

  get adopted(): boolean {
    return this.next === null;
  }

  get startedAt(): number {
    return this.next ? this.next.startedAt : this.own.startedAt;
  }

  get ring(): LogRing {
    return this.next ? this.next.ring : this.own.ring;
  }

  get exit(): Promise<ExitInfo> | null {
    return this.next ? this.next.exit : this.own.exit;
  }

  write(text: string): boolean {
    return this.next?.write(text) ?? false;
  }

  members(): number[] {
    if (this.next) return this.next.members();
    return this.own.gone ? [] : [this.adoptedId.pid];
  }

  record(text: Buffer): void {
    if (this.next) return this.next.record(text);
    this.own.ring.push(text);
    this.emit('output', text, false);
  }

  spawn(): Promise<ExitInfo> {
    if (this.own.gone) {
      if (!this.next) {
        this.next = this.successor();
        this.next.on('output', (t: Buffer, partial: boolean) => this.emit('output', t, partial));
        this.next.on('leftover', (l: unknown) => this.emit('leftover', l));
      }
      return this.next.spawn();
    }
    this.own.exit ??= (async () => {
      while (stillSame(this.adoptedId)) await delay(this.clock, POLL_MS);
      this.own.gone = true;
      return { code: null, signal: null, ranForMs: this.clock.now() - this.own.startedAt };
    })();
    return this.own.exit;
  }

  terminate(): void {
    if (this.next) return this.next.terminate();
    if (this.own.gone || this.own.termSent) return;
    this.own.termSent = true;
    // Signalled only while it is the process adopted: a pid reused meanwhile is someone else's.
    if (stillSame(this.adoptedId)) signalPid(this.adoptedId.pid, 'SIGTERM');
  }

  kill(): void {
    if (this.next) return this.next.kill();
    if (!this.own.gone && stillSame(this.adoptedId)) signalPid(this.adoptedId.pid, 'SIGKILL');
  }
}
