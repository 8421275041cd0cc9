import { readFileSync } from 'node:fs';
import { processTable } from './process-table.js';

/**
 * What the kernel says of one process: facts a server's answers or a pid file cannot fake.
 * Each is null when the process is gone or not ours to see.
 */

/** The longest command line a message shows. */
const COMMAND_CHARS = 120;

/** Its arguments, whole (to tell what it is); null when it cannot be read. */
export function commandArgs(pid: number): string[] | null {
  return processTable.args(pid);
}

/** Its command line for a message: one line (control characters as spaces), cut at COMMAND_CHARS; '?' when it cannot be read. */
export function commandLine(pid: number): string {
  const args = commandArgs(pid);
  if (args === null) return '?';
  const text = args.join(' ');
  const line = text
    // eslint-disable-next-line no-control-regex
    .replace(/[\u0000-\u001f\u007f-\u009f]+/g, ' ')
    .replace(/ {2,}/g, ' ')
    .trim();
  return line.length > COMMAND_CHARS ? `${line.slice(0, COMMAND_CHARS - 1)}…` : line || '?';
}

/** When a process started (whole seconds since the epoch): with its pid, it names one process for good, even once pids are reused. */
export function processStart(pid: number): number | null {
  return processTable.row(pid)?.start ?? null;
}

/** The user a process runs as. */
export function processUid(pid: number): number | null {
  return processTable.uid(pid);
}

/** The program it runs, as the kernel names it (the executable's name, whatever title the program gives itself). */
export function processProgram(pid: number): string | null {
  return processTable.program(pid);
}

/** Its working folder (Redis works in its `dir`). */
export function processCwd(pid: number): string | null {
  return processTable.cwd(pid);
}

/** One process for good: its pid and its start. */
export interface ProcessIdentity {
  pid: number;
  start: number | null;
}

export function identify(pid: number): ProcessIdentity {
  return { pid, start: processStart(pid) };
}

/** True while the process named is the one identified: not gone, not a later process given the same pid. */
export function stillSame(id: ProcessIdentity): boolean {
  if (id.start !== null) return processStart(id.pid) === id.start;
  try {
    process.kill(id.pid, 0); // no start time to compare: that the pid exists is all there is
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** A user's name from the password file, else `uid N`. */
export function userName(uid: number | null): string {
  if (uid === null) return 'an unknown user';
  try {
    for (const line of readFileSync('/etc/passwd', 'utf8').split('\n')) {
      const [name, , id] = line.split(':');
      if (name && Number(id) === uid) return `user ${name}`;
    }
  } catch {
    // no password file to read
  }
  return `uid ${uid}`;
}

/** When a process started, in ms since the epoch (to the second); null when it cannot be told. */
export function processStartedAt(pid: number): number | null {
  const s = processStart(pid);
  return s === null ? null : s * 1000;
}

/** How many files this process may have open (its soft RLIMIT_NOFILE, as `ulimit -n` sets it); null when it cannot be told. */
export function openFilesLimit(): number | null {
  return processTable.openFilesLimit();
}
