import { spawn, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { writeFileSync } from 'node:fs';
import { setPriority } from 'node:os';
import path from 'node:path';
import type { Writable } from 'node:stream';
import type { LogFile } from '../output/log-file.js';
import { LineRelay } from '../output/line-relay.js';
import type { Printer } from '../output/printer.js';
import { delay, realClock, type Clock } from '../util/clock.js';
import type { LogFiles } from './log-files.js';
import { LogRing } from './log-ring.js';
import { commandLine, openFilesLimit, processStart } from '../util/process-facts.js';
import { groupWriting, killTree, markedProcesses, MARKER_VAR, processTree, signalGroup, signalPid } from './process-group.js';
import type { ExitInfo, Leftover, OutputTarget, ProcessSpec, SupervisedProcess } from './supervised-process.js';

/** Where process groups are registered so they die with fbench, even after a SIGKILL. */
export interface GroupRegistry {
  watch(pgid: number, rank: number, graceMs: number): void;
  forget(pgid: number): void;
}

export interface GroupProcessOptions {
  printer: Printer;
  registry: GroupRegistry;
  logFiles: LogFiles;
  /** This process's value of MARKER_VAR: unique in the session, inherited by all it starts. */
  marker: string;
  clock?: Clock;
}

// The shell waits for fbench's word on fd 3 before it runs anything, so the group is known to
// the watchdog first; if fbench dies before that word, fd 3 reads EOF and nothing runs.
const GATE = 'IFS= read -r _ <&3 || exit 111; exec 3<&-; ';
const EXIT_POLL_MS = 10;
/** What fbench starts is born after fbench: older processes need not be asked for its marker. */
let bornSinceS: number | undefined;
const bornSince = (): number => (bornSinceS ??= processStart(process.pid) ?? 0);
/** How long a program's leftovers are given to finish daemonizing before they are named. */
const DAEMON_SETTLE_MS = 50;
/** What a daemonized program left is looked for this often (a reading of the process table for the marker). */
const LEFTOVER_POLL_MS = 200;

/**
 * A command run by sh in its own process group (and session), output relayed line-exact.
 * The process is the whole group and what carries its marker: it is running while any of it is
 * alive, and its exit settles when none is, with the status of the program (the group leader).
 */
export class GroupProcess extends EventEmitter implements SupervisedProcess {
  pid: number | null = null;
  startedAt = 0;
  readonly adopted = false;
  readonly ring: LogRing;
  private exited: Promise<ExitInfo> | null = null;
  private termSent = false;
  private stdin: Writable | null = null;
  /** Marked processes outside the group, as last looked for. */
  private readonly clock: Clock;

  constructor(
    readonly spec: ProcessSpec,
    private readonly opts: GroupProcessOptions,
  ) {
    super();
    this.clock = opts.clock ?? realClock;
    this.ring = new LogRing(undefined, this.clock);
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
    const targets = [this.spec.stdout, this.spec.stderr] as const;
    const child: ChildProcess = spawn('/bin/sh', ['-c', GATE + this.spec.command], {
      cwd: this.spec.cwd,
      env: { ...process.env, ...this.spec.env, [MARKER_VAR]: this.opts.marker },
      detached: true, // own process group (and session), so the group can be signalled as one
      // stdin: a pipe held open and written to only when someone types to this process, so a
      // debugger waits for input instead of reading EOF.
      stdio: [this.spec.stdin === 'null' ? 'ignore' : 'pipe', ...targets.map((t) => (t === 'discard' ? 'ignore' : 'pipe')), 'pipe'],
    });
    this.startedAt = this.clock.now();
    if (child.pid === undefined) return this.unstarted(child);
    this.stdin = child.stdin?.on('error', () => {}) ?? null;
    const pid = child.pid ?? null;
    this.pid = pid;
    if (pid !== null) this.opts.registry.watch(pid, this.spec.stopRank, this.spec.graceMs);
    if (pid !== null && this.spec.nice) lowerPriority(pid, this.spec.nice);
    (child.stdio[3] as Writable | null)?.on('error', () => {}).end('\n');

    const files = this.openFiles(targets);
    const writerBusy = (): boolean => pid !== null && groupWriting(pid);
    const relays = [child.stdout, child.stderr].flatMap((stream, i) => {
      if (!stream) return [];
      const file = files.get(targets[i]!);
      const onText = (t: Buffer, partial: boolean): void => {
        this.record(t, partial);
        // Whole lines in one go: appends stay line-exact beside other writers of the same file.
        file?.write(t);
      };
      return [new LineRelay(this.spec.name, stream, this.opts.printer, { onText, writerBusy, show: this.spec.show, clock: this.clock }).done];
    });
    this.exited = new Promise<ExitInfo>((resolve) => {
      const finish = async (code: number | null, signal: NodeJS.Signals | null): Promise<void> => {
        if (pid !== null) await this.untilAllGone(pid, code);
        // Output first, then the exit; a descendant that left the group may hold the pipe: bounded.
        await Promise.race([Promise.all(relays), delay(this.clock, 200)]);
        if (pid !== null) this.opts.registry.forget(pid);
        for (const f of new Set(files.values())) this.opts.logFiles.release(f);
        this.stdin?.destroy();
        this.stdin = null;
        this.pid = null;
        this.exited = null;
        resolve({ code, signal, ranForMs: this.clock.now() - this.startedAt });
      };
      watchExit(child, finish);
    });
    return this.exited;
  }

  /** The system refused the process (its error comes next): an exit that says why, with nothing of it to watch. */
  private unstarted(child: ChildProcess): Promise<ExitInfo> {
    this.exited = new Promise<ExitInfo>((resolve) =>
      child.once('error', (err: NodeJS.ErrnoException) => {
        this.exited = null;
        resolve({ code: null, signal: null, ranForMs: 0, unstarted: spawnRefusal(err, this.spec.cwd) });
      }),
    );
    return this.exited;
  }

  terminate(): void {
    if (this.pid === null || this.termSent) return;
    this.termSent = true;
    signalGroup(this.pid, 'SIGTERM');
    for (const pid of this.escapees()) signalEscapee(pid, 'SIGTERM');
  }

  kill(): void {
    if (this.pid === null) return;
    const escapees = this.escapees();
    killTree(this.pid, this.opts.marker);
    for (const pid of escapees) signalEscapee(pid, 'SIGKILL');
  }

  /** Its group, what descends from it, and what carries its marker elsewhere. */
  members(): number[] {
    return this.pid === null ? [] : processTree(this.pid, this.opts.marker, false, bornSince());
  }

  write(text: string): boolean {
    if (!this.stdin || this.stdin.destroyed) return false;
    this.stdin.write(text);
    return true;
  }

  /** Keep whole lines of this process's output for `fbench logs`, and say them. */
  record(text: Buffer, partial = false): void {
    this.ring.push(text);
    this.emit('output', text, partial);
  }

  /**
   * The processes carrying its marker that no longer descend from its group: they left it and
   * lost their parent (a daemon's double fork). A descendant outside the group (RQ's work horse)
   * is not one: its parent stops it (a warm shutdown lets the job finish).
   */
  private escapees(): number[] {
    if (this.pid === null) return [];
    const tree = new Set(processTree(this.pid));
    return markedProcesses(this.opts.marker, false, false, bornSince()).filter((p) => !tree.has(p));
  }

  /**
   * Open the files the command's redirections named, as sh would at each start (`>` truncates,
   * `>>` appends; a file named twice is opened once). A file that cannot be opened is said once
   * and the stream is still shown.
   */
  private openFiles(targets: readonly OutputTarget[]): Map<OutputTarget, LogFile> {
    const out = new Map<OutputTarget, LogFile>();
    for (const t of targets) {
      if (typeof t !== 'object') continue;
      const f = this.opts.logFiles.open(path.resolve(this.spec.cwd, t.file), t.append);
      if (f) out.set(t, f);
    }
    return out;
  }

  /**
   * The program has exited; wait for everything it started. Stopping, the stop's grace does the
   * rest. A program that finished (exit 0) and left processes running daemonized them: they are
   * said and run on, stopped with the bench. After a crash, what it left gets the one SIGTERM it
   * has not had, then SIGKILL after its grace, before anything restarts.
   */
  private async untilAllGone(pgid: number, code: number | null): Promise<void> {
    // Read afresh: the table a moment ago still had the program in it.
    const left = (fresh = false): number[] => processTree(pgid, this.opts.marker, fresh, bornSince());
    let found = left(true);
    if (!this.termSent && code === 0) {
      // A double fork may be mid-way: a reading can list the child, then find it gone, while
      // the grandchild it forked was born after the listing. A second reading lists that one.
      if (found.length === 0) found = left(true);
      if (found.length === 0) return;
      // What is said is what stays: the middle of a double fork is gone a moment later.
      await delay(this.clock, DAEMON_SETTLE_MS);
      found = left(true);
      if (found.length === 0) return;
      this.emit(
        'leftover',
        found.map((pid): Leftover => ({ pid, command: commandLine(pid) })),
      );
      while (left().length > 0) await delay(this.clock, LEFTOVER_POLL_MS);
      return;
    }
    if (found.length === 0) return;
    // Stopping: the stop's own grace ends what is left.
    const killAt = this.termSent ? Infinity : this.clock.now() + this.spec.graceMs;
    this.terminate();
    while (left().length > 0) {
      if (this.clock.now() >= killAt) this.kill();
      await delay(this.clock, EXIT_POLL_MS);
    }
  }
}

/** A process that left the group gets the signal with the group it made for itself (a daemon's setsid), if it leads one. */
function signalEscapee(pid: number, signal: NodeJS.Signals): void {
  if (isGroupLeader(pid)) signalGroup(pid, signal);
  signalPid(pid, signal);
}

function isGroupLeader(pid: number): boolean {
  try {
    return process.kill(-pid, 0) === true;
  } catch {
    return false;
  }
}

/**
 * A process's CPU priority, set before its gate opens (the program and what it starts inherit
 * it). Its own session is its own autogroup on Linux, where a nice value counts only against the
 * group's own processes: the group's nice is set too. Where not allowed, it runs as usual.
 */
function lowerPriority(pid: number, nice: number): void {
  try {
    setPriority(pid, nice);
  } catch {
    return;
  }
  try {
    writeFileSync(`/proc/${pid}/autogroup`, String(nice));
  } catch {
    // no autogroups here (macOS, or a kernel without them): the process's own nice is what counts
  }
}

/** Why the system refused to start a process, and what to do, in one clause. */
export function spawnRefusal(err: NodeJS.ErrnoException, cwd: string): string {
  switch (err.code) {
    case 'EMFILE':
    case 'ENFILE': {
      const limit = openFilesLimit();
      return `out of file descriptors (${err.code}${limit !== null ? `: fbench may have ${limit} open` : ''}); raise the limit before starting, e.g. \`ulimit -n 4096\``;
    }
    case 'EAGAIN':
      return 'the system refused another process (EAGAIN): too many processes for this user? see `ulimit -u`';
    case 'ENOENT':
      return `its working folder ${cwd} (or /bin/sh) does not exist`;
    default:
      return err.message;
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
  child.once('error', () => {}); // a failed kill; a failed spawn never gets here (see unstarted)
}
