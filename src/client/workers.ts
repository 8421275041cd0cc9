import { FbenchError } from '../errors.js';
import type { BenchModel } from '../frappe/bench-model.js';
import { canConnect } from '../health/tcp.js';
import type { Plan } from '../plan/types.js';

/**
 * Workers without --with-redis use the bench's Redis as it runs now: if that Redis is one of
 * the Procfile's and is down, say how to bring it up instead of waiting for it.
 */
export async function requireRunningRedis(model: BenchModel, plan: Plan): Promise<void> {
  for (const x of plan.externals) {
    if (await canConnect(x.health.host, x.health.port, 300)) continue;
    const line = model.entries.find((e) => model.redisConfs[e.name]?.conf?.port === x.health.port);
    if (line) {
      throw new FbenchError(
        `${line.name} (Procfile:${line.line}) is not running, so the workers have no ${x.url}`,
        'add --with-redis to start it here, or run `fbench start` in another terminal',
      );
    }
  }
}
