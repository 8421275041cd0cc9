import { delay, realClock, type Clock } from '../util/clock.js';
import { tryConnect } from './tcp.js';

import type { RedisTarget } from './types.js';

export type PingResult =
  | { ok: true; info: Record<string, string>; dir?: string }
  | { ok: false; reason: 'refused' | 'loading' | 'auth' | 'no-answer' | 'not-redis' | 'error'; message: string };

type RedisClass = typeof import('ioredis').Redis;
/** A connected ioredis client. */
export type RedisClient = InstanceType<RedisClass>;
let ioredis: Promise<{ Redis: RedisClass }> | null = null;
/** ioredis takes tens of ms to initialise (its command tables): only commands that talk to Redis pay for it, and only once. */
export function loadIoredis(): Promise<{ Redis: RedisClass }> {
  // ioredis is CommonJS: Node names its exports, a bundle may only give `default`.
  return (ioredis ??= import('ioredis').then((m) => {
    const mod = m as unknown as { Redis?: RedisClass; default?: { Redis?: RedisClass } };
    const Redis = mod.Redis ?? mod.default?.Redis;
    if (!Redis) throw new Error('ioredis has no Redis export');
    return { Redis };
  }));
}

/** A Redis's readiness: its answer to PING. */
export const PONG = 'PONG';

/**
 * A client for one exchange, as every part of fbench that asks Redis makes it: connected by
 * the caller, never reconnecting or queueing. No CLIENT SETINFO: ioredis sends it by default,
 * after reading its own package.json, before the first command can go (the start-up gate's
 * PING waited for both).
 */
export async function redisClient(check: RedisTarget, connectTimeout: number, commandTimeout: number): Promise<RedisClient> {
  const { Redis } = await loadIoredis();
  return new Redis({
    host: check.host,
    port: check.port,
    ...(check.username ? { username: check.username } : {}),
    ...(check.password ? { password: check.password } : {}),
    lazyConnect: true,
    connectTimeout,
    commandTimeout,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    enableOfflineQueue: false,
    enableReadyCheck: false,
    disableClientInfo: true,
  });
}

/**
 * One connect + PING (+ INFO server) with ioredis; never retries on its own.
 * `details: false`: PING only, for the start-up gate, which needs no INFO (two round trips
 * less). `portOpen`: the caller has just connected to the port, so it is not asked again.
 */
export async function pingRedis(check: RedisTarget, timeoutMs = 1000, { details = true, portOpen = false } = {}): Promise<PingResult> {
  // ioredis keeps a timer alive for seconds after a refused connect: ask the port first.
  const tcp = portOpen ? null : await tryConnect(check.host, check.port, timeoutMs);
  if (tcp && !tcp.open) return { ok: false, reason: 'refused', message: tcp.why };
  const client = await redisClient(check, timeoutMs, timeoutMs);
  // A failed AUTH surfaces as an 'error' event, then "Connection is closed." from the command.
  let lastError: Error | null = null;
  client.on('error', (err: Error) => (lastError = err));
  // ioredis can wait forever on a connect whose AUTH fails: bound the whole exchange.
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<PingResult>((resolve) => {
    timer = setTimeout(() => resolve(noAnswer(timeoutMs * 2)), timeoutMs * 2);
  });
  try {
    return await Promise.race([exchange(client, () => lastError, timeoutMs, details), timeout]);
  } finally {
    clearTimeout(timer);
    client.disconnect();
  }
}

/** Accepts connections but says nothing: a stopped (SIGSTOP) or wedged Redis. */
function noAnswer(ms: number): PingResult {
  return { ok: false, reason: 'no-answer', message: `accepts connections but does not answer PING within ${ms} ms (stopped or busy?)` };
}

async function exchange(client: RedisClient, lastError: () => Error | null, timeoutMs: number, details: boolean): Promise<PingResult> {
  try {
    await client.connect();
    const pong = await client.ping();
    if (pong !== PONG) return { ok: false, reason: 'not-redis', message: `answered PING with ${JSON.stringify(pong)}` };
    if (!details) return { ok: true, info: {} };
    const info = parseInfo(await client.info('server'));
    // CONFIG may be renamed or forbidden; the directory is only a hint of ownership.
    const dir = (await client.config('GET', 'dir').catch(() => [])) as string[];
    return { ok: true, info, ...(dir[1] ? { dir: dir[1] } : {}) };
  } catch (err) {
    let message = (err as Error).message;
    // After a failed AUTH the command only sees a closed stream; the reason came as an event.
    const cause = lastError()?.message;
    if (cause && /NOAUTH|WRONGPASS|invalid password|invalid username/i.test(cause)) message = cause;
    if (/^LOADING/.test(message)) return { ok: false, reason: 'loading', message };
    if (/NOAUTH|WRONGPASS|invalid password|invalid username/i.test(message)) return { ok: false, reason: 'auth', message };
    if (/ECONNREFUSED/.test(message)) return { ok: false, reason: 'refused', message };
    if (/Command timed out/.test(message)) return noAnswer(timeoutMs);
    if (/Protocol error|ERR unknown command/.test(message)) return { ok: false, reason: 'not-redis', message };
    // ioredis's own words for a connection that went away are no help to a reader.
    if (/Stream isn't writeable|Connection is closed/.test(message))
      return { ok: false, reason: 'error', message: 'the connection closed before Redis answered' };
    return { ok: false, reason: 'error', message };
  }
}

export interface WaitOptions {
  signal: AbortSignal;
  /** Told why Redis is not ready yet, each time that changes ("nothing listens", "LOADING …"). */
  note?: (why: string) => void;
  /** Called once when Redis answers LOADING (reading a big RDB). */
  onLoading?: () => void;
  /** Whose time the waits between tries are (default: real time). */
  clock?: Clock;
}

/**
 * Resolve once Redis answers PING with PONG; the caller's signal ends the wait. Polls the TCP
 * port every few ms (cheap) and only then asks ioredis, so "ready" comes within a few ms of
 * Redis accepting. Refused credentials reject at once: waiting would not change them.
 */
export async function untilPong(check: RedisTarget, opts: WaitOptions): Promise<void> {
  let saidLoading = false;
  const clock = opts.clock ?? realClock;
  for (;;) {
    if (opts.signal.aborted) throw opts.signal.reason as Error;
    const tcp = await tryConnect(check.host, check.port, 200);
    if (!tcp.open) {
      opts.note?.(tcp.why);
      // A local port is asked often (ready within ms of listening); a remote host, not hammered.
      await delay(clock, /^(127\.|::1$|localhost$)/.test(check.host) ? 5 : 250, opts.signal);
      continue;
    }
    const r = await pingRedis(check, 1000, { details: false, portOpen: true });
    if (r.ok) return;
    // LOADING is said once by onLoading; as a reason it reads as what it means.
    opts.note?.(r.reason === 'loading' ? 'still loading its data (LOADING)' : r.message);
    if (r.reason === 'auth') throw new Error(`Redis on ${check.host}:${check.port} refused the credentials: ${r.message}`);
    if (r.reason === 'loading' && !saidLoading) {
      saidLoading = true;
      opts.onLoading?.();
    }
    await delay(clock, r.reason === 'loading' ? 50 : 20, opts.signal);
  }
}

function parseInfo(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    const i = line.indexOf(':');
    if (i > 0) out[line.slice(0, i)] = line.slice(i + 1);
  }
  return out;
}
