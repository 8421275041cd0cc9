import { appFrame, jobSite } from '../frappe/error-lines.js';
import type { FailedJobDetail } from '../frappe/rq-jobs.js';
import type { BenchModel } from '../frappe/bench-model.js';
import { FbenchError } from '../errors.js';
import { request } from './control-client.js';
import type { ErrorEntry } from './error-log.js';
import { listFailed, showJob } from './jobs.js';
import { runningSessions } from './session-files.js';

export type { ErrorEntry };

/** Which errors: since a moment (ms since the epoch) or since the last save fbench saw; of one site. */
export interface ErrorQuery {
  since?: number | 'save';
  site?: string;
  /** At most this many (newest first). */
  limit?: number;
}

/** What `fbench errors`, the ui and the MCP tool are told. */
export interface ErrorsAnswer {
  errors: ErrorEntry[];
  /** The last save the session saw (ISO 8601), or null. */
  lastSave: string | null;
  /** How many older entries were dropped to keep the list bounded. */
  dropped: number;
  /** `session`: everything the running session saw; `queue-redis`: with no session, RQ's failed jobs only. */
  from: 'session' | 'queue-redis';
}

/** The newest failed jobs looked into (each is one read of its hash and traceback). */
const JOBS_LOOKED_AT = 20;
/** A job's story: the most lines of it kept. */
const STORY_LINES = 40;

/** A failed job as an entry: Frappe's method, the exception, the app's frame, and the worker's lines while it ran. Pure. */
export function jobEntry(job: FailedJobDetail, story: { process: string; lines: string[] } | null): ErrorEntry {
  const at = new Date(job.failedAt ?? 0).toISOString();
  const tb = job.traceback.split('\n');
  return {
    kind: 'job',
    at,
    firstAt: at,
    count: 1,
    process: story?.process ?? null,
    site: jobSite(job.id, job.call),
    title: `job ${job.method} on ${job.queue}`,
    exception: job.exception || null,
    where: appFrame(tb),
    job: job.id,
    lines: story?.lines.slice(-STORY_LINES) ?? tb.slice(-STORY_LINES),
    more: `fbench jobs show ${job.id}`,
  };
}

/** The bench's failed jobs, newest first, each read whole. */
export async function failedJobDetails(model: BenchModel): Promise<FailedJobDetail[]> {
  const failed = await listFailed(model, { limit: JOBS_LOOKED_AT });
  return (await Promise.all(failed.map((j) => showJob(model, j.id).catch(() => null)))).filter((j) => j !== null);
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
  const answers = await Promise.all(
    runningSessions(model.dir).map(async (session) => {
      const got = await request(session.socket, { cmd: 'errors' }, 10_000);
      const bad = got.find((m) => m.ok === false);
      if (bad) throw new Error(String(bad.error));
      return got.find((m) => Array.isArray(m.errors)) as unknown as { errors: ErrorEntry[]; lastSave: string | null; dropped: number } | undefined;
    }),
  );
  const all = answers.filter((a) => a !== undefined);
  const lastSave = Math.max(-Infinity, ...all.map((a) => (a.lastSave ? Date.parse(a.lastSave) : -Infinity)));
  const saved = Number.isFinite(lastSave) ? lastSave : null;
  // A job both sessions read from Redis is one entry.
  const seen = new Set<string>();
  const errors = all.flatMap((a) => a.errors).filter((e) => !e.job || (!seen.has(e.job) && seen.add(e.job)));
  return {
    errors: selectErrors(errors, query, saved),
    lastSave: saved === null ? null : new Date(saved).toISOString(),
    dropped: all.reduce((n, a) => n + a.dropped, 0),
    from: 'session',
  };
}
