import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pidAlive } from './process-group.js';

/** The pid of a live process named in a pid file, or null (missing, unreadable or stale). */
export function readLivePid(file: string): number | null {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return null;
  }
  const pid = Number(text.trim().split(/\s+/)[0]);
  return Number.isInteger(pid) && pid > 0 && pidAlive(pid) ? pid : null;
}

export function writePidFile(file: string, pid: number): void {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, `${pid}\n`);
}

export function removePidFile(file: string, pid: number): void {
  try {
    if (Number(readFileSync(file, 'utf8').trim()) === pid) rmSync(file);
  } catch {
    // already gone
  }
}
