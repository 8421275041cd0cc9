import { knownQueues, rqQueueName, RQ_KEYS, RQ_WORKER_TTL_S } from '../frappe/queues.js';
import { redisCheck } from '../frappe/site-config.js';
import { pingRedis, redisClient } from '../health/redis-ping.js';
import { ok, warn, type DoctorContext, type Finding } from './types.js';

const G = 'Queues';

/** Jobs waiting, workers listening and failed jobs per queue, from the queue Redis (RQ's keys). */
export async function checkQueues(ctx: DoctorContext): Promise<Finding[]> {
  const url = ctx.model.config.redis.queue;
  const check = redisCheck(url, 'queue', ctx.model.config);
  const ping = await pingRedis(check, 800);
  if (!ping.ok) {
    // A Redis that accepts but does not answer is a problem the Redis group reports; here, only why there is nothing to count.
    return [
      ping.reason === 'no-answer'
        ? warn(G, `the queue Redis (${url.url}) ${ping.message}: its queues cannot be inspected`, 'see the Redis findings above')
        : ok(G, `the queue Redis (${url.url}) does not answer (${ping.message}): no queues to inspect`),
    ];
  }
  const r = await redisClient(check, 800, 2000);
  r.on('error', () => {});
  await r.connect();
  try {
    const listening = new Map<string, number>();
    const now = Date.now();
    for (const key of await r.smembers(RQ_KEYS.workers)) {
      const w = await r.hgetall(key);
      if (!w.queues) continue; // expired: its hash is gone
      const beat = Date.parse(w.last_heartbeat ?? w.birth ?? '');
      if (Number.isFinite(beat) && now - beat > RQ_WORKER_TTL_S * 1000) continue;
      for (const q of w.queues.split(',')) listening.set(q, (listening.get(q) ?? 0) + 1);
    }
    const out: Finding[] = [];
    for (const q of knownQueues(ctx.model.config)) {
      const name = rqQueueName(ctx.model.queues, q);
      const waiting = await r.llen(RQ_KEYS.queue(name));
      const failed = await r.zcard(RQ_KEYS.failed(name));
      const workers = listening.get(name) ?? 0;
      const line = `${q}: ${waiting} waiting, ${workers} worker${workers === 1 ? '' : 's'}, ${failed} failed`;
      if (waiting > 0 && workers === 0)
        out.push(
          warn(
            G,
            `${line}: jobs wait on a queue no worker listens to`,
            `start a worker for it: \`fbench workers --queues ${q}\`, or check the worker lines of the Procfile`,
          ),
        );
      else if (failed > 0) out.push(warn(G, line, `inspect them: \`bench --site SITE doctor\` or RQ's failed job registry (rq:failed:${name})`));
      else out.push(ok(G, line));
    }
    return out;
  } finally {
    r.disconnect();
  }
}
