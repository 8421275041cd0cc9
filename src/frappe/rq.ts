import type { RedisClient } from '../health/redis-ping.js';
import type { RedisCheck } from '../health/types.js';
import { queueTimeout, rqQueueName, type QueueNaming } from './queues.js';
import type { ResolvedSiteConfig } from './site-config.js';

/** RQ's (1.13–1.15) Redis keys, as Frappe's workers use them. */
export const RQ_KEYS = {
  workers: 'rq:workers',
  queue: (rqName: string) => `rq:queue:${rqName}`,
  failed: (rqName: string) => `rq:failed:${rqName}`,
  wip: (rqName: string) => `rq:wip:${rqName}`,
  job: (id: string) => `rq:job:${id}`,
} as const;

/** RQ's default worker_ttl: a worker whose last heartbeat is older than this is dead, whatever its hash says. */
export const RQ_WORKER_TTL_S = 420;

/** A worker as RQ registers it (`rq:worker:<name>`). */
export interface RqWorker {
  name: string;
  pid: number | null;
  hostname: string;
  /** RQ queue names (`<bench_id>:<queue>` on Frappe v14+). */
  queues: string[];
  state: string;
  currentJob: string | null;
  lastHeartbeat: number | null;
}

/** Every worker in `rq:workers` whose hash still exists: one SMEMBERS and one pipeline of HGETALLs. */
export async function registeredWorkers(client: RedisClient): Promise<RqWorker[]> {
  const keys = await client.smembers(RQ_KEYS.workers);
  if (keys.length === 0) return [];
  const pipe = client.pipeline();
  for (const k of keys) pipe.hgetall(k);
  const hashes = (await pipe.exec()) ?? [];
  const out: RqWorker[] = [];
  hashes.forEach(([err, h], i) => {
    const w = h as Record<string, string> | null;
    if (err || !w || !w.queues) return; // expired: RQ cleans the set lazily
    const beat = Date.parse(`${(w.last_heartbeat ?? w.birth ?? '').replace(/Z?$/, 'Z')}`);
    out.push({
      name: keys[i]!.replace(/^rq:worker:/, ''),
      pid: /^\d+$/.test(w.pid ?? '') ? Number(w.pid) : null,
      hostname: w.hostname ?? '',
      queues: w.queues.split(',').filter(Boolean),
      state: w.state ?? '',
      currentJob: w.current_job || null,
      lastHeartbeat: Number.isFinite(beat) ? beat : null,
    });
  });
  return out;
}

/**
 * A worker that is really there: on this host, its pid is alive; on another, its heartbeat is
 * recent. After an unclean stop RQ keeps a dead worker's hash for minutes.
 */
export function workerIsLive(w: RqWorker, host: string, now: number, pidAlive: (pid: number) => boolean): boolean {
  if (w.hostname === host && w.pid !== null) return pidAlive(w.pid);
  return w.lastHeartbeat !== null && now - w.lastHeartbeat <= RQ_WORKER_TTL_S * 1000;
}

/** A job's hash, as far as fbench needs it. */
export interface RqJob {
  id: string;
  /** What runs: the method Frappe enqueued, or RQ's function. */
  func: string;
  /** Its RQ queue. */
  origin: string | null;
  startedAt: number | null;
  timeoutS: number | null;
}

/** The jobs' hashes (one pipeline of HMGETs); a job whose hash is gone is left out. */
export async function jobsById(client: RedisClient, ids: readonly string[]): Promise<Map<string, RqJob>> {
  const out = new Map<string, RqJob>();
  if (ids.length === 0) return out;
  const pipe = client.pipeline();
  for (const id of ids) pipe.hmget(RQ_KEYS.job(id), 'description', 'origin', 'started_at', 'timeout');
  const rows = (await pipe.exec()) ?? [];
  rows.forEach(([err, r], i) => {
    const [description, origin, startedAt, timeout] = (r ?? []) as (string | null)[];
    if (err || description === null || description === undefined) return;
    const started = startedAt ? Date.parse(startedAt.replace(/Z?$/, 'Z')) : NaN;
    out.set(ids[i]!, {
      id: ids[i]!,
      func: jobFunction(description),
      origin: origin ?? null,
      startedAt: Number.isFinite(started) ? started : null,
      timeoutS: timeout && Number(timeout) > 0 ? Number(timeout) : null,
    });
  });
  return out;
}

/**
 * What a job runs, from its description: Frappe wraps every job in execute_job, and the method
 * the developer enqueued is its `method` argument; a plain RQ job is its function. Pure.
 */
export function jobFunction(description: string): string {
  const method = /\bmethod=(?:'([^']+)'|"([^"]+)"|<function (\S+))/.exec(description);
  if (method?.[1] ?? method?.[2]) return (method[1] ?? method[2])!;
  // A function object (`method=<function flush at 0x…>`): Frappe names the job by its dotted path.
  const named = /\bjob_name=(?:'([^']+)'|"([^"]+)")/.exec(description);
  if (named) return (named[1] ?? named[2])!;
  if (method) return method[3]!;
  return description.split('(')[0]!.trim() || description;
}

/** A queue's name as the bench writes it (`long`), from its RQ name (`home-frappe-bench:long`). */
export function benchQueueName(naming: QueueNaming, rqName: string): string {
  return naming.prefixed && rqName.startsWith(`${naming.benchId}:`) ? rqName.slice(naming.benchId.length + 1) : rqName;
}

/** What a busy worker is doing, in Frappe's words: what fbench waits for, and what is lost if it kills it. */
export interface JobReport {
  waitingFor: string;
  ifKilled: string;
  /** waitingFor at another moment: the job's age then. */
  at: (now: number) => string;
}

/** Pure. */
export function describeJob(job: RqJob, naming: QueueNaming, config: Pick<ResolvedSiteConfig, 'workers'>, now: number): JobReport {
  // Whole: Frappe's ids are `<site>::<uuid>`, whose first characters are the same for every job.
  const id = job.id;
  const queue = job.origin ? benchQueueName(naming, job.origin) : null;
  // Frappe enqueues with its queue's timeout; a job without one has its queue's.
  const timeout = job.timeoutS !== null ? `timeout ${job.timeoutS} s` : queue ? `queue timeout ${queueTimeout(config, queue)} s` : '';
  const ran = job.startedAt === null ? '' : `, running ${Math.max(0, Math.round((now - job.startedAt) / 1000))} s`;
  return {
    waitingFor: `finish ${job.func} (job ${id}${ran}${timeout ? `, ${timeout}` : ''})`,
    ifKilled: `the job ${id} (${job.func}) was lost; it stays in ${RQ_KEYS.wip(job.origin ?? rqQueueName(naming, 'default'))} until RQ cleans it up`,
    at: (later) => describeJob(job, naming, config, later).waitingFor,
  };
}

/** One queue of the bench, as RQ holds it. */
export interface QueueStats {
  queue: string;
  rqName: string;
  waiting: number;
  failed: number;
  /** Live workers listening to it. */
  workers: number;
  /** Those busy with a job of this queue, with their current job. */
  busy: { worker: string; pid: number | null; job: RqJob | null }[];
  /** Those busy with another queue's job (taking none of this one's meanwhile): that queue, as the bench names it. */
  busyElsewhere: string[];
}

/**
 * Jobs waiting, live workers and failed jobs per queue of the bench, and each busy worker's
 * job: a few round trips (the workers, their hashes, the counts, the busy jobs), not one per job.
 */
export async function queueStats(client: RedisClient, naming: QueueNaming, queues: readonly string[], live: (w: RqWorker) => boolean): Promise<QueueStats[]> {
  const workers = (await registeredWorkers(client)).filter(live);
  const rqNames = queues.map((q) => rqQueueName(naming, q));
  const pipe = client.pipeline();
  for (const n of rqNames) pipe.llen(RQ_KEYS.queue(n)).zcard(RQ_KEYS.failed(n));
  const counts = ((await pipe.exec()) ?? []).map(([, v]) => Number(v ?? 0));
  const jobs = await jobsById(
    client,
    workers.flatMap((w) => (w.currentJob ? [w.currentJob] : [])),
  );
  return queues.map((queue, i) => {
    const mine = workers.filter((w) => w.queues.includes(rqNames[i]!));
    const busy = mine
      .filter((w) => w.currentJob && jobs.get(w.currentJob)?.origin === rqNames[i])
      .map((w) => ({ worker: w.name, pid: w.pid, job: jobs.get(w.currentJob!) ?? null }));
    const busyElsewhere = mine.flatMap((w) => {
      const origin = w.currentJob ? jobs.get(w.currentJob)?.origin : undefined;
      return origin && origin !== rqNames[i] ? [benchQueueName(naming, origin)] : [];
    });
    return { queue, rqName: rqNames[i]!, waiting: counts[2 * i]!, failed: counts[2 * i + 1]!, workers: mine.length, busy, busyElsewhere };
  });
}

/** An RQ worker is ready once it is registered in `rq:workers` on these queues, from a pid of its own. */
export interface RqWorkerCheck {
  kind: 'rq-worker';
  redis: RedisCheck;
  /** RQ queue names it must listen to. */
  queues: string[];
  /** How many workers the one process registers (a worker pool); default 1. */
  count?: number;
}
