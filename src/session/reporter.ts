import { ROLE_TRAITS } from '../frappe/roles.js';
import { PONG } from '../health/redis-ping.js';
import { existsSync } from 'node:fs';
import { redisFix, redisVersion } from '../frappe/redis-log.js';
import { whatItSaid } from '../frappe/error-lines.js';
import type { Printer } from '../output/printer.js';
import type { Plan } from '../plan/types.js';
import { DEFAULT_BACKOFF } from '../runtime/backoff.js';
import { describeExit, type ExitInfo, type Leftover } from '../runtime/supervised-process.js';
import {
  listenTo,
  RUNNING,
  type HandoverEvent,
  type ReadySummary,
  type RefusedMove,
  type RetiredEvent,
  type StateEvent,
  type Supervisor,
  type Waiting,
  type WorkReport,
} from '../runtime/supervisor.js';
import { realClock, type Clock } from '../util/clock.js';

/** How an exit reads: "exit code 3", "killed by SIGKILL"; an adopted process's end has no status to tell. */
export function exitWords(exit: ExitInfo | undefined): string {
  return exit && describeExit(exit) !== 'gone' ? ` (${describeExit(exit)})` : '';
}

/** How many of a process's last lines are looked into for what it said. */
const LAST_LINES = 40;

/** What a process that ended or did not start said that tells why (whatItSaid over its last lines). */
export function lastWords(sup: Pick<Supervisor, 'process'>, plan: Plan, name: string): string | null {
  return whatItSaid(plan.processes.find((x) => x.name === name)?.role ?? 'other', sup.process(name)?.ring.last(LAST_LINES) ?? []);
}

/** The lines a process that did not start gets: its last words, and for a Redis what to do about them. */
export function whyNotStarted(sup: Pick<Supervisor, 'process'>, plan: Plan, name: string): string[] {
  const line = lastWords(sup, plan, name);
  if (!line) return [];
  const p = plan.processes.find((x) => x.name === name);
  const fix =
    p?.role === 'redis'
      ? redisFix(line, {
          port: p.redis?.port ?? null,
          aclfile: p.redis?.aclfile ?? null,
          aclfileExists: p.redis?.aclfile ? existsSync(p.redis.aclfile) : false,
          dir: p.redis?.dir ?? null,
          conf: p.redis?.conf ?? null,
        })
      : null;
  return [`it said: ${line}`, ...(fix ? [`fix: ${fix}`] : [])];
}

export interface ReporterOptions {
  /** The plan as it is now (a re-plan changes it). */
  plan: () => Plan;
  /** A start-up task list shows starts and readiness until ready: they are not said twice. */
  quietStartup: boolean;
  clock?: Clock;
  /** Where the developer opens the site, said on the ready line when web is ready. */
  site?: () => string | null;
}

/** A stop that goes on waiting for the same processes is said again this often (a job may run for its queue's timeout: 25 minutes). */
const WAITING_AGAIN_MS = 10_000;
/** A readiness that waits this long has its reason said. */
const PENDING_QUIET_MS = 2000;

/** Turns supervisor events into fbench's own `system |` lines, for as long as the session lives. */
export class Reporter {
  private ready = false;
  /** Since when each readiness check has waited, and what was last said of it, and when. */
  private readonly pendingSince = new Map<string, number>();
  private readonly pendingSaid = new Map<string, { why: string; at: number }>();
  /** The bench folder gone mid-session is said once, not at every retry. */
  private benchGoneSaid = false;
  /** The last "waiting for" line: what it named, and when. */
  private waitingSaid: { names: string; at: number } | null = null;

  constructor(
    private readonly sup: Supervisor,
    private readonly printer: Printer,
    private readonly opts: ReporterOptions,
  ) {}

  private unlisten = (): void => {};

  /** The supervisor's events it says, each with its handler. */
  start(): void {
    this.unlisten = listenTo(this.sup, {
      state: this.onState,
      waiting: this.onWaiting,
      'startup-failed': this.onStartupFailed,
      'startup-incomplete': this.onIncomplete,
      ready: this.onReady,
      leftover: this.onLeftover,
      'not-ready': this.onNotReady,
      pending: this.onPending,
      handover: this.onHandover,
      retired: this.onRetired,
      'refused-move': this.onRefusedMove,
    });
  }

  close(): void {
    this.unlisten();
  }

  private readonly onHandover = (h: HandoverEvent): void => this.say(handoverWords(h));

  private readonly onRetired = (r: RetiredEvent): void => {
    if (r.killed) this.printer.error(retiredWords(r));
    else this.say(retiredWords(r));
  };

  private readonly onRefusedMove = (m: RefusedMove): void =>
    this.printer.warn(`internal: ${m.name} stays ${m.from} (a late move to ${m.to} was refused); a bug of fbench's: please report it with logs/fbench.log`);

  /**
   * Why a readiness check still waits, said once it has waited PENDING_QUIET_MS (a local Redis is
   * "refused" for a few ms before it listens), then when the reason changes and every
   * WAITING_AGAIN_MS while it lasts: an external Redis whose host does not resolve is not waited
   * for in silence.
   */
  private readonly onPending = (name: string, why: string): void => {
    if (this.opts.quietStartup && !this.ready) return; // the task list shows it
    const now = (this.opts.clock ?? realClock).now();
    const since = this.pendingSince.get(name) ?? now;
    this.pendingSince.set(name, since);
    if (now - since < PENDING_QUIET_MS) return;
    const said = this.pendingSaid.get(name);
    if (said && said.why === why && now - said.at < WAITING_AGAIN_MS) return;
    this.pendingSaid.set(name, { why, at: now });
    this.say(`${name} not ready yet: ${why}`);
  };

  private say(s: string, terminal = true): void {
    this.printer.system(s, 'info', { terminal });
  }

  private readonly onState = (e: StateEvent): void => {
    if (e.state !== 'waiting') {
      this.pendingSince.delete(e.name);
      this.pendingSaid.delete(e.name);
    }
    // The task list shows the start-up on the terminal; its lines still go to the log.
    const terminal = !(this.opts.quietStartup && !this.ready && (e.state === 'running' || e.state === 'ready'));
    switch (e.state) {
      case 'running':
        if (e.pid !== null && e.pid !== undefined) this.say(e.adopted ? `${e.name} taken over (pid ${e.pid})` : `${e.name} started (pid ${e.pid})`, terminal);
        break;
      case 'ready': {
        if (e.readiness === RUNNING) break; // a process with nothing to check: "started" said it
        const external = this.opts.plan().externals.find((x) => x.name === e.name);
        if (external) {
          this.say(`${e.name} ready: ${e.readiness} from ${external.url} (${external.source}; fbench does not run it)`, terminal);
          break;
        }
        const version = e.readiness === PONG ? redisVersion(this.sup.process(e.name)?.ring.last(20) ?? []) : null;
        const port = this.opts.plan().processes.find((p) => p.name === e.name)?.port;
        const what = e.readiness === PONG && port ? `${PONG} on :${port}` : e.readiness;
        this.say(`${e.name} ready: ${what} (${version ? `Redis ${version}, ` : ''}${e.elapsedMs} ms after its start)`, terminal);
        break;
      }
      case 'backoff': {
        const deps = this.sup.dependents(e.name);
        this.say(`${e.name} ${describeExit(e.exit!)}; restarting in ${fmtDelay(e.delayMs!)}${deps.length ? ` (${deps.join(', ')} depend on it)` : ''}`);
        if (e.exit?.unstarted && !this.benchGoneSaid && !existsSync(this.opts.plan().bench)) {
          this.benchGoneSaid = true;
          this.printer.warn(
            `the bench folder ${this.opts.plan().bench} is gone (moved or removed while fbench ran): nothing can start from it → stop fbench (Ctrl-C) and start it again where the bench is now`,
          );
        }
        if (e.crashes! >= DEFAULT_BACKOFF.loopWarningAt) {
          const said = lastWords(this.sup, this.opts.plan(), e.name);
          this.printer.warn(`${e.name} is crash-looping (${e.crashes} crashes in a row)${said ? `; it said: ${said}` : ''}`);
        }
        break;
      }
      case 'exited':
        this.say(`${e.name} ${e.exit ? describeExit(e.exit) : 'exited'}${e.exit?.code === 0 ? ' (finished; not restarted)' : ''}`);
        break;
      case 'stopped':
        if (e.killed) this.printer.error(`${e.name} was killed: ${killWords(e)}`);
        else this.say(`${e.name} stopped${exitWords(e.exit)}`);
        break;
      case 'failed':
        // A start-up failure is said by 'startup-failed', with the output that explains it.
        if (this.ready && e.error) this.printer.error(`${e.name} ${e.error}`);
        break;
    }
  };

  /** Before the ready line, that line (or the task list) says it. */
  private readonly onNotReady = (name: string, why: string): void => {
    if (this.ready) this.printer.warn(`${name} is not ready: ${why}`);
  };

  private readonly onWaiting = (left: Waiting[], shuttingDown: boolean): void => {
    const names = left.map((w) => w.name).join(',');
    const now = (this.opts.clock ?? realClock).now();
    if (this.waitingSaid?.names === names && now - this.waitingSaid.at < WAITING_AGAIN_MS) return;
    this.waitingSaid = { names, at: now };
    const busy = left.some((w) => w.doing);
    const what = waitingWords(left);
    const then = shuttingDown ? ` — Ctrl-C again to kill ${busy ? 'it (the job will be lost)' : 'what keeps no data'}` : '';
    this.say(`waiting for ${what}${then}`);
  };

  private readonly onStartupFailed = (name: string, why: string): void => {
    this.printer.error(`${name} ${why}`);
    for (const l of whyNotStarted(this.sup, this.opts.plan(), name)) this.say(`  ${l}`);
    const started = this.sup.dependents(name).filter((d) => this.sup.process(d)?.running);
    this.say(`nothing that needs it at start was started${started.length ? ` (${started.join(', ')} started with it: stopped too)` : ''}; stopping`);
  };

  private readonly onReady = (r: ReadySummary): void => {
    this.ready = true;
    const plan = this.opts.plan();
    const notReady = new Set(r.notReady.map((n) => n.name));
    const up = (role: string): string[] => plan.processes.filter((p) => p.role === role && !notReady.has(p.name)).map((p) => p.name);
    const redis = [...up('redis'), ...plan.externals.map((x) => x.name).filter((u) => !notReady.has(u))];
    // The new CLI's admin is its entry point (its setup wizard, its process page): named with its URL.
    const listeners = plan.processes.filter((p) => ROLE_TRAITS[p.role].listens && p.port !== null && !notReady.has(p.name));
    const ports = listeners.map((p) => `${p.name} :${p.port}`);
    const admin = listeners.find((p) => p.role === 'admin');
    const workers = up('worker');
    const parts = [
      redis.length ? `${redis.join(', ')} PONG` : '',
      ports.join(', '),
      workers.length ? `${workers.join(', ')} registered` : '',
      r.notReady.length ? `not ready: ${r.notReady.map((n) => `${n.name} ${n.why}${this.saidIfExited(n)}`).join('; ')}` : '',
    ].filter(Boolean);
    const site = up('web').length ? this.opts.site?.() : null;
    const open = [site, admin ? `the bench CLI's admin at http://localhost:${admin.port}` : null].filter(Boolean);
    const line = `ready in ${r.ms} ms${parts.length ? `: ${parts.join('; ')}` : ''}${open.length ? ` — open ${open.join(', or ')}` : ''}`;
    if (r.notReady.length) this.printer.warn(line);
    else this.say(line);
  };

  /** Start-up ran out of time with processes not ready: each named with why, then the stop. */
  private readonly onIncomplete = (r: ReadySummary): void => {
    this.printer.error(`start-up did not complete within ${Math.round(r.limitMs / 100) / 10} s (--ready-timeout): ${r.notReady.length} not ready`);
    for (const n of r.notReady) this.say(`  ${n.name}: ${n.why}${this.saidIfExited(n)}`);
    this.say('stopping');
  };

  private saidIfExited(n: { name: string; why: string }): string {
    const said = /exit|killed/.test(n.why) ? lastWords(this.sup, this.opts.plan(), n.name) : null;
    return said ? ` (it said: ${said})` : '';
  }

  private readonly onLeftover = (name: string, left: Leftover[]): void => {
    const pids = left.map((l) => `pid ${l.pid} (${l.command})`).join(', ');
    this.say(`${name} exited, leaving ${pids} running; ${left.length > 1 ? 'they are' : 'it is'} stopped with the bench`);
  };
}

function fmtDelay(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`;
}

/** What a stop waits for, in words: "worker.1 to finish jobs.slow (job …, running 5 s, timeout 300 s), redis_queue.1". */
export function waitingWords(left: readonly Waiting[]): string {
  return left.map((w) => (w.doing ? `${w.name} to ${w.doing.waitingFor}` : w.hint ? `${w.name} (${w.hint})` : w.name)).join(', ');
}

/** Why a process was killed, and what that lost: "its grace ran out, and the job … was lost". */
export function killWords(e: StateEvent): string {
  return `${e.killed === 'grace' ? 'its grace ran out' : 'asked again to stop'}${e.lost ? `, and ${e.lost}` : ''}`;
}

/** A busy worker replaced new-first, in words. */
export function handoverWords(h: { name: string; pid: number | null; doing: WorkReport }): string {
  return `${h.name} is busy: its old code (pid ${h.pid}) goes on to ${h.doing.waitingFor}, then leaves; a new ${h.name} starts now`;
}

/** How an old process left after a handover, in words. */
export function retiredWords(r: RetiredEvent): string {
  const who = `${r.name} (old code, pid ${r.pid})`;
  return r.killed
    ? `${who} was killed: ${killWords({ name: r.name, state: 'stopped', killed: r.killed, ...(r.lost ? { lost: r.lost } : {}) })}`
    : `${who} finished its job and left`;
}
