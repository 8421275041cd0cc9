import { appFrame, jobSite } from '../frappe/error-lines.js';
import type { FailedJobDetail } from '../frappe/rq-jobs.js';
import type { BenchModel } from '../frappe/bench-model.js';
import type { ErrorEntry } from './error-log.js';
import { listFailed, showJob } from './jobs.js';

export type { ErrorEntry };

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
