import path from 'node:path';
import { shellWords } from '../config/shell-command.js';
import type { Warning } from '../errors.js';
import type { BenchModel } from '../frappe/bench-model.js';
import { ROLE_TRAITS, type Role } from '../frappe/roles.js';
import type { RedisKind } from '../frappe/site-config.js';
import { REDIS_STOP_GRACE_S } from '../frappe/stop-policy.js';
import type { Plan } from '../plan/types.js';
import { productionPrograms } from './production.js';

/** Where the bench is in the image, and which images to run. */
export interface ContainerOptions {
  /** The bench's built image (frappe_docker style). */
  image: string;
  /** The bench folder inside that image. */
  benchDir: string;
  /** An image with redis-server and redis-cli. */
  redisImage: string;
}

/** One service of a container formation: a compose service, or a Kubernetes Deployment. */
export interface ContainerService {
  /** frappe_docker's name where it has one (backend, websocket, scheduler, queue-long, redis-queue). */
  name: string;
  role: Role;
  image: string;
  /** argv: no shell between the orchestrator and the program. */
  command: string[];
  workingDir?: string;
  replicas: number;
  /** The port it listens on (web, socketio, Redis), checked for readiness. */
  port: number | null;
  /** The Redis services it waits for (the dev gating, carried over). */
  needsRedis: string[];
  /** Seconds between SIGTERM and SIGKILL: a worker's longest job timeout and then some. */
  stopSeconds: number;
  env: Record<string, string>;
  /** Frappe services share the bench's sites/ folder. */
  sites: boolean;
  /** Redis only: keeps its data (the queue) or not (the cache). */
  persistent?: boolean;
}

export const DEFAULT_BENCH_DIR = '/home/frappe/frappe-bench';
export const DEFAULT_REDIS_IMAGE = 'redis:7-alpine';

/** frappe_docker's names for what a bench runs: a Redis by what it keeps (redis-queue, redis-cache). */
function serviceName(type: string, role: Role, redisKinds: readonly RedisKind[]): string {
  if (role === 'redis' && redisKinds[0]) return `redis-${redisKinds.includes('queue') ? 'queue' : redisKinds[0]}`;
  return ROLE_TRAITS[role].export?.container(type) ?? type;
}

/**
 * The formation `fbench start` runs, as containers: the production translation for each Frappe
 * process (gunicorn, socketio with the image's node, workers with their queues), a Redis image
 * per Procfile Redis, Frappe pointed at those by FRAPPE_REDIS_*; an external Redis (skip_redis)
 * is left out and passed by environment. Pure.
 */
export function containerFormation(plan: Plan, model: BenchModel, o: ContainerOptions): { services: ContainerService[]; warnings: Warning[] } {
  const inImage = { ...model, dir: o.benchDir };
  const { programs, warnings } = productionPrograms(plan, inImage, {
    gunicorn: path.posix.join(o.benchDir, 'env', 'bin', 'gunicorn'),
    which: (program) => program, // the image's PATH has bench and node
    exists: () => false,
    bind: '0.0.0.0',
  });
  const byType = new Map(plan.processes.map((p) => [p.type, p]));
  const redisName = new Map<string, string>(); // process name → service
  const services: ContainerService[] = [];
  const env: Record<string, string> = {};

  for (const p of plan.processes) {
    if (p.role !== 'redis' || redisName.has(p.name)) continue;
    const name = serviceName(p.type, 'redis', p.redis?.kinds ?? []);
    for (const n of plan.processes.filter((x) => x.type === p.type)) redisName.set(n.name, name);
    if (services.some((s) => s.name === name)) continue;
    const port = p.redis?.port ?? 6379;
    const cache = p.redis?.kinds.includes('cache') && !p.redis.kinds.includes('queue');
    services.push({
      name,
      role: 'redis',
      image: o.redisImage,
      command: ['redis-server', '--port', String(port), ...(cache ? ['--save', '', '--appendonly', 'no', '--maxmemory-policy', 'allkeys-lru'] : [])],
      replicas: 1,
      port,
      needsRedis: [],
      stopSeconds: REDIS_STOP_GRACE_S, // it saves its data on SIGTERM
      env: {},
      sites: false,
      persistent: !cache,
    });
    for (const kind of p.redis?.kinds ?? []) {
      if (kind === 'cache') env.FRAPPE_REDIS_CACHE = `redis://${name}:${port}`;
      if (kind === 'queue') env.FRAPPE_REDIS_QUEUE = `redis://${name}:${port}`;
    }
  }
  // A Redis the bench does not run (skip_redis) stays where the config says.
  for (const x of plan.externals) {
    if (!env.FRAPPE_REDIS_CACHE && x.source.endsWith('redis_cache')) env.FRAPPE_REDIS_CACHE = model.config.redis.cache.url;
    if (!env.FRAPPE_REDIS_QUEUE && x.source.endsWith('redis_queue')) env.FRAPPE_REDIS_QUEUE = model.config.redis.queue.url;
  }

  for (const prog of programs) {
    if (prog.role === 'redis') continue;
    const first = byType.get(prog.type)!;
    services.push({
      name: serviceName(prog.type, prog.role, []),
      role: prog.role,
      image: o.image,
      command: shellWords(prog.command),
      workingDir: prog.cwd,
      replicas: prog.count,
      port: ROLE_TRAITS[prog.role].listens ? first.port : null,
      needsRedis: [...new Set(first.dependsOn.map((d) => redisName.get(d)).filter((n): n is string => n !== undefined))],
      stopSeconds: prog.stopSeconds,
      env: { ...prog.env, ...env },
      sites: true,
    });
  }
  return { services, warnings };
}
