import { hostname } from 'node:os';
import { aclHint } from '../frappe/redis-log.js';
import { benchQueueName, registeredWorkers, type RqWorker, type RqWorkerCheck } from '../frappe/rq.js';
import type { QueueNaming } from '../frappe/queues.js';
import { describeHolder, findPortHolder, holdsPort } from '../health/port-holder.js';
import { canConnect } from '../health/tcp.js';
import { processTable } from '../util/process-table.js';
import { PONG, redisClient, untilPong, type RedisClient } from '../health/redis-ping.js';
import type { RedisCheck } from '../health/types.js';
import { RUNNING, type Probe } from '../runtime/supervisor.js';
import { delay, type Clock } from '../util/clock.js';

/**
 * How long a scheduler, a watcher or a custom line must keep running to count as started: one
 * that fails at once (a typo in its line, a missing program) does not, even where a loaded
 * machine takes most of a second to start a shell. Not what the bench waits for: web and the
 * workers take longer.
 */
export const SETTLE_MS = 1000;
const WORKER_POLL_MS = 100;

/** What the checks need of the session: the live processes of a service (its group and what it started). */
export interface ReadinessContext {
  membersOf(name: string): number[];
  clock: Clock;
  naming: QueueNaming;
  /** Said once when a Redis answers LOADING. */
  onLoading(name: string): void;
}

/** A Redis is ready when it answers PING with PONG; refused credentials fail at once, with where its users come from. */
export function redisReady(name: string, check: RedisCheck, aclfile: string | null, ctx: ReadinessContext): Probe {
  return async (signal, note) => {
    try {
      await untilPong(check, { signal, note, onLoading: () => ctx.onLoading(name), clock: ctx.clock });
    } catch (err) {
      if (aclfile && /refused the credentials/.test((err as Error).message)) throw new Error(`${(err as Error).message} (${aclHint(aclfile)})`);
      throw err;
    }
    return PONG;
  };
}

/** web and socketio: ready when a process of their own holds the listening socket (a port merely open may be someone else's). */
export function portReady(name: string, port: number, ctx: ReadinessContext): Probe {
  return async (signal, note) => {
    let askedHolder = -Infinity;
    for (;;) {
      const held = holdsPort(ctx.membersOf(name), port);
      if (held) return `listening on :${port}`;
      // No /proc and no lsof: who holds the port cannot be known, only that it answers.
      if (held === null && (await canConnect('127.0.0.1', port, 300)))
        return `answers on :${port} (whose socket it is cannot be known here: no /proc, no lsof)`;
      if (ctx.clock.now() - askedHolder >= 1000) {
        askedHolder = ctx.clock.now();
        const holder = findPortHolder(port);
        note(holder ? `${describeHolder(port, holder)}, not by ${name}` : `nothing listens on :${port} yet`);
      }
      await delay(ctx.clock, processTable.pollMs, signal);
    }
  };
}

/** Long-lived checks of one queue Redis: every worker waiting to be registered is looked for in one read of rq:workers. */
class WorkerRegistrations {
  private waiters = new Set<{ match: (w: RqWorker[]) => boolean }>();
  private running = false;

  constructor(
    private readonly check: RedisCheck,
    private readonly clock: Clock,
  ) {}

  wait(match: (w: RqWorker[]) => boolean, signal: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      const waiter = {
        match: (ws: RqWorker[]) => {
          if (!match(ws)) return false;
          resolve();
          return true;
        },
      };
      this.waiters.add(waiter);
      signal.addEventListener(
        'abort',
        () => {
          this.waiters.delete(waiter);
          reject(signal.reason as Error);
        },
        { once: true },
      );
      if (!this.running) void this.loop();
    });
  }

  private async loop(): Promise<void> {
    this.running = true;
    let client: RedisClient | null = null;
    try {
      while (this.waiters.size > 0) {
        try {
          if (!client) {
            client = await redisClient(this.check, 500, 1000);
            client.on('error', () => {});
            await client.connect();
          }
          const workers = await registeredWorkers(client);
          for (const w of [...this.waiters]) if (w.match(workers)) this.waiters.delete(w);
        } catch {
          client?.disconnect();
          client = null; // the queue Redis restarting: ask again
        }
        if (this.waiters.size > 0) await delay(this.clock, WORKER_POLL_MS);
      }
    } finally {
      client?.disconnect();
      this.running = false;
    }
  }
}

/** One reader of rq:workers per queue Redis, for every worker of the session. */
export class WorkerReadiness {
  private readers = new Map<string, WorkerRegistrations>();
  private readonly host = hostname();

  constructor(private readonly ctx: ReadinessContext) {}

  /**
   * An RQ worker is ready once RQ lists it: its hash names a pid of its own, on this host,
   * listening to its queues; a worker pool once all its workers are.
   */
  probe(name: string, check: RqWorkerCheck): Probe {
    const count = check.count ?? 1;
    return async (signal, note) => {
      const key = `${check.redis.host}:${check.redis.port}`;
      let reader = this.readers.get(key);
      if (!reader) this.readers.set(key, (reader = new WorkerRegistrations(check.redis, this.ctx.clock)));
      note('not registered in rq:workers yet');
      await reader.wait((workers) => {
        const members = new Set(this.ctx.membersOf(name));
        const mine = workers.filter((w) => w.hostname === this.host && w.pid !== null && members.has(w.pid));
        const onQueues = mine.filter((w) => check.queues.every((q) => w.queues.includes(q)));
        if (onQueues.length >= count) return true;
        const other = mine.find((w) => !check.queues.every((q) => w.queues.includes(q)));
        if (other) {
          const missing = check.queues.filter((q) => !other.queues.includes(q));
          note(`registered on ${other.queues.join(',')}, not on ${missing.join(',')} (another bench_id?)`);
        } else if (count > 1) note(`${onQueues.length} of ${count} workers registered`);
        return false;
      }, signal);
      const queues = check.queues.map((q) => benchQueueName(this.ctx.naming, q)).join(',');
      return count > 1 ? `${count} workers registered on ${queues}` : `registered on ${queues}`;
    };
  }
}

/** A scheduler, a watcher, a custom line: started once it has kept running a moment. */
export function keepsRunning(clock: Clock): Probe {
  return async (signal) => {
    await delay(clock, SETTLE_MS, signal);
    return RUNNING;
  };
}
