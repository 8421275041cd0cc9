import type { EventEmitter } from 'node:events';
import type { OutputTarget } from '../config/shell-command.js';
import type { ProcessIdentity } from '../util/process-facts.js';
import type { LogRing } from './log-ring.js';

export type { OutputTarget } from '../config/shell-command.js';

/** What to run: generic, nothing Frappe-specific. */
export interface ProcessSpec {
  name: string;
  /** Run by /bin/sh -c. */
  command: string;
  cwd: string;
  /** Added to fbench's own environment. */
  env: Record<string, string>;
  /** Where stdout and stderr go. fbench writes the files itself, line by line. */
  stdout: OutputTarget;
  stderr: OutputTarget;
  /** Whether its lines are printed on the terminal (they are kept and written either way); a function decides per line. */
  show: boolean | ((line: Buffer) => boolean);
  /** stdin: a pipe fbench holds open (a debugger waits for input on it), or /dev/null (a program that needs EOF). */
  stdin: 'pipe' | 'null';
  /** Between SIGTERM and SIGKILL: for what it leaves behind after a crash, as for a stop. */
  graceMs: number;
  /** When it is stopped if fbench itself is killed (the watchdog): 0 first, then 1 (what the others depend on). */
  stopRank: number;
  /** A running process of this command to take over instead of starting one (a Redis left running). */
  adopt?: ProcessIdentity;
  /** Its CPU priority (nice), set before it runs anything; inherited by all it starts. */
  nice?: number;
}

/** How a process ended: the exit of the program itself (the group leader). */
export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
  ranForMs: number;
  /** It never ran: why it could not be started (out of file descriptors, its folder gone). */
  unstarted?: string;
}

/** A process its program left running when it exited (a daemon, a background job of a shell). */
export interface Leftover {
  pid: number;
  command: string;
}

/**
 * One supervised process, whatever runs it: a child in its own process group, or a process
 * fbench took over (an adopted Redis). It is running while anything of it is alive; `exit`
 * settles only when nothing is. Emits 'output' (lines: Buffer, partial: boolean) with each run
 * of whole lines (partial: shown before its newline, like a prompt), and 'leftover'
 * (Leftover[]) when its program exited but left processes running.
 */
export interface SupervisedProcess extends EventEmitter {
  readonly name: string;
  readonly spec: ProcessSpec;
  /** The pid of the program (the group leader), or null when not running. */
  readonly pid: number | null;
  readonly running: boolean;
  /** True while it is a process fbench took over rather than started. */
  readonly adopted: boolean;
  readonly startedAt: number;
  /** Recent output, for `fbench logs` and start-up errors. */
  readonly ring: LogRing;
  /** Keep whole lines as this process's output (its own, or a file it writes) and emit them. */
  record(text: Buffer): void;
  /** Run it; resolves when it and everything it started are gone. */
  spawn(): Promise<ExitInfo>;
  /** The pending exit while running. */
  readonly exit: Promise<ExitInfo> | null;
  /** Ask it to stop: one SIGTERM per run to its group and what left it, however often this is called. */
  terminate(): void;
  /** SIGKILL it and everything it started. */
  kill(): void;
  /** Every live process of it: its group, their descendants, and what carries its marker. */
  members(): number[];
  /** Send text to its stdin; false when it has none (not running, or stdin is /dev/null). */
  write(text: string): boolean;
}

/** Makes the process for a spec: the seam that lets the supervisor be tested without spawning. */
export type ProcessFactory = (spec: ProcessSpec) => SupervisedProcess;

export function describeExit(info: ExitInfo): string {
  if (info.unstarted) return `could not be started: ${info.unstarted}`;
  return info.signal ? `killed by ${info.signal}` : info.code === null ? 'gone' : `exit code ${info.code}`;
}
