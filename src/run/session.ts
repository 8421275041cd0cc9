import path from 'node:path';

/** `fbench start`'s session; `fbench workers` runs its own beside it. */
export const START_SESSION = 'fbench';
export const WORKERS_SESSION = 'fbench-workers';

/** Where a session keeps its pid file and control socket: the bench's config/pids, beside Redis's. */
export function sessionFiles(bench: string, session = START_SESSION): { pid: string; socket: string } {
  const dir = path.join(bench, 'config', 'pids');
  return { pid: path.join(dir, `${session}.pid`), socket: path.join(dir, `${session}.sock`) };
}

/** The command a session is, for messages. */
export function sessionCommand(session: string): string {
  return session === START_SESSION ? 'fbench start' : `fbench ${session.replace(/^fbench-/, '')}`;
}
