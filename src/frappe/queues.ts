import type { ResolvedSiteConfig } from './site-config.js';

/** Frappe's standard RQ queues and their default timeouts (frappe/utils/background_jobs.py). */
export const STANDARD_QUEUES: Readonly<Record<string, number>> = { short: 300, default: 300, long: 1500 };

/** Every queue this bench knows: the standard ones, then the custom ones from `workers`. */
export function knownQueues(config: Pick<ResolvedSiteConfig, 'workers'>): string[] {
  return [...Object.keys(STANDARD_QUEUES), ...Object.keys(config.workers).filter((q) => !(q in STANDARD_QUEUES))];
}

/** A queue's job timeout in seconds (custom queues default to 300, as in Frappe). */
export function queueTimeout(config: Pick<ResolvedSiteConfig, 'workers'>, queue: string): number {
  return config.workers[queue]?.timeout ?? STANDARD_QUEUES[queue] ?? 300;
}

/** Frappe v14+'s bench id: the config key, else the bench's absolute path without the leading "/" and with "/" as "-". */
export function benchId(config: Pick<ResolvedSiteConfig, 'benchId'>, benchDir: string): string {
  return config.benchId ?? benchDir.replace(/^\//, '').replace(/\//g, '-');
}

/** The RQ queue name Frappe v14+ uses: `<bench_id>:<queue>`. */
export function rqQueueName(id: string, queue: string): string {
  return `${id}:${queue}`;
}

/** RQ's (1.15) Redis keys, as Frappe's workers use them. */
export const RQ_KEYS = {
  workers: 'rq:workers',
  queue: (rqName: string) => `rq:queue:${rqName}`,
  failed: (rqName: string) => `rq:failed:${rqName}`,
} as const;

/** A worker is alive while its hash exists; RQ lets it expire ~480 s after the last heartbeat. */
export const RQ_WORKER_TTL_S = 480;
