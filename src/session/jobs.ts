import type { BenchModel } from '../frappe/bench-model.js';
import { knownQueues } from '../frappe/queues.js';
import { deleteJob, failedJobs, jobDetail, JobRefusal, requeueJob, type FailedJob, type FailedJobDetail } from '../frappe/rq-jobs.js';
import { benchQueueName } from '../frappe/rq.js';
import { FbenchError } from '../errors.js';
import { withQueueRedis } from './queue-redis.js';

/** A job as every JSON surface says it (`fbench jobs --json`, the MCP tools): its moments as ISO 8601. Pure. */
export function jobJson<J extends FailedJob & { startedAt?: number | null }>(
  j: J,
): Omit<J, 'failedAt' | 'startedAt'> & { failedAt: string | null; startedAt?: string | null } {
  const iso = (ms: number | null | undefined): string | null => (ms === null || ms === undefined ? null : new Date(ms).toISOString());
  return { ...j, failedAt: iso(j.failedAt), ...('startedAt' in j ? { startedAt: iso(j.startedAt) } : {}) };
}

/** The bench's failed jobs, newest first (every queue it knows, or `queue`), the same for `fbench jobs` and the MCP tools. */
export function listFailed(model: BenchModel, opts: { queue?: string; limit?: number } = {}): Promise<FailedJob[]> {
  const queues = opts.queue ? [opts.queue] : knownQueues(model.config);
  return withQueueRedis(model, (c) => failedJobs(c, model.queues, queues, opts.limit ?? 100));
}

export async function showJob(model: BenchModel, id: string): Promise<FailedJobDetail> {
  const job = await withQueueRedis(model, (c) => jobDetail(c, model.queues, id));
  if (!job) throw new FbenchError(`no job ${id} in the queue Redis`, 'see the failed ones with `fbench jobs failed` (ids are printed whole)');
  return job;
}

/** Requeue or delete failed jobs by id; each id's outcome in one line. */
export async function actOnFailed(
  model: BenchModel,
  action: 'requeue' | 'delete',
  ids: readonly string[],
): Promise<{ id: string; ok: boolean; said: string }[]> {
  return withQueueRedis(model, async (c) => {
    const out: { id: string; ok: boolean; said: string }[] = [];
    for (const id of ids) {
      try {
        const origin = benchQueueName(model.queues, action === 'requeue' ? await requeueJob(c, id) : await deleteJob(c, id));
        out.push({ id, ok: true, said: action === 'requeue' ? `job ${id} requeued on ${origin}` : `job ${id} deleted (it was failed on ${origin})` });
      } catch (err) {
        if (!(err instanceof JobRefusal)) throw err;
        out.push({ id, ok: false, said: err.message });
      }
    }
    return out;
  });
}
