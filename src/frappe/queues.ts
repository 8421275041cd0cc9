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

/** How this bench's Frappe names its RQ queues. */
export interface QueueNaming {
  /** Frappe v14+: `<bench_id>:<queue>`; v13 and before: the plain queue name. */
  prefixed: boolean;
  benchId: string;
}

/**
 * Frappe's bench id: the `bench_id` key, else the bench's path as Frappe sees it (the real
 * path, symlinks resolved, or FRAPPE_BENCH_ROOT) without its slashes at the ends and with "/" as "-".
 */
export function benchId(config: Pick<ResolvedSiteConfig, 'benchId'>, realBenchPath: string): string {
  return config.benchId ?? realBenchPath.replace(/^\/+|\/+$/g, '').replace(/\//g, '-');
}

/** The major of a Frappe version ("13.40.1" → 13; "15.x.x-develop" → 15), or null. Pure. */
export function frappeMajor(version: string): number | null {
  const m = /^(\d+)\./.exec(version);
  return m ? Number(m[1]) : null;
}

/** The RQ queue name Frappe uses for a queue of this bench. */
export function rqQueueName(naming: QueueNaming, queue: string): string {
  return naming.prefixed ? `${naming.benchId}:${queue}` : queue;
}
