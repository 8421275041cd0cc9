import { linkSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { removeFile } from '../util/remove-file.js';
import path from 'node:path';
import { pidAlive } from './process-group.js';
import { processStartedAt } from '../util/process-facts.js';

/**
 * The pid of the live process a pid file names, or null (missing, unreadable or stale). Stale
 * too: a process started after the file was written (its pid reused), and, with `owner`, a file
 * written for another owner (a copied bench's file names the original's session).
 */
export function readLivePid(file: string, owner?: string): number | null {
  let text: string;
  let writtenMs: number;
  try {
    text = readFileSync(file, 'utf8');
    writtenMs = statSync(file).mtimeMs;
  } catch {
    return null;
  }
  const [first, second] = text.split('\n');
  const pid = Number(first!.trim().split(/\s+/)[0]);
  if (!Number.isInteger(pid) || pid <= 0 || !pidAlive(pid)) return null;
  if (owner !== undefined && second !== undefined && second !== '' && second !== owner) return null;
  const started = processStartedAt(pid);
  // A second of slack: boot time is counted in whole seconds.
  return started !== null && started > writtenMs + 1000 ? null : pid;
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
 * Returns null when taken, else the pid of the live holder. A stale file (see readLivePid) is
 * replaced. `owner` is written on its second line. Throws when the folder cannot be written.
 */
export function acquirePidFile(file: string, pid: number, owner?: string): number | null {
  mkdirSync(path.dirname(file), { recursive: true });
  // Written whole under a private name first, then linked: the pid file never exists half-written.
  const mine = `${file}.${pid}`;
  writeFileSync(mine, owner === undefined ? `${pid}\n` : `${pid}\n${owner}\n`);
  try {
    for (let attempt = 0; attempt < 5; attempt++) {
      try {
        linkSync(mine, file);
        return null;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
      const holder = readPid(file);
      const live = readLivePid(file, owner);
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
    const holder = readLivePid(file, owner);
    if (holder !== null) return holder;
    throw new Error(`cannot take the pid file ${file}: it keeps changing`);
  } finally {
    removeFile(mine);
  }
}

export function removePidFile(file: string, pid: number): void {
  if (readPid(file) === pid) removeFile(file);
}
