import { hostname } from 'node:os';
import type { QueueNaming } from '../frappe/queues.js';
import { describeJob, jobsById, registeredWorkers } from '../frappe/rq.js';
import type { ResolvedSiteConfig } from '../frappe/site-config.js';
import { redisClient } from '../health/redis-ping.js';
import type { RedisCheck } from '../health/types.js';
import type { WorkReport } from '../runtime/supervisor.js';
import type { Clock } from '../util/clock.js';

/**
 * What an RQ worker of the session is doing, from RQ's own keys: its hash (matched by a pid of
 * its own on this host) names its current job, the job's hash what it runs. Null when it is idle
 * or cannot be asked.
 */
export function workerActivity(
  check: RedisCheck,
  members: () => number[],
  naming: QueueNaming,
  config: Pick<ResolvedSiteConfig, 'workers'>,
  clock: Clock,
): () => Promise<WorkReport | null> {
  const host = hostname();
  return async () => {
    // The caller bounds the whole ask; a loaded machine may need more than a few hundred ms to connect.
    const client = await redisClient(check, 2000, 2000);
    client.on('error', () => {});
    try {
      await client.connect();
      const pids = new Set(members());
      const w = (await registeredWorkers(client)).find((x) => x.hostname === host && x.pid !== null && pids.has(x.pid) && x.currentJob);
      if (!w) return null;
      const job = (await jobsById(client, [w.currentJob!])).get(w.currentJob!);
      return job ? describeJob(job, naming, config, clock.now()) : null;
    } catch {
      return null;
    } finally {
      client.disconnect();
    }
  };
}
