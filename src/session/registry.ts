import { readdirSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import { processStart } from '../util/process-facts.js';
import { removeFile } from '../util/remove-file.js';
import { ownFolder, readSmallFile, writeReplacing } from '../util/safe-file.js';
import type { SessionKind } from './session-files.js';

/** One running session, as `fbench ls` lists it. */
export interface SessionRecord {
  pid: number;
  /** Its process's start (clock ticks after boot): a pid reused by another program is not it. */
  procStart: number | null;
  kind: SessionKind;
  bench: string;
  startedAt: number;
  socket: string;
  ports: { name: string; port: number }[];
}

/** Where this user's running sessions are listed: $XDG_RUNTIME_DIR/fbench (gone at logout), else ~/.local/state/fbench/sessions. */
export function registryDir(env: Readonly<Record<string, string | undefined>> = process.env): string {
  if (env.XDG_RUNTIME_DIR) return path.join(env.XDG_RUNTIME_DIR, 'fbench');
  return path.join(env.XDG_STATE_HOME || path.join(env.HOME || homedir(), '.local', 'state'), 'fbench', 'sessions');
}

/** Lists a session for as long as it runs: written whole at start, removed at its end (a dead one is dropped by the next reader). */
export class SessionEntry {
  private file: string | null = null;

  constructor(private readonly record: Omit<SessionRecord, 'pid' | 'procStart'>) {}

  start(): void {
    try {
      const dir = registryDir();
      ownFolder(dir, 0o700);
      const file = path.join(dir, `${process.pid}.json`);
      const full: SessionRecord = { pid: process.pid, procStart: processStart(process.pid), ...this.record };
      writeReplacing(file, JSON.stringify(full), 0o600);
      this.file = file;
    } catch {
      // no home to write to: the session runs, unlisted
    }
  }

  close(): void {
    if (this.file) removeFile(this.file);
    this.file = null;
  }
}

/** The sessions running now on this machine for this user; entries of sessions that are gone are removed. */
export function runningRecords(): SessionRecord[] {
  const dir = registryDir();
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => /^\d+\.json$/.test(n));
  } catch {
    return [];
  }
  const out: SessionRecord[] = [];
  for (const n of names) {
    const file = path.join(dir, n);
    let r: SessionRecord;
    try {
      r = JSON.parse(readSmallFile(file, 64 * 1024) ?? '') as SessionRecord;
    } catch {
      continue; // not a record fbench wrote
    }
    const start = processStart(r.pid);
    if (start === null || start !== r.procStart) removeFile(file);
    else out.push(r);
  }
  return out.sort((a, b) => a.bench.localeCompare(b.bench) || a.pid - b.pid);
}
