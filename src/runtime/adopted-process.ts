import { EventEmitter } from 'node:events';
import { LogRing } from './log-ring.js';
import { pidAlive } from './process-group.js';
import type { ExitInfo, SupervisedProcess } from './supervised-process.js';
import { sleep } from '../util/sleep.js';

const POLL_MS = 20;

/**
 * A process fbench did not start but took over (a Redis left by an earlier run of this bench),
 * supervised and stopped like the rest. Not our child, so its end is polled and its status is
 * unknown. Once it is gone, a restart runs the real thing (`successor`).
 */
export class AdoptedProcess extends EventEmitter implements SupervisedProcess {
  private own = { ring: new LogRing(), startedAt: Date.now(), exit: null as Promise<ExitInfo> | null, termSent: false, gone: false };
  private next: SupervisedProcess | null = null;

  constructor(
    readonly name: string,
    private readonly adoptedPid: number,
    private readonly successor: () => SupervisedProcess,
  ) {
    super();
  }

  get pid(): number | null {
    return this.next ? this.next.pid : this.own.gone ? null : this.adoptedPid;
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

  get atPrompt(): boolean {
    return this.next?.atPrompt ?? false;
  }

  write(text: string): boolean {
    return this.next?.write(text) ?? false;
  }

  get exit(): Promise<ExitInfo> | null {
    return this.next ? this.next.exit : this.own.exit;
  }

  record(text: Buffer): void {
    if (this.next) return this.next.record(text);
    this.own.ring.push(text);
    this.emit('text', text);
  }

  spawn(): Promise<ExitInfo> {
    if (this.own.gone) {
      if (!this.next) {
        this.next = this.successor();
        this.next.on('text', (t: Buffer) => this.emit('text', t));
        this.next.on('prompt', () => this.emit('prompt'));
      }
      return this.next.spawn();
    }
    this.own.exit ??= (async () => {
      while (pidAlive(this.adoptedPid)) await sleep(POLL_MS);
      this.own.gone = true;
      return { code: null, signal: null, ranForMs: Date.now() - this.own.startedAt };
    })();
    return this.own.exit;
  }

  terminate(): void {
    if (this.next) return this.next.terminate();
    if (this.own.gone || this.own.termSent) return;
    this.own.termSent = true;
    signal(this.adoptedPid, 'SIGTERM');
  }

  kill(): void {
    if (this.next) return this.next.kill();
    if (!this.own.gone) signal(this.adoptedPid, 'SIGKILL');
  }
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // already gone
  }
}
