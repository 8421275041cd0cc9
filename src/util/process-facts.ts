import { readFileSync, readlinkSync, statSync } from 'node:fs';

/**
 * What the kernel says of one process (Linux /proc): facts a server's answers or a pid file
 * cannot fake. Each is null when the process is gone or not ours to see.
 */

/** Its command line, arguments joined by spaces; '?' when it cannot be read. */
export function commandLine(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ') || '?';
  } catch {
    return '?';
  }
}

/** When a process started (clock ticks after boot): with its pid, it names one process for good, even once pids are reused. */
export function processStartTicks(pid: number): number | null {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(s.slice(s.lastIndexOf(')') + 2).split(' ')[19]);
  } catch {
    return null;
  }
}

/** The user a process runs as (its real uid). */
export function processUid(pid: number): number | null {
  try {
    return statSync(`/proc/${pid}`).uid;
  } catch {
    return null;
  }
}

/** The program it runs, as the kernel names it (the executable's name, whatever title the program gives itself). */
export function processProgram(pid: number): string | null {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return null;
  }
}

/** Its working folder (Redis works in its `dir`). */
export function processCwd(pid: number): string | null {
  try {
    return readlinkSync(`/proc/${pid}/cwd`);
  } catch {
    return null;
  }
}

/** One process for good: its pid and its start. */
export interface ProcessIdentity {
  pid: number;
  start: number | null;
}

export function identify(pid: number): ProcessIdentity {
  return { pid, start: processStartTicks(pid) };
}

/** True while the process named is the one identified: not gone, not a later process given the same pid. */
export function stillSame(id: ProcessIdentity): boolean {
  if (id.start !== null) return processStartTicks(id.pid) === id.start;
  try {
    process.kill(id.pid, 0); // no start time to compare (no /proc): that the pid exists is all there is
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
