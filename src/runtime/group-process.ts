import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, openSync } from 'node:fs';
import path from 'node:path';
import { EventEmitter } from 'node:events';
import type { Writable } from 'node:stream';
import { relayLines } from '../output/line-relay.js';
import type { Printer } from '../output/printer.js';
import { LogRing } from './log-ring.js';
import { groupAlive, groupWriting, killTree, signalGroup } from './process-group.js';
import { writeAll } from '../util/write-all.js';
import { DEBUGGER_PROMPT, type ExitInfo, type OutputTarget, type ProcessSpec, type SupervisedProcess } from './supervised-process.js';
import { sleep } from '../util/sleep.js';

/** Where process groups are registered so they die with fbench, even after a SIGKILL. */
export interface GroupRegistry {
  watch(pgid: number): void;
  forget(pgid: number): void;
}

export interface GroupProcessOptions {
  printer: Printer;
  registry: GroupRegistry;
  /** After the program exits on its own, what it left in its group gets one SIGTERM and this long. */
  leftoverGraceMs: number;
}

// The shell waits for fbench's word on fd 3 before it runs anything, so the group is known to
// the watchdog first; if fbench dies before that word, fd 3 reads EOF and nothing runs.
const GATE = 'IFS= read -r _ <&3 || exit 111; exec 3<&-; ';
const EXIT_POLL_MS = 10;

/**
 * A command run by sh in its own process group (and session), output relayed line-exact.
 * The process is the whole group: it is running while any member is alive, and its exit
 * settles when the group is empty, with the status of the program (the group leader).
 */
export class GroupProcess extends EventEmitter implements SupervisedProcess {
  pid: number | null = null;
  startedAt = 0;
  readonly adopted = false;
  readonly ring = new LogRing();
  private exited: Promise<ExitInfo> | null = null;
  private termSent = false;
  private stdin: Writable | null = null;
  atPrompt = false;

  constructor(
    readonly spec: ProcessSpec,
    private readonly opts: GroupProcessOptions,
  ) {
    super();
  }

  get name(): string {
    return this.spec.name;
  }

  get running(): boolean {
    return this.pid !== null;
  }

  get exit(): Promise<ExitInfo> | null {
    return this.exited;
  }

  spawn(): Promise<ExitInfo> {
    if (this.exited) return this.exited;
    this.termSent = false;
    const targets = [this.spec.stdout ?? 'fbench', this.spec.stderr ?? 'fbench'] as const;
    const child = spawn('/bin/sh', ['-c', GATE + this.spec.command], {
      cwd: this.spec.cwd,
      env: { ...process.env, ...this.spec.env },
      detached: true, // own process group (and session), so the group can be signalled as one
      // stdin: a pipe held open and written to only when someone types to this process, so a
      // debugger waits for input instead of reading EOF.
      stdio: [this.spec.stdin === false ? 'ignore' : 'pipe', ...targets.map((t) => (t === 'discard' ? 'ignore' : 'pipe')), 'pipe'],
    });
    this.stdin = child.stdin?.on('error', () => {}) ?? null;
    this.atPrompt = false;
    this.startedAt = Date.now();
    const pid = child.pid ?? null;
    this.pid = pid;
    if (pid !== null) this.opts.registry.watch(pid);
    (child.stdio[3] as Writable | null)?.on('error', () => {}).end('\n');

    const files = this.openFiles(targets);
    const writerBusy = (): boolean => pid !== null && groupWriting(pid);
    const relays = [child.stdout, child.stderr].flatMap((stream, i) => {
      if (!stream) return [];
      const fd = files.get(targets[i]!);
      const onText = (t: Buffer, partial: boolean): void => {
        this.record(t);
        // Whole lines in one go: appends stay line-exact beside other writers of the same file;
        // a failed write (a full disk) must not stop the process, whose lines are still shown and kept.
        if (fd !== undefined) writeAll(fd, t);
        // At a prompt while its last output is a prompt shown before its newline.
        this.atPrompt = partial && DEBUGGER_PROMPT.test(t.toString('latin1', 0, t.length - 1));
        if (this.atPrompt) this.emit('prompt');
      };
      return [relayLines(this.spec.name, stream, this.opts.printer, { onText, writerBusy, show: this.spec.quiet !== true })];
    });
    this.exited = new Promise<ExitInfo>((resolve) => {
      const finish = async (code: number | null, signal: NodeJS.Signals | null): Promise<void> => {
        if (pid !== null) await this.untilGroupEmpty(pid);
        // Output first, then the exit; a descendant that left the group may hold the pipe: bounded.
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([Promise.all(relays), new Promise((r) => (timer = setTimeout(r, 200)))]);
        clearTimeout(timer);
        if (pid !== null) this.opts.registry.forget(pid);
        for (const fd of new Set(files.values())) closeSync(fd);
        this.stdin?.destroy();
        this.stdin = null;
        this.atPrompt = false;
        this.pid = null;
        this.exited = null;
        resolve({ code, signal, ranForMs: Date.now() - this.startedAt });
      };
      watchExit(child, finish);
    });
    return this.exited;
  }

  terminate(): void {
    if (this.pid === null || this.termSent) return;
    this.termSent = true;
    signalGroup(this.pid, 'SIGTERM');
  }

  kill(): void {
    if (this.pid !== null) killTree(this.pid);
  }

  write(text: string): boolean {
    if (!this.stdin || this.stdin.destroyed) return false;
    this.atPrompt = false;
    this.stdin.write(text);
    return true;
  }

  /**
   * Open the files the command's redirections named, as sh would at each start (`>` truncates,
   * `>>` appends; a file named twice is opened once). A file that cannot be opened is said once
   * and the stream is still shown.
   */
  private openFiles(targets: readonly OutputTarget[]): Map<OutputTarget, number> {
    const byPath = new Map<string, number>();
    const out = new Map<OutputTarget, number>();
    for (const t of targets) {
      if (typeof t !== 'object') continue;
      const file = path.resolve(this.spec.cwd, t.file);
      let fd = byPath.get(file);
      if (fd === undefined) {
        try {
          mkdirSync(path.dirname(file), { recursive: true });
          fd = openSync(file, t.append ? 'a' : 'w');
          byPath.set(file, fd);
        } catch (err) {
          this.opts.printer.system(
            `warning: ${this.spec.name}: cannot write ${t.file} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); its lines are only shown`,
          );
          continue;
        }
      }
      out.set(t, fd);
    }
    return out;
  }

  /** Keep whole lines of this process's output for `fbench logs`. */
  record(text: Buffer): void {
    this.ring.push(text);
    this.emit('text', text);
  }

  /**
   * The program has exited; wait for the rest of its group. What it left behind on an exit of
   * its own gets the one SIGTERM it has not had, then SIGKILL after the leftover grace.
   */
  private async untilGroupEmpty(pgid: number): Promise<void> {
    if (!groupAlive(pgid)) return;
    const killAt = Date.now() + this.opts.leftoverGraceMs;
    if (!this.termSent) this.terminate();
    while (groupAlive(pgid)) {
      if (Date.now() >= killAt) killTree(pgid);
      await sleep(EXIT_POLL_MS);
    }
  }
}

function watchExit(child: ChildProcess, finish: (code: number | null, signal: NodeJS.Signals | null) => Promise<void>): void {
  let done = false;
  const once = (code: number | null, signal: NodeJS.Signals | null): void => {
    if (done) return;
    done = true;
    void finish(code, signal);
  };
  child.once('exit', once);
  child.once('error', () => {
    if (child.pid === undefined) once(127, null); // could not spawn at all
  });
}
