import { realpathSync } from 'node:fs';
import path from 'node:path';
import { FbenchError } from '../errors.js';
import { describeHolder, findPortHolder, listeningInodes } from '../health/port-holder.js';
import { pingRedis } from '../health/redis-ping.js';
import { canConnect } from '../health/tcp.js';
import { redisProcesses } from '../plan/lookup.js';
import type { Plan, PlanProcess } from '../plan/types.js';
import { readLivePid } from '../runtime/pidfile.js';
import { programOnPath } from './planning.js';

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
      `stop that Redis, or move this bench to free ports with \`fbench ports --reassign\`. Nothing was started.`,
    );
  }
  throw new FbenchError(
    `${proc.name}: ${describeHolder(port, holder)}, which is not a Redis this bench can use (${r.message})`,
    `stop it${holder ? ` (kill ${holder.pid})` : ''}, or move this bench to free ports with \`fbench ports --reassign\`. Nothing was started.`,
  );
}

/**
 * Why a running Redis (pid, `CONFIG GET dir`) is this bench's own, or null: its pid file
 * under config/pids names it, or it works in this bench's Redis dir.
 */
export function ownership(proc: PlanProcess, pid: number, dir: string | undefined, bench: string): string | null {
  const pidfile = proc.redis?.pidfile;
  if (pidfile && readLivePid(pidfile) === pid) return `its pid file ${path.relative(bench, pidfile)} names it`;
  if (dir && proc.redis?.dir && real(dir) === real(proc.redis.dir)) return `its dir is ${path.relative(bench, proc.redis.dir) || '.'}`;
  return null;
}

/** A path with its symlinks resolved (Redis reports its dir as getcwd() does), or as given when it does not exist. */
function real(p: string): string {
  try {
    return realpathSync(p);
  } catch {
    return path.resolve(p);
  }
}

/** A port web or socketio must listen on, already held by another program: start-up stops before anything runs. */
export function preflightPort(proc: PlanProcess): void {
  if ((proc.role !== 'web' && proc.role !== 'socketio') || proc.port === null) return;
  if (listeningInodes(proc.port).size === 0) return;
  const holder = findPortHolder(proc.port);
  throw new FbenchError(
    `${proc.name}: ${describeHolder(proc.port, holder)}; ${proc.name} could not listen there`,
    `stop it${holder ? ` (kill ${holder.pid})` : ''}, or move this bench to free ports with \`fbench ports --reassign\`. Nothing was started.`,
  );
}

/**
 * Everything that would stop the plan from starting, found before anything runs: redis-server
 * missing, a Redis port held by another program, a web or socketio port taken. Resolves this
 * bench's leftover Redis servers to adopt (name → pid).
 */
export async function preflight(plan: Plan): Promise<Map<string, number>> {
  const redis = redisProcesses(plan);
  if (redis.length > 0 && !programOnPath(plan, 'redis-server')) {
    throw new FbenchError(
      'redis-server is not installed (not found on PATH)',
      'install it: `sudo apt-get install redis-server` (Debian/Ubuntu), `sudo dnf install redis` (Fedora), `brew install redis` (macOS)',
    );
  }
  for (const p of plan.processes) preflightPort(p);
  const decisions = await Promise.all(redis.map((p) => preflightRedis(p, plan.bench)));
  const adopted = new Map<string, number>();
  redis.forEach((p, i) => {
    const d = decisions[i]!;
    if (d.action === 'adopt') adopted.set(p.name, d.pid);
  });
  return adopted;
}
