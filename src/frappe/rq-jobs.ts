import { createInflate } from 'node:zlib';
import type { RedisClient } from '../health/redis-ping.js';
import { benchQueueName, jobFunction, RQ_KEYS } from './rq.js';
import { rqQueueName, type QueueNaming } from './queues.js';

/**
 * RQ's failed jobs (FailedJobRegistry, `rq:failed:<queue>`): read, requeued and deleted as RQ
 * (1.13–1.15) does it, on its keys. A job's traceback is its latest result's `exc_string` in
 * the stream `rq:results:<id>` (base64 of zlib) where Redis has streams, else the job hash's
 * `exc_info` (zlib).
 */

/** A failed job, as `fbench jobs` and the MCP tools show it. */
export interface FailedJob {
  /** Whole: Frappe's are `<site>::<uuid>`. */
  id: string;
  /** The queue, as the bench names it (`long`). */
  queue: string;
  /** What ran: the method Frappe enqueued, or RQ's function. */
  method: string;
  /** RQ's description of the call, with its arguments. */
  call: string;
  /** When it failed (ms since the epoch); null when RQ did not record it. */
  failedAt: number | null;
  /** The exception's last line (`ValueError: …`). */
  exception: string;
}

export interface FailedJobDetail extends FailedJob {
  traceback: string;
  /** When it started (ms since the epoch); null when RQ did not record it. */
  startedAt: number | null;
}

const JOB_FIELDS = ['description', 'origin', 'ended_at', 'exc_info', 'started_at'] as const;

/** RQ's time format (`2026-12-06T10:44:23.123456Z`, older ones without the Z) → ms. */
function rqTime(text: string | null | undefined): number | null {
  if (!text) return null;
  const t = Date.parse(text.replace(/Z?$/, 'Z'));
  return Number.isFinite(t) ? t : null;
}

/** The most of a traceback kept: its end (the exception is the last line), the rest said cut. */
export const TRACEBACK_KEEP_BYTES = 64 * 1024;
/** The most inflated before giving up: a zlib bomb (1 MB that inflates to 1 GB) stops here. */
export const TRACEBACK_INFLATE_BYTES = 16 * 1024 * 1024;
/** The most of a field read from Redis at all: another program may have put anything there. */
export const JOB_FIELD_BYTES = 1024 * 1024;

/**
 * The traceback RQ stored (zlib since RQ 1.x; plain in older jobs), its end kept within
 * TRACEBACK_KEEP_BYTES. Inflated as a stream on the thread pool (never on the caller's loop),
 * stopped past TRACEBACK_INFLATE_BYTES, so that whatever another program wrote there costs
 * bounded memory and time.
 */
export async function tracebackOf(raw: Buffer | null): Promise<string> {
  if (!raw || raw.length === 0) return '';
  const inflated = await boundedInflate(raw);
  const { text, cutBytes } = inflated ?? { text: keepEnd(raw), cutBytes: Math.max(0, raw.length - TRACEBACK_KEEP_BYTES), stopped: false };
  if (inflated?.stopped) return `[… traceback over ${TRACEBACK_INFLATE_BYTES / 1024 / 1024} MB inflated: not read further]\n${text}`;
  return cutBytes > 0 ? `[… ${cutBytes} bytes of the traceback cut: its end is kept]\n${text}` : text;
}

function keepEnd(buf: Buffer): string {
  const end = buf.subarray(Math.max(0, buf.length - TRACEBACK_KEEP_BYTES)).toString('utf8');
  return buf.length > TRACEBACK_KEEP_BYTES ? end.slice(end.indexOf('\n') + 1) : end;
}

/** Inflate keeping the last TRACEBACK_KEEP_BYTES; null when `raw` is not zlib. */
function boundedInflate(raw: Buffer): Promise<{ text: string; cutBytes: number; stopped: boolean } | null> {
  return new Promise((resolve) => {
    const z = createInflate();
    let kept: Buffer[] = [];
    let keptBytes = 0;
    let total = 0;
    let stopped = false;
    const finish = (): void => {
      const all = Buffer.concat(kept);
      resolve({ text: keepEnd(all), cutBytes: Math.max(0, total - TRACEBACK_KEEP_BYTES), stopped });
    };
    z.on('data', (chunk: Buffer) => {
      total += chunk.length;
      kept.push(chunk);
      keptBytes += chunk.length;
      while (kept.length > 1 && keptBytes - kept[0]!.length >= TRACEBACK_KEEP_BYTES) keptBytes -= kept.shift()!.length;
      if (total > TRACEBACK_INFLATE_BYTES && !stopped) {
        stopped = true;
        z.destroy();
        finish();
      }
    });
    z.on('end', () => stopped || finish());
    z.on('error', () => {
      if (stopped) return;
      if (total === 0) resolve(null);
      else finish(); // a stream cut short: what it gave
      kept = [];
    });
    z.end(raw);
  });
}

/** The exception's own line: the traceback's last line that is not blank. Pure. */
export function exceptionLine(traceback: string): string {
  const lines = traceback.split('\n').filter((l) => l.trim() !== '');
  const last = lines.at(-1)?.trim() ?? '';
  return last.length > EXCEPTION_MAX ? `${last.slice(0, EXCEPTION_MAX)}…` : last;
}

/** The longest exception line kept in a list: Python's are one line of a few words. */
const EXCEPTION_MAX = 500;

/** The exception of the job's latest result (RQ ≥ 1.12 on Redis ≥ 5), or ''. */
async function resultTraceback(client: RedisClient, id: string): Promise<string> {
  const latest = await client.xrevrange(`rq:results:${id}`, '+', '-', 'COUNT', 1);
  const fields = latest[0]?.[1] ?? [];
  const at = fields.indexOf('exc_string');
  const value = fields[at + 1] ?? '';
  return at === -1 ? '' : tracebackOf(Buffer.from(value.length > JOB_FIELD_BYTES * 2 ? value.slice(-JOB_FIELD_BYTES * 2) : value, 'base64'));
}

async function detail(client: RedisClient, naming: QueueNaming, id: string, rqQueue: string | null): Promise<FailedJobDetail | null> {
  // A field larger than JOB_FIELD_BYTES is not fetched: another program may have put anything there.
  const sizes = await Promise.all(JOB_FIELDS.map((f) => client.hstrlen(RQ_KEYS.job(id), f)));
  const fields = JOB_FIELDS.filter((_, i) => sizes[i]! <= JOB_FIELD_BYTES);
  const got = fields.length ? await client.hmgetBuffer(RQ_KEYS.job(id), ...fields) : [];
  const field = (name: (typeof JOB_FIELDS)[number]): Buffer | null => got[fields.indexOf(name)] ?? null;
  const [description, origin, endedAt, exc, startedAt] = JOB_FIELDS.map(field);
  const over = (name: (typeof JOB_FIELDS)[number]): number => sizes[JOB_FIELDS.indexOf(name)]!;
  if (!description && over('description') === 0) return null;
  const traceback =
    over('exc_info') > JOB_FIELD_BYTES
      ? `[its exc_info holds ${over('exc_info')} bytes: more than fbench reads]`
      : (await tracebackOf(exc ?? null)) || (await resultTraceback(client, id));
  const call = description ? description.toString('utf8') : `[a description of ${over('description')} bytes: not read]`;
  return {
    id,
    queue: benchQueueName(naming, origin?.toString('utf8') ?? rqQueue ?? ''),
    method: jobFunction(call),
    call,
    failedAt: rqTime(endedAt?.toString('utf8')),
    exception: exceptionLine(traceback),
    traceback,
    startedAt: rqTime(startedAt?.toString('utf8')),
  };
}

/** The failed jobs of these queues (as the bench names them), newest first; at most `limit`. */
export async function failedJobs(client: RedisClient, naming: QueueNaming, queues: readonly string[], limit = 100): Promise<FailedJob[]> {
  const out: FailedJobDetail[] = [];
  for (const q of queues) {
    const rq = rqQueueName(naming, q);
    for (const id of await client.zrevrange(RQ_KEYS.failed(rq), 0, limit - 1)) {
      const d = await detail(client, naming, id, rq);
      if (d) out.push(d);
    }
  }
  return out
    .sort((a, b) => (b.failedAt ?? 0) - (a.failedAt ?? 0))
    .slice(0, limit)
    .map(({ traceback: _traceback, startedAt: _startedAt, ...j }) => j);
}

/** One job, whatever its state, with its traceback (empty when it has none). */
export async function jobDetail(client: RedisClient, naming: QueueNaming, id: string): Promise<FailedJobDetail | null> {
  return detail(client, naming, id, null);
}

/** The RQ queue a failed job is registered under, or null when it is in no failed registry. */
async function failedUnder(client: RedisClient, id: string): Promise<string | null> {
  const origin = await client.hget(RQ_KEYS.job(id), 'origin');
  if (!origin) return null;
  return (await client.zscore(RQ_KEYS.failed(origin), id)) === null ? null : origin;
}

/** Why a job id cannot be acted on, in one line. */
export class JobRefusal extends Error {}

/**
 * Put a failed job back on its queue as RQ's FailedJobRegistry.requeue does: out of the
 * registry, its run's times and traceback cleared, queued at the end of its queue.
 */
export async function requeueJob(client: RedisClient, id: string, now = new Date()): Promise<string> {
  const origin = await failedUnder(client, id);
  if (origin === null) throw new JobRefusal(`job ${id} is not among the failed jobs`);
  await client
    .multi()
    .zrem(RQ_KEYS.failed(origin), id)
    // RQ's time format (utcformat), which its worker parses back: %Y-%m-%dT%H:%M:%S.%fZ.
    .hset(RQ_KEYS.job(id), { started_at: '', ended_at: '', exc_info: '', status: 'queued', enqueued_at: now.toISOString() })
    .sadd('rq:queues', RQ_KEYS.queue(origin))
    .rpush(RQ_KEYS.queue(origin), id)
    .exec();
  return origin;
}

/** Delete a failed job as RQ's Job.delete does: out of its registry, its hash and what hangs on it gone. */
export async function deleteJob(client: RedisClient, id: string): Promise<string> {
  const origin = await failedUnder(client, id);
  if (origin === null) throw new JobRefusal(`job ${id} is not among the failed jobs`);
  await client
    .multi()
    .zrem(RQ_KEYS.failed(origin), id)
    .del(RQ_KEYS.job(id), `${RQ_KEYS.job(id)}:dependents`, `${RQ_KEYS.job(id)}:dependencies`, `rq:results:${id}`)
    .exec();
  return origin;
}
