import type { BenchModel } from '../frappe/bench-model.js';
import { redisCheck } from '../frappe/site-config.js';
import { redisClient, type RedisClient } from '../health/redis-ping.js';
import { hostname } from 'node:os';
import { knownQueues } from '../frappe/queues.js';
import { queueStats, workerIsLive, type QueueStats } from '../frappe/rq.js';
import { pidAlive } from '../runtime/process-group.js';

/**
 * One exchange with the bench's queue Redis (where RQ keeps queues, workers and jobs): connected
 * for `fn`, closed after it. One that does not answer is said as such, not as ioredis's
 * "Connection is closed.".
 */
export async function withQueueRedis<T>(model: BenchModel, fn: (client: RedisClient) => Promise<T>): Promise<T> {
  const check = redisCheck(model.config.redis.queue, 'queue', model.config);
  const client = await redisClient(check, 500, 2000);
  client.on('error', () => {});
  try {
    await client.connect().catch((err: Error) => {
      const where = `the queue Redis (${check.host}:${check.port})`;
      // An answer (a wrong password) is worth showing; silence is "not running".
      throw new Error(
        /Connection is closed|ECONNREFUSED|ETIMEDOUT/.test(err.message) ? `${where} does not answer: is it running?` : `${where}: ${err.message}`,
      );
    });
    return await fn(client);
  } finally {
    client.disconnect();
  }
}

/** The bench's queues as RQ keeps them now, a worker counted live when it runs on this host (its pid alive) and beats. */
export function benchQueueStats(client: RedisClient, model: BenchModel, now: number): Promise<QueueStats[]> {
  const host = hostname();
  return queueStats(client, model.queues, knownQueues(model.config), (w) => workerIsLive(w, host, now, pidAlive));
}
