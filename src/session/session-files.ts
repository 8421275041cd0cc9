import { createHash } from 'node:crypto';
import { lstatSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { FbenchError } from '../errors.js';
import { realPath } from '../util/real-path.js';
import { benchLayout } from '../frappe/layout.js';
import { readLivePid } from '../runtime/pidfile.js';

/** The sessions a bench can run at once: `fbench start`, and `fbench workers` beside it. */
export type SessionKind = 'start' | 'workers';
export const SESSION_KINDS: readonly SessionKind[] = ['start', 'workers'];

/**
 * Where a session keeps its pid file, its control socket and its watchdog's pid (which outlives
 * a killed session while it stops what that session ran): the bench's pid folder (config/pids,
 * or pids/ on the new CLI's benches).
 */
export function sessionFiles(bench: string, kind: SessionKind = 'start'): { pid: string; socket: string; watchdog: string } {
  const dir = benchLayout(bench)?.pidsDir ?? path.join(bench, 'config', 'pids');
  const base = kind === 'start' ? 'fbench' : 'fbench-workers';
  return {
    pid: path.join(dir, `${base}.pid`),
    socket: path.join(dir, `${base}.sock`),
    watchdog: path.join(dir, `${base}.watchdog`),
  };
}

/**
 * Where a session's control socket listens: a socket's path must fit in 107 bytes, a bench's
 * folder need not. A private folder of this user's (the runtime dir, else one in the temp
 * folder), a name from a hash of the bench's real path: two benches never share one.
 * The session's `socket` (sessionFiles) is a link to it.
 */
export function shortSocketPath(bench: string, kind: SessionKind, env: Readonly<Record<string, string | undefined>> = process.env): string {
  const key = createHash('sha256')
    .update(`${realPath(bench)}\0${kind}`)
    .digest('hex')
    .slice(0, 20);
  return path.join(privateRuntimeDir(env), `${key}.sock`);
}

/** This user's folder for sockets, made 0700; one that is not this user's alone is not used (another user could listen in it). */
function privateRuntimeDir(env: Readonly<Record<string, string | undefined>>): string {
  const uid = process.getuid?.() ?? 0;
  const dir = env.XDG_RUNTIME_DIR ? path.join(env.XDG_RUNTIME_DIR, 'fbench') : path.join(tmpdir(), `fbench-${uid}`);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const st = lstatSync(dir);
  if (!st.isDirectory() || st.uid !== uid || (st.mode & 0o077) !== 0) {
    throw new FbenchError(`${dir} is not a folder private to this user`, `remove it (fbench makes it again, mode 0700), or set XDG_RUNTIME_DIR`);
  }
  return dir;
}

/** The command a session is, for messages. */
export function sessionCommand(kind: SessionKind): string {
  return `fbench ${kind}`;
}

/** The sessions running for this bench now. */
export function runningSessions(bench: string): { kind: SessionKind; pid: number; socket: string }[] {
  return SESSION_KINDS.flatMap((kind) => {
    const files = sessionFiles(bench, kind);
    const pid = readLivePid(files.pid, true);
    return pid === null ? [] : [{ kind, pid, socket: files.socket }];
  });
}
