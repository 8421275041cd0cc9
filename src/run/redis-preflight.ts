import path from 'node:path';
import { FbenchError } from '../errors.js';
import { describeHolder, findPortHolder } from '../health/port-holder.js';
import { pingRedis } from '../health/redis-ping.js';
import { canConnect } from '../health/tcp.js';
import type { PlanProcess } from '../plan/types.js';
import { readLivePid } from '../runtime/pidfile.js';

export type RedisDecision = { action: 'start' } | { action: 'adopt'; pid: number; evidence: string };

/**
 * Before starting a bench Redis: a free port → start it; this bench's own Redis already
 * there (a leftover of a crashed run) → adopt it; anything else on the port → refuse,
 * naming the holder.
 */
export async function preflightRedis(proc: PlanProcess, bench: string): Promise<RedisDecision> {
  const port = proc.redis?.port;
  if (!port || proc.health?.kind !== 'redis') return { action: 'start' };
  if (!(await canConnect(proc.health.host, port, 300))) return { action: 'start' };

  const holder = findPortHolder(port);
  const r = await pingRedis(proc.health);
  if (r.ok) {
    const pid = Number(r.info.process_id);
    const evidence = ownership(proc, pid, r.dir, bench);
    if (evidence) return { action: 'adopt', pid, evidence };
    throw new FbenchError(
      `${proc.name}: port ${port} is answered by a Redis that is not this bench's: pid ${pid} (${holder?.command ?? 'redis-server'}${r.dir ? `, dir ${r.dir}` : ''})`,
      `stop that Redis, or give this bench other ports (${proc.redis?.conf ? path.relative(bench, proc.redis.conf) : 'the Redis conf'} and ${proc.redis?.kinds.map((k) => `redis_${k}`).join('/') || 'the URL'} in sites/common_site_config.json). Nothing was started.`,
    );
  }
  throw new FbenchError(
    `${proc.name}: ${describeHolder(port, holder)}, which is not a Redis this bench can use (${r.message})`,
    `stop it${holder ? ` (kill ${holder.pid})` : ''}, or move this bench's Redis to a free port in ${proc.redis?.conf ? path.relative(bench, proc.redis.conf) : 'its conf'} and sites/common_site_config.json. Nothing was started.`,
  );
}

/**
 * Why a running Redis (pid, `CONFIG GET dir`) is this bench's own, or null: its pid file
 * under config/pids names it, or it works in this bench's Redis dir.
 */
export function ownership(proc: PlanProcess, pid: number, dir: string | undefined, bench: string): string | null {
  const pidfile = proc.redis?.pidfile;
  if (pidfile && readLivePid(pidfile) === pid) return `its pid file ${path.relative(bench, pidfile)} names it`;
  if (dir && proc.redis?.dir && path.resolve(dir) === proc.redis.dir) return `its dir is ${path.relative(bench, dir) || '.'}`;
  return null;
}
