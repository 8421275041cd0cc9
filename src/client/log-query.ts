import path from 'node:path';
import { SYSTEM } from '../output/printer.js';
import { ask, benchSessions, bySession, type SessionAnswer } from './control-client.js';
import { has, type LogLine, type RequestOf } from '../session/control-protocol.js';
import { readSessionLog } from '../session/session-log.js';
import { runningSessions } from '../session/session-files.js';

/** As many lines as a session's rings hold (a number, so it crosses the socket as JSON). */
const ALL_LINES = 2 ** 31;

export interface LogQuery {
  /** Lines per process. */
  n: number;
  /** Only lines from then on (ms since the epoch). */
  since?: number;
  /** Only lines whose text this accepts; matched here, never in the session (a slow match stalls only its caller). */
  match?: (text: string) => boolean;
}

/** Who is asked, for which names, with or without fbench's own lines. */
export interface LogTargets {
  sessions: SessionAnswer[];
  targets: { session: SessionAnswer; names: string[] }[];
  wantSystem: boolean;
}

/** The sessions to ask for the lines of `names` (all, when none; `system` is fbench's own). */
export function logTargets(sessions: SessionAnswer[], names: readonly string[], bench: string): LogTargets {
  const wantSystem = names.length === 0 || names.includes(SYSTEM);
  const rest = names.filter((n) => n !== SYSTEM);
  const targets = rest.length
    ? bySession(sessions, rest, 'logs', bench)
    : names.length
      ? []
      : sessions.map((session) => ({ session, names: session.processes.map((p) => p.name) }));
  if (wantSystem) for (const s of sessions) if (!targets.some((t) => t.session === s)) targets.push({ session: s, names: [] });
  return { sessions, targets, wantSystem };
}

/** The `logs` request for one target. */
export function logsRequest(t: LogTargets['targets'][number], wantSystem: boolean, q: LogQuery & { follow: boolean }): RequestOf<'logs'> {
  return {
    cmd: 'logs',
    names: [...t.names, ...(wantSystem ? [SYSTEM] : [])],
    n: q.match ? ALL_LINES : q.n,
    follow: q.follow,
    ...(q.since !== undefined ? { since: q.since } : {}),
  };
}

/**
 * The recent lines of `names` across the bench's sessions, merged in time order; with no
 * session, what the last one wrote to logs/fbench.log (`from` says which).
 */
export async function recentLogs(bench: string, names: readonly string[], q: LogQuery): Promise<{ lines: LogLine[]; from: 'session' | string }> {
  let sessions: SessionAnswer[];
  try {
    sessions = await benchSessions(bench);
  } catch (err) {
    if (runningSessions(bench).length > 0) throw err; // one runs, but cannot be asked
    const file = path.join(bench, 'logs', 'fbench.log');
    const all = readSessionLog(file, { names: [...names], n: q.match ? ALL_LINES : q.n, ...(q.since !== undefined ? { since: q.since } : {}) });
    if (all === null) throw err;
    return {
      lines: q.match
        ? lastPerName(
            all.filter((l) => q.match!(l.text)),
            q.n,
          )
        : all,
      from: file,
    };
  }
  const { targets, wantSystem } = logTargets(sessions, names, bench);
  const got = (
    await Promise.all(
      targets.map(async (t) =>
        (await ask(t.session.socket, logsRequest(t, wantSystem, { ...q, follow: false }))).flatMap((m) => (has(m, 'line') ? [m.line] : [])),
      ),
    )
  ).flat();
  const lines = q.match
    ? lastPerName(
        got.filter((l) => q.match!(l.text)),
        q.n,
      )
    : got;
  return { lines: lines.sort((a, b) => a.time - b.time || a.seq - b.seq), from: 'session' };
}

/** The last `n` lines of each process, in the order given. */
function lastPerName(lines: readonly LogLine[], n: number): LogLine[] {
  const count = new Map<string, number>();
  return [...lines]
    .reverse()
    .filter((l) => {
      const c = (count.get(l.name) ?? 0) + 1;
      count.set(l.name, c);
      return c <= n;
    })
    .reverse();
}

/** A line as `logs --json` and the MCP tools give it: one JSON object per line. */
export function logLineJson(l: LogLine): { time: string; name: string; text: string } {
  return { time: new Date(l.time).toISOString(), name: l.name, text: l.text };
}
