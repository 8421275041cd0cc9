import path from 'node:path';
import { benchLayout } from '../frappe/layout.js';
import { readLivePid } from '../runtime/pidfile.js';

/** The sessions a bench can run at once: `fbench start`, and `fbench workers` beside it. */
export type SessionKind = 'start' | 'workers';
export const SESSION_KINDS: readonly SessionKind[] = ['start', 'workers'];

/** Where a session keeps its pid file and control socket: the bench's pid folder (config/pids, or pids/ on the new CLI's benches). */
export function sessionFiles(bench: string, kind: SessionKind = 'start'): { pid: string; socket: string } {
  const dir = benchLayout(bench)?.pidsDir ?? path.join(bench, 'config', 'pids');
  const base = kind === 'start' ? 'fbench' : 'fbench-workers';
  return { pid: path.join(dir, `${base}.pid`), socket: path.join(dir, `${base}.sock`) };
}

/** The command a session is, for messages. */
export function sessionCommand(kind: SessionKind): string {
  return `fbench ${kind}`;
}

/** The sessions running for this bench now. */
export function runningSessions(bench: string): { kind: SessionKind; pid: number; socket: string }[] {
  return SESSION_KINDS.flatMap((kind) => {
    const files = sessionFiles(bench, kind);
    const pid = readLivePid(files.pid);
    return pid === null ? [] : [{ kind, pid, socket: files.socket }];
  });
}
