import { redisCheck } from '../frappe/site-config.js';
import { pingRedis, redisClient } from '../health/redis-ping.js';
import { benchQueueStats } from '../session/queue-redis.js';
import { findPortHolder } from '../health/port-holder.js';
import { redisOwner } from '../session/preflight.js';
import { ok, warn, type DoctorContext, type Finding } from './types.js';

const G = 'Queues';
/** How long the queue Redis may take to answer: a loaded machine's Redis is slow, not gone (the Redis group says when it is down). */
const ANSWER_MS = 2000;

/**
 * Jobs waiting, live workers and failed jobs per queue, from the queue Redis (RQ's keys) — only
 * when that Redis is this bench's: counts from another bench's Redis would be that bench's. A
 * worker counts only when it is alive (RQ lists a dead one for minutes after an unclean stop).
 */
export async function checkQueues(ctx: DoctorContext): Promise<Finding[]> {
  const url = ctx.model.config.redis.queue;
  const check = redisCheck(url, 'queue', ctx.model.config);
  const ping = await pingRedis(check, ANSWER_MS);
  if (!ping.ok) {
    // A Redis that accepts but does not answer is a problem the Redis group reports; here, only why there is nothing to count.
    return [
      ping.reason === 'no-answer'
        ? warn(G, `the queue Redis (${url.url}) ${ping.message}: its queues cannot be inspected`, 'see the Redis findings above')
        : ok(G, `the queue Redis (${url.url}) does not answer (${ping.message}): no queues to inspect`),
    ];
  }
  const own = ctx.plan.processes.find((p) => p.role === 'redis' && p.redis?.kinds.includes('queue'));
  if (own && ctx.sessionPids.length === 0 && own.redis?.port && !redisOwner(own, findPortHolder(own.redis.port)).mine) {
    return [ok(G, `the Redis on ${url.url} is not this bench's (see above): its queues are not counted`)];
  }
  const r = await redisClient(check, ANSWER_MS, ANSWER_MS);
  r.on('error', () => {});
  await r.connect();
  try {
    const stats = await benchQueueStats(r, ctx.model, Date.now());
    return stats.map((s) => {
      const line = `${s.queue}: ${s.waiting} waiting, ${s.workers} worker${s.workers === 1 ? '' : 's'}, ${s.failed} failed`;
      if (s.waiting > 0 && s.workers === 0)
        return warn(
          G,
          `${line}: jobs wait on a queue no worker listens to`,
          `start a worker for it: \`fbench workers --queues ${s.queue}\`, or check the worker lines of the Procfile`,
        );
      if (s.failed > 0) return warn(G, line, `see them: \`fbench jobs failed --queue ${s.queue}\`, then \`fbench jobs show ID\` for a traceback`);
      return ok(G, line);
    });
  } finally {
    r.disconnect();
  }
}
