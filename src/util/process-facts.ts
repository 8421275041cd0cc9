import { readFileSync, readlinkSync, statSync } from 'node:fs';

/**
 * What the kernel says of one process (Linux /proc): facts a server's answers or a pid file
 * cannot fake. Each is null when the process is gone or not ours to see.
 */

/** The longest command line a message shows. */
const COMMAND_CHARS = 120;

/** Its arguments, whole (to tell what it is); null when it cannot be read. */
export function commandArgs(pid: number): string[] | null {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
  } catch {
    return null;
  }
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

let bootMs: number | null | undefined;
/** When a process started, in ms since the epoch (boot time plus its start); null without /proc. */
export function processStartedAt(pid: number): number | null {
  const ticks = processStartTicks(pid);
  if (ticks === null) return null;
  if (bootMs === undefined) {
    try {
      bootMs = Number(/^btime (\d+)$/m.exec(readFileSync('/proc/stat', 'utf8'))?.[1]) * 1000 || null;
    } catch {
      bootMs = null;
    }
  }
  return bootMs === null ? null : bootMs + ticks * 10; // USER_HZ is 100 on Linux
}

/** How many files this process may have open (its soft RLIMIT_NOFILE, as `ulimit -n` sets it); null without /proc. */
export function openFilesLimit(): number | null {
  try {
    const m = /^Max open files\s+(\d+|unlimited)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
    return m ? (m[1] === 'unlimited' ? Infinity : Number(m[1])) : null;
  } catch {
    return null;
  }
}
