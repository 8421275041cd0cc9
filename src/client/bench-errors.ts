import type { BenchModel } from '../frappe/bench-model.js';
import { FbenchError } from '../errors.js';
import { ask } from './control-client.js';
import type { ErrorEntry } from '../session/error-log.js';
import { messageWith, type ErrorsReport } from '../session/control-protocol.js';
import { failedJobDetails, jobEntry } from '../session/errors.js';
import { runningSessions } from '../session/session-files.js';

/** Which errors: since a moment (ms since the epoch) or since the last save fbench saw; of one site. */
export interface ErrorQuery {
  since?: number | 'save';
  site?: string;
  /** At most this many (newest first). */
  limit?: number;
}

/** What `fbench errors`, the ui and the MCP tool are told. */
export interface ErrorsAnswer extends ErrorsReport {
  /** `session`: everything the running session saw; `queue-redis`: with no session, RQ's failed jobs only. */
  from: 'session' | 'queue-redis';
}

/** The entries a query asks for, newest first. Pure. */
export function selectErrors(entries: readonly ErrorEntry[], query: ErrorQuery, lastSave: number | null): ErrorEntry[] {
  const since = query.since === 'save' ? (lastSave ?? -Infinity) : (query.since ?? -Infinity);
  return entries
    .filter((e) => Date.parse(e.at) >= since && (query.site === undefined || e.site === query.site))
    .sort((a, b) => Date.parse(b.at) - Date.parse(a.at))
    .slice(0, query.limit ?? Infinity);
}

/**
 * What went wrong in a bench: from its running sessions (what they saw, with RQ's failed jobs
 * and each job's story), else RQ's failed jobs alone from its queue Redis.
 */
export async function benchErrors(model: BenchModel, query: ErrorQuery): Promise<ErrorsAnswer> {
  if (runningSessions(model.dir).length === 0) {
    if (query.since === 'save')
      throw new FbenchError('--since save needs a running session (it is the last save fbench start saw)', 'start the bench, or pass a time: --since 10m');
    const jobs = (await failedJobDetails(model)).map((j) => jobEntry(j, null));
    return { errors: selectErrors(jobs, query, null), lastSave: null, dropped: 0, from: 'queue-redis' };
  }
  const report = await sessionErrors(runningSessions(model.dir).map((s) => s.socket));
  const saved = report.lastSave === null ? null : Date.parse(report.lastSave);
  return { ...report, errors: selectErrors(report.errors, query, saved), from: 'session' };
}

/** What the sessions at `sockets` saw go wrong, as one report: a job two sessions read from Redis is one entry. */
export async function sessionErrors(sockets: readonly string[]): Promise<ErrorsReport> {
  const all = (await Promise.all(sockets.map(async (socket) => messageWith(await ask(socket, { cmd: 'errors' }, 10_000), 'errors')))).filter(
    (a) => a !== undefined,
  );
  const lastSave = Math.max(-Infinity, ...all.map((a) => (a.lastSave ? Date.parse(a.lastSave) : -Infinity)));
  const seen = new Set<string>();
  return {
    errors: selectErrors(
      all.flatMap((a) => a.errors).filter((e) => !e.job || (!seen.has(e.job) && seen.add(e.job))),
      {},
      null,
    ),
    lastSave: Number.isFinite(lastSave) ? new Date(lastSave).toISOString() : null,
    dropped: all.reduce((n, a) => n + a.dropped, 0),
  };
}
