import { linkSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { removeFile } from '../util/remove-file.js';
import path from 'node:path';
import { pidAlive } from './process-group.js';

/** The pid of a live process named in a pid file, or null (missing, unreadable or stale). */
export function readLivePid(file: string): number | null {
  const pid = readPid(file);
  return pid !== null && pidAlive(pid) ? pid : null;
}

/** The pid a pid file names, alive or not; null when missing or unreadable. */
export function readPid(file: string): number | null {
  try {
    const pid = Number(readFileSync(file, 'utf8').trim().split(/\s+/)[0]);
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

/**
 * Take the pid file for `pid`, atomically: exactly one of two processes racing for it wins.
 * Returns null when taken, else the pid of the live holder. A stale file (dead pid) is
 * replaced. Throws when the folder cannot be written.
 */
export function acquirePidFile(file: string, pid: number): number | null {
  mkdirSync(path.dirname(file), { recursive: true });
  // Written whole under a private name first, then linked: the pid file never exists half-written.
  const mine = `${file}.${pid}`;
  writeFileSync(mine, `${pid}\n`);
  try {
    for (let attempt = 0; attempt < 5; attempt++) {
      try {
        linkSync(mine, file);
        return null;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
      const holder = readPid(file);
      if (holder !== null && pidAlive(holder) && holder !== pid) return holder;
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
    const holder = readLivePid(file);
    if (holder !== null) return holder;
    throw new Error(`cannot take the pid file ${file}: it keeps changing`);
  } finally {
    removeFile(mine);
  }
}

export function removePidFile(file: string, pid: number): void {
  if (readPid(file) === pid) removeFile(file);
}
