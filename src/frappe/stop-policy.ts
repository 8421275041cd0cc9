import { queueTimeout } from './queues.js';
import type { Role } from './roles.js';
import type { ResolvedSiteConfig } from './site-config.js';

/** Seconds a worker gets beyond its longest job timeout to finish the job (bench's production config gives 60). */
export const WORKER_STOP_MARGIN_S = 60;
/** A Redis saves its data on SIGTERM (seconds for a big RDB): it always gets at least this long. */
export const REDIS_STOP_GRACE_S = 30;
/** Everything else: a web server, the scheduler, a watcher stop at once or not at all. */
export const DEFAULT_STOP_GRACE_S = 5;

/** How a process of a bench is stopped: how long its SIGTERM may take, and why it may take it. */
export interface StopPolicy {
  graceSeconds: number;
  /** What it may be doing while it stops, said while fbench waits for it. */
  hint?: string;
  /** It writes its data on SIGTERM (Redis): a second Ctrl-C still lets it; only a third kills it. */
  keepsData: boolean;
}

/**
 * The longest a worker's stop may take: the longest job timeout of its queues (Frappe's 300 s
 * for short and default, 1500 s for long, `workers.<q>.timeout` for a custom one) and the margin.
 * An idle RQ worker exits at once on SIGTERM, so this costs nothing unless a job runs. Pure.
 */
export function workerStopSeconds(queues: readonly string[], config: Pick<ResolvedSiteConfig, 'workers'>): number {
  return Math.max(...(queues.length ? queues : ['default']).map((q) => queueTimeout(config, q))) + WORKER_STOP_MARGIN_S;
}

/** How a process of this role stops; one that runs jobs (a worker, lite mode's runner) lets them finish. Pure. */
export function stopPolicy(role: Role, queues: readonly string[] | null, config: Pick<ResolvedSiteConfig, 'workers'>): StopPolicy {
  if (role !== 'worker' && queues !== null) return { graceSeconds: workerStopSeconds(queues, config), hint: 'finishing a job?', keepsData: false };
  switch (role) {
    case 'redis':
      return { graceSeconds: REDIS_STOP_GRACE_S, hint: 'saving its data?', keepsData: true };
    case 'worker':
      return { graceSeconds: workerStopSeconds(queues ?? [], config), hint: 'finishing a job?', keepsData: false };
    default:
      return { graceSeconds: DEFAULT_STOP_GRACE_S, keepsData: false };
  }
}

/**
 * The policy with `--grace` (or FBENCH_GRACE) applied: it sets every process's grace, but a
 * Redis keeps the time to save its data.
 */
export function withGrace(policy: StopPolicy, graceSeconds: number | undefined): StopPolicy {
  if (graceSeconds === undefined) return policy;
  return { ...policy, graceSeconds: policy.keepsData ? Math.max(graceSeconds, REDIS_STOP_GRACE_S) : graceSeconds };
}
