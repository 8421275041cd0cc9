import { closeSync, linkSync, lstatSync, renameSync, writeSync, type Stats } from 'node:fs';
import { removeFile } from '../util/remove-file.js';
import path from 'node:path';
import { pidAlive } from './process-group.js';
import { processStartedAt } from '../util/process-facts.js';
import { processTable } from '../util/process-table.js';
import { createExclusive, ownFolder, readSmallFile } from '../util/safe-file.js';

/**
 * The pid of the live process a pid file names, or null (missing, unreadable or stale). Stale
 * too, as the kernel tells: a process started after the file was written (its pid reused), and,
 * with `held`, a process that does not hold this very file open (acquirePidFile's holders do;
 * a copied bench's file is another file, naming the original's session).
 */
export function readLivePid(file: string, held = false): number | null {
  let st: Stats;
  try {
    st = lstatSync(file);
  } catch {
    return null;
  }
  const pid = readPid(file);
  if (pid === null || !pidAlive(pid)) return null;
  const started = processStartedAt(pid);
  // A second of slack: start times are whole seconds, and the boot time they count from may drift by one.
  if (started !== null && started > st.mtimeMs + 1000) return null;
  const open = held ? processTable.holdsFile(pid, st) : null;
  return open === false ? null : pid;
}

/** The pid files this process holds open (see acquirePidFile's `hold`). */
const held = new Map<string, number>();

/** The pid a pid file names, alive or not; null when missing, unreadable, or not a small regular file (a FIFO there never blocks). */
export function readPid(file: string): number | null {
  const pid = Number(readSmallFile(file, 64)?.trim().split(/\s+/)[0] ?? NaN);
  return Number.isInteger(pid) && pid > 0 ? pid : null;
}

/**
 * Take the pid file for `pid`, atomically: exactly one of two processes racing for it wins.
 * Returns null when taken, else the pid of the live holder. A stale file (see readLivePid) is
 * replaced. `hold`: this process keeps the file open until removePidFile, and a holder that
 * does not is stale. Throws when the folder cannot be written.
 */
export function acquirePidFile(file: string, pid: number, hold = false): number | null {
  // Readable by all, as pid files are: another user's fbench is told whose session runs here. It names only a pid.
  ownFolder(path.dirname(file));
  // Written whole under a private name first (created exclusively: never through a planted
  // link), then linked: the pid file never exists half-written, and it is open before it exists
  // under its name (no moment when its holder seems not to hold it).
  const mine = `${file}.${pid}`;
  removeFile(mine); // a leftover of a dead process with this pid, or something planted: never written through
  const fd = createExclusive(mine, 0o644);
  let taken = false;
  try {
    writeSync(fd, `${pid}\n`);
    const holder = linkAttempts(file, mine, pid, hold);
    taken = holder === null;
    if (taken && hold) held.set(file, fd);
    return holder;
  } finally {
    if (!(taken && hold)) closeSync(fd);
    removeFile(mine);
  }
}

/** Link `mine` as the pid file; a stale one in the way is moved aside. Null when linked, else the live holder. */
function linkAttempts(file: string, mine: string, pid: number, hold: boolean): number | null {
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      linkSync(mine, file);
      return null;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const holder = readPid(file);
    const live = readLivePid(file, hold);
    if (live !== null && live !== pid) return live;
    // Stale: move it aside and check that what moved is the stale one, not a racer's new file.
    const aside = `${file}.stale.${pid}`;
    try {
      renameSync(file, aside);
    } catch {
      continue;
    }
    const moved = readPid(aside);
    if (moved !== holder) {
      try {
        linkSync(aside, file); // put the racer's file back
      } catch {
        // someone else holds it now; the next attempt reads who
      }
    }
    removeFile(aside);
  }
  const holder = readLivePid(file, hold);
  if (holder !== null) return holder;
  throw new Error(`cannot take the pid file ${file}: it keeps changing`);
}

export function removePidFile(file: string, pid: number): void {
  if (readPid(file) === pid) removeFile(file);
  const fd = held.get(file);
  if (fd !== undefined) {
    held.delete(file);
    closeSync(fd);
  }
}
