import type { EventEmitter } from 'node:events';
import type { LogRing } from './log-ring.js';

/** Where one output stream goes: fbench shows it (and appends it to `file`), or nobody reads it. */
export type OutputTarget = { file: string; append: boolean } | 'discard' | 'fbench';

/** What to run: generic, nothing Frappe-specific. */
export interface ProcessSpec {
  name: string;
  command: string;
  cwd: string;
  /** Added to fbench's own environment. */
  env: Record<string, string>;
  /** Where stdout and stderr go (default: fbench). fbench writes the files itself, line by line. */
  stdout?: OutputTarget;
  stderr?: OutputTarget;
  /** Recorded (logs, files) but not printed. */
  quiet?: boolean;
  /** false: stdin is /dev/null (a program that needs EOF); default a pipe fbench holds open. */
  stdin?: boolean;
  /** A running process of this command to take over instead of starting one (a Redis left running). */
  adoptPid?: number;
}

/** How a process ended: the exit of the program itself (the group leader). */
export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
  ranForMs: number;
}

/**
 * One supervised process, whatever runs it: a child in its own process group, or a process
 * fbench took over (an adopted Redis). It is running while anything of it is alive; `exit`
 * settles only when nothing is. Emits 'text' with each run of whole output lines, and
 * 'prompt' when its output stops at a debugger prompt.
 */
export interface SupervisedProcess extends EventEmitter {
  readonly name: string;
  /** The pid of the program (the group leader), or null when not running. */
  readonly pid: number | null;
  readonly running: boolean;
  /** True while it is a process fbench took over rather than started. */
  readonly adopted: boolean;
  readonly startedAt: number;
  /** Recent output, for `fbench logs` and start-up errors. */
  readonly ring: LogRing;
  /** Keep whole lines as this process's output (its own, or a file it writes) and emit them as 'text'. */
  record(text: Buffer): void;
  /** Run it; resolves when it and everything it started are gone. */
  spawn(): Promise<ExitInfo>;
  /** The pending exit while running. */
  readonly exit: Promise<ExitInfo> | null;
  /** Ask it to stop: one SIGTERM per run, however often this is called. */
  terminate(): void;
  /** SIGKILL it and everything it started. */
  kill(): void;
  /** Its output ends with a debugger prompt (`(Pdb) `) and nothing was typed to it since. */
  readonly atPrompt: boolean;
  /** Send text to its stdin; false when it has none (not running, or stdin is /dev/null). */
  write(text: string): boolean;
}

/** A debugger waiting for a command: pdb, pdb++, ipdb. The end of a partial line. */
export const DEBUGGER_PROMPT = /(?:\(Pdb\+*\)|\(ipdb\)|ipdb>|\(Pdb\)) $/;

/** Makes the process for a spec: the seam that lets the supervisor be tested without spawning. */
export type ProcessFactory = (spec: ProcessSpec) => SupervisedProcess;

export function describeExit(info: ExitInfo): string {
  return info.signal ? `killed by ${info.signal}` : `exit code ${info.code}`;
}
