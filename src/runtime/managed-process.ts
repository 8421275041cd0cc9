import { EventEmitter } from 'node:events';
import { execa } from 'execa';
import { relayLines } from '../output/line-relay.js';
import type { Printer } from '../output/printer.js';
import { LogRing } from './log-ring.js';
import { groupRunnable, signalGroup, waitGroupGone } from './process-group.js';
import type { Watchdog } from './watchdog.js';

/** What to run: generic, nothing Frappe-specific. */
export interface ProcessSpec {
  name: string;
  command: string;
  cwd: string;
  /** Added to fbench's own environment. */
  env: Record<string, string>;
}

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
  ranForMs: number;
}

/**
 * One child at a time for one process: spawned through sh in its own process group,
 * output relayed line-exact, stopped by signalling the whole group. Emits 'text' with each
 * run of whole lines (for `fbench logs -f`).
 */
export class ManagedProcess extends EventEmitter {
  pid: number | null = null;
  startedAt = 0;
  readonly ring = new LogRing();
  private exited: Promise<ExitInfo> | null = null;

  constructor(
    readonly spec: ProcessSpec,
    private readonly printer: Printer,
    private readonly watchdog: Watchdog,
  ) {
    super();
  }

  get running(): boolean {
    return this.pid !== null;
  }

  /** Spawn the command; resolves its ExitInfo when the child has exited and its output is out. */
  spawn(): Promise<ExitInfo> {
    if (this.exited) return this.exited;
    const sub = execa(this.spec.command, {
      shell: true,
      cwd: this.spec.cwd,
      env: this.spec.env,
      detached: true, // own process group (and session), so the group can be signalled as one
      stdin: 'ignore',
      buffer: false,
      reject: false,
      cleanup: false,
    });
    sub.catch(() => {}); // the result is read from the 'exit' event below
    this.startedAt = Date.now();
    const pid = sub.pid ?? null;
    this.pid = pid;
    if (pid !== null) this.watchdog.watch(pid);

    const onText = (t: Buffer): void => this.record(t);
    const writerBusy = (): boolean => pid !== null && groupRunnable(pid);
    const relays = [sub.stdout, sub.stderr].filter((s) => s !== null).map((s) => relayLines(this.spec.name, s, this.printer, { onText, writerBusy }));

    this.exited = new Promise<ExitInfo>((resolve) => {
      const finish = async (code: number | null, signal: NodeJS.Signals | null): Promise<void> => {
        // Output first, then the exit line; a grandchild holding the pipe must not hold us up.
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([Promise.all(relays), new Promise((r) => (timer = setTimeout(r, 200)))]);
        clearTimeout(timer);
        if (pid !== null) {
          // Whatever the child left in its group goes with it: no orphans.
          if (signalGroup(pid, 'SIGTERM')) void waitGroupGone(pid, Date.now() + 2000).then((gone) => gone || signalGroup(pid, 'SIGKILL'));
          this.watchdog.forget(pid);
        }
        this.pid = null;
        this.exited = null;
        resolve({ code, signal, ranForMs: Date.now() - this.startedAt });
      };
      sub.once('exit', (code, signal) => void finish(code, signal));
      sub.once('error', () => {
        if (this.pid === pid && sub.exitCode === null && sub.pid === undefined) void finish(127, null);
      });
    });
    return this.exited;
  }

  /** Keep whole lines of this process's output for `fbench logs` (its own, or a file it writes). */
  record(text: Buffer): void {
    this.ring.push(text);
    this.emit('text', text);
  }

  /** Send a signal to the process group. */
  signal(signal: NodeJS.Signals): void {
    if (this.pid !== null) signalGroup(this.pid, signal);
  }

  /** The pending exit, if running. */
  get exit(): Promise<ExitInfo> | null {
    return this.exited;
  }
}
