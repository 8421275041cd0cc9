import { canMove, type RestartPolicy, type ServiceState } from './service-state.js';
import { EventEmitter } from 'node:events';
import { constants } from 'node:os';
import { realClock, type Clock } from '../util/clock.js';
import { backoffDelay, DEFAULT_BACKOFF, nextCrashCount, type BackoffPolicy } from './backoff.js';
import { describeExit, type ExitInfo, type Leftover, type ProcessFactory, type ProcessSpec, type SupervisedProcess } from './supervised-process.js';

/**
 * Resolves with a word for what is ready ("PONG", "listening on :8000") once the service is;
 * rejects with why it never will be. `note` says why it is not ready yet, each time that changes.
 */
export type Probe = (signal: AbortSignal, note: (why: string) => void) => Promise<string>;

/** What a process is busy with while it stops, in its own words: what is waited for, and what is lost if it is killed. */
export interface WorkReport {
  waitingFor: string;
  ifKilled: string;
  /** waitingFor as it reads at another moment (a job's age grows while an old process finishes it). */
  at?: (now: number) => string;
}

/** How a service stops; its grace (SIGTERM → SIGKILL) is its process's (`ProcessSpec.graceMs`). */
export interface StopSpec {
  /** Said while fbench waits for it, when it cannot say what it is doing (`saving its data?`). */
  hint?: string;
  /** It writes its data on SIGTERM: a second shutdown still lets it, only a third kills it. */
  keepsData: boolean;
}

/** A supervised service: a process to run, or only a check (an external Redis). */
/** Between SIGTERM and SIGKILL for a service: its process's grace (a service with nothing to run has none). */
function graceOf(svc: { spec: ServiceSpec }): number {
  return svc.spec.process?.graceMs ?? 0;
}

/** The readiness of a service with nothing to check, or whose check is only that it keeps running. */
export const RUNNING = 'running';

export interface ServiceSpec {
  name: string;
  /** Services that must be ready before this one starts, and that stop only after it. */
  dependsOn: string[];
  /** Those of dependsOn it needs ready to start, when fewer (it reaches the others only later): it starts with them instead of after. */
  startAfter?: string[];
  process?: ProcessSpec;
  /** Its readiness; none: ready once started. */
  probe?: Probe;
  /** A failed check stops start-up (a Redis); otherwise it is reported and the bench runs on. */
  gating: boolean;
  /** A crash of a non-critical process never ends the run, even with exitOnCrash. */
  critical: boolean;
  /** What follows an exit nobody asked for. */
  restart: RestartPolicy;
  stop: StopSpec;
  /** Asked while it stops, and before it is killed: what it is doing. */
  work?: () => Promise<WorkReport | null>;
  /**
   * A restart while it is doing work (work() says so) starts the new process first and lets the
   * old one finish (an RQ worker's warm stop: its job, then it leaves): the new code runs at once
   * and the job is not lost. Otherwise a restart stops, then starts.
   */
  handover?: boolean;
}

/** What a Supervisor says, each event with its arguments: listeners are typed from this, a renamed event breaks the compile. */
export interface SupervisorEvents {
  /** A service changed state. */
  state: [StateEvent];
  /** Start-up is over: everything is ready, or what is not is named. */
  ready: [ReadySummary];
  /** Start-up ran out of --ready-timeout with services not ready (startupNeedsAll). */
  'startup-incomplete': [ReadySummary];
  /** A gating service failed its start-up: nothing that needs it starts. */
  'startup-failed': [name: string, why: string];
  /** A readiness check failed or ran out of time, without gating. */
  'not-ready': [name: string, why: string];
  /** Why a service still waits to start (a Redis that does not answer yet). */
  pending: [name: string, why: string];
  /** Every second while stops wait: who, and whether the whole session is stopping. */
  waiting: [left: Waiting[], shuttingDown: boolean];
  /** Whole lines a process printed; `partial`: shown before its newline (a prompt). */
  output: [name: string, lines: Buffer, partial: boolean];
  /** Processes a program left running when it exited. */
  leftover: [name: string, leftovers: Leftover[]];
  /** A busy service was replaced: its old process goes on with `doing`. */
  handover: [HandoverEvent];
  /** An old process left (finished, or killed with what it lost). */
  retired: [RetiredEvent];
  /** A move the state machine does not allow (a late event of fbench's own making): refused, the state kept. */
  'refused-move': [RefusedMove];
}

/** A state change the machine refused: a bug of fbench's, told rather than acted on. */
export interface RefusedMove {
  name: string;
  from: ServiceState;
  to: ServiceState;
}

/** Listeners of some of a Supervisor's events, each typed from SupervisorEvents. */
export type SupervisorListeners = { [E in keyof SupervisorEvents]?: (...args: SupervisorEvents[E]) => void };

/** Add `listeners` to a supervisor; returns what takes them off again (a session part's close()). */
export function listenTo(sup: Pick<Supervisor, 'on' | 'off'>, listeners: SupervisorListeners): () => void {
  // The object's own typing checked each listener; here they are only passed on.
  const pairs = Object.entries(listeners) as [keyof SupervisorEvents, (...args: never[]) => void][];
  for (const [event, fn] of pairs) sup.on(event, fn as never);
  return () => {
    for (const [event, fn] of pairs) sup.off(event, fn as never);
  };
}

/** An old process of a service, replaced while it finished its work: it leaves when that is done. */
export interface RetiringStatus {
  name: string;
  pid: number | null;
  /** What it is finishing. */
  doing: WorkReport;
  since: number;
}

/** How a retired process left: its work done, or killed (its grace ran out, or a later stop asked for it) with what that lost. */
/** A busy service replaced while its old process goes on with its work. */
export interface HandoverEvent {
  name: string;
  pid: number | null;
  doing: WorkReport;
}

export interface RetiredEvent {
  name: string;
  pid: number | null;
  exit?: ExitInfo;
  killed?: 'grace' | 'forced';
  lost?: string;
}

export type { RestartPolicy, ServiceState };

export interface StateEvent {
  name: string;
  state: ServiceState;
  pid?: number | null;
  /** running: a process fbench took over instead of starting. */
  adopted?: boolean;
  exit?: ExitInfo;
  /** backoff: the delay before the next start, and the crash count. */
  delayMs?: number;
  crashes?: number;
  /** ready: ms from this service's own start, and what is ready. */
  elapsedMs?: number;
  readiness?: string;
  /** stopping: how long it gets before SIGKILL, and what it may be doing meanwhile. */
  graceMs?: number;
  hint?: string;
  /** stopped: it had to be killed — its grace ran out, or a later stop asked for it (a second Ctrl-C) — and what that lost. */
  killed?: 'grace' | 'forced';
  lost?: string;
  error?: string;
}

/** A service shutdown is still waiting for. */
export interface Waiting {
  name: string;
  /** Being stopped now (not waiting for what depends on it). */
  stopping: boolean;
  hint?: string;
  doing?: WorkReport;
}

/** The moment every service has started and its readiness has been told (or has run out of time). */
export interface ReadySummary {
  ms: number;
  /** The start-up's time limit (readyTimeoutMs), as configured: what a message names, not the time a loaded machine took to notice. */
  limitMs: number;
  notReady: { name: string; why: string }[];
}

/** How a (re)start ended: ready, or not, and why. */
export type StartOutcome = { ok: true; readiness: string } | { ok: false; why: string };

export interface SupervisorOptions {
  exitOnCrash: boolean;
  /** How long a service's readiness may take from its own start: a gating one then fails start-up, another is reported as not ready. */
  readyTimeoutMs: number;
  /**
   * Start-up must bring every service to ready within readyTimeoutMs of its beginning: one that
   * is not (exited, never listened, still waiting) fails it ('startup-incomplete'), naming each.
   * Without it, start-up announces ready with what is not.
   */
  startupNeedsAll?: boolean;
  backoff?: BackoffPolicy;
}

/** The seams: how processes are made, and time. */
export interface SupervisorDeps {
  createProcess: ProcessFactory;
  clock?: Clock;
}

export interface ServiceStatus {
  name: string;
  state: ServiceState;
  pid: number | null;
  startedAt: number | null;
  restarts: number;
  /** Crashes in a row (what the crash-loop warning counts). */
  crashes: number;
  /** What is ready (`PONG`, `listening on :8000`), or null. */
  readiness: string | null;
  /** Why it is not ready, when it has been told. */
  why: string | null;
  /** backoff: when it starts again. */
  retryAt: number | null;
  /** Its old processes still finishing their work after a handover. */
  retiring: RetiringStatus[];
}

interface Service {
  spec: ServiceSpec;
  state: ServiceState;
  proc: SupervisedProcess | null;
  /** It should run: false once a stop is asked, true again when a start is. */
  wanted: boolean;
  removed: boolean;
  /** Bumped by every stop, restart and replacement: the start half of an older one sees it was overtaken. */
  ticket: number;
  /** Bumped at every spawn: the exit and checks of an older run are ignored. */
  generation: number;
  startedAt: number;
  ready: boolean;
  readiness: string | null;
  pendingWhy: string | null;
  error: string | null;
  /** Its readiness has been told since its last start (passed, failed, or out of time). */
  settled: boolean;
  probeAbort: AbortController | null;
  cancelDeadline: (() => void) | null;
  crashes: number;
  restarts: number;
  cancelBackoff: (() => void) | null;
  retryAt: number;
  lastExit: ExitInfo | null;
  /** The stop under way, so two callers (stop NAME, then Ctrl-C) share it. */
  stop: Promise<void> | null;
  /** A restart still stopping the old process, which later restarts join. */
  restarting: Promise<StartOutcome> | null;
  /** Old processes finishing their work after a handover, each with its end. */
  retiring: { proc: SupervisedProcess; doing: WorkReport; since: number; done: Promise<void> }[];
  /** Waiting for how the next start ends. */
  outcomes: ((o: StartOutcome) => void)[];
}

/** How long a SIGKILLed process may take to be gone before fbench gives up on it. */
const KILL_WAIT_MS = 5000;
/** How often a stop says what it is still waiting for. */
const WAITING_EVERY_MS = 1000;
/** How long asking a process what it is doing may take (a Redis round trip), before a kill or a waiting line. */
const WORK_ASK_MS = 500;
/** Whether a restart hands over is worth a longer wait for the answer: not knowing means stopping first, a job's wait. */
const HANDOVER_ASK_MS = 3000;

/**
 * Runs a graph of services: each starts once its dependencies are ready, is restarted with
 * backoff when it crashes, and stops only after everything that depends on it has stopped.
 * A stop is one SIGTERM, a wait for the process to be gone until its grace runs out, then
 * SIGKILL. Control of one service is ordered: the start half of a restart or a replacement
 * happens only if nothing was asked of that service since. Generic: it knows processes,
 * probes and dependencies, nothing about what they are.
 *
 * Starting is done in rounds: every service whose dependencies are ready is spawned, in the
 * order the services were given, before any of them is checked.
 *
 * Its events are SupervisorEvents: every listener is typed from them.
 */
export class Supervisor extends EventEmitter<SupervisorEvents> {
  private services = new Map<string, Service>();
  private stopping: Promise<number> | null = null;
  /** Shutdowns asked for after the first: 1 kills what keeps no data, 2 kills everything. */
  private forceLevel = 0;
  private forceWakers = new Set<() => void>();
  private finished!: (code: number) => void;
  readonly done: Promise<number>;
  private readonly clock: Clock;
  private readonly t0: number;
  private readyAnnounced = false;
  /** What the run ends with: the first shutdown's code, or a later one's when the first had none. */
  private exitCode = 0;
  private cancelStartupDeadline: (() => void) | null = null;
  private readonly backoff: BackoffPolicy;
  private readonly createProcess: ProcessFactory;
  private cancelWaiting: (() => void) | null = null;
  private started = false;

  constructor(
    specs: readonly ServiceSpec[],
    private readonly opts: SupervisorOptions,
    deps: SupervisorDeps,
  ) {
    super();
    this.clock = deps.clock ?? realClock;
    this.createProcess = deps.createProcess;
    this.t0 = this.clock.now();
    this.backoff = opts.backoff ?? DEFAULT_BACKOFF;
    this.done = new Promise((r) => (this.finished = r));
    for (const spec of specs) this.addService(spec);
  }

  /** Start every service; each waits for its own dependencies. */
  start(): void {
    this.started = true;
    if (this.opts.startupNeedsAll) this.cancelStartupDeadline = this.clock.setTimer(this.opts.readyTimeoutMs, () => this.onStartupDeadline());
    this.startDue();
  }

  status(): ServiceStatus[] {
    return [...this.services.values()].map((s) => ({
      name: s.spec.name,
      state: s.state,
      pid: s.proc?.pid ?? null,
      startedAt: s.proc?.running ? s.proc.startedAt : null,
      restarts: s.restarts,
      crashes: s.crashes,
      readiness: s.ready ? s.readiness : null,
      why: s.ready ? null : (s.state === 'exited' || s.state === 'backoff') && s.lastExit ? describeExit(s.lastExit) : (s.error ?? s.pendingWhy),
      retryAt: s.state === 'backoff' ? s.retryAt : null,
      retiring: s.retiring.map((r) => ({ name: s.spec.name, pid: r.proc.pid, doing: r.doing, since: r.since })),
    }));
  }

  process(name: string): SupervisedProcess | null {
    return this.services.get(name)?.proc ?? null;
  }

  spec(name: string): ServiceSpec | null {
    return this.services.get(name)?.spec ?? null;
  }

  /** Services that depend on `name`, directly or not. */
  dependents(name: string): string[] {
    const out = new Set<string>();
    const visit = (n: string): void => {
      for (const d of this.directDependents(n)) {
        if (out.has(d.spec.name)) continue;
        out.add(d.spec.name);
        visit(d.spec.name);
      }
    };
    visit(name);
    return [...out];
  }

  /** Stop one service and keep it down while the rest run. `graceMs` overrides its own grace. */
  async stopService(name: string, graceMs?: number): Promise<void> {
    const svc = this.mustGet(name);
    svc.ticket++;
    svc.wanted = false;
    svc.restarting = null; // a restart asked for after this stop is a new one
    await this.stopProcess(svc, graceMs);
    if (svc.state !== 'stopped' && svc.state !== 'failed') this.setState(svc, 'stopped');
    this.checkAllDone();
  }

  /**
   * Restart one service (or start it when stopped): the new one starts only once the old one is
   * gone, and only if nothing else was asked of it meanwhile (a stop wins). Resolves with how
   * the new start ended. A restart asked for while another still stops the old process joins
   * it: one new process, every caller told how its start ended.
   */
  restartService(name: string, graceMs?: number, opts: { wait?: boolean } = {}): Promise<StartOutcome> {
    const svc = this.mustGet(name);
    if (svc.restarting) return svc.restarting;
    const ticket = ++svc.ticket;
    const restart = (async (): Promise<StartOutcome> => {
      const doing = svc.spec.handover && !opts.wait && svc.state === 'ready' && svc.proc?.running ? await this.askWork(svc, HANDOVER_ASK_MS) : null;
      if (svc.ticket !== ticket || this.stopping) return { ok: false, why: this.overtaken(svc) };
      if (doing) {
        this.handOver(svc, doing, graceMs);
        return this.startAgain(svc);
      }
      svc.wanted = false;
      await this.stopProcess(svc, graceMs);
      if (svc.ticket !== ticket || svc.removed || this.stopping) return { ok: false, why: this.overtaken(svc) };
      return this.startAgain(svc);
    })();
    // Joined until the new process's start has ended, not only the old one's stop: a restart asked
    // for while the new one starts is the same restart (twenty callers at once: one new process).
    svc.restarting = restart;
    void restart.finally(() => {
      if (svc.restarting === restart) svc.restarting = null;
    });
    return restart;
  }

  private startAgain(svc: Service): Promise<StartOutcome> {
    svc.wanted = true;
    svc.crashes = 0;
    svc.restarts++;
    const outcome = this.nextOutcome(svc);
    this.setState(svc, 'waiting');
    this.startDue();
    return outcome;
  }

  /**
   * The running process becomes an old one that finishes `doing` (its warm stop at once: one
   * SIGTERM, its grace, then SIGKILL as any stop) while a new one starts: `retired` says how it
   * left. A session's stop waits for it, and what it depends on stops only after.
   */
  private handOver(svc: Service, doing: WorkReport, graceMs?: number): void {
    const old = svc.proc!;
    this.endCheck(svc);
    svc.proc = null; // the next start makes a new one; the old one's exit belongs to no run
    svc.generation++;
    svc.ready = false;
    this.emit('handover', { name: svc.spec.name, pid: old.pid, doing } satisfies HandoverEvent);
    const entry = { proc: old, doing, since: this.clock.now(), done: Promise.resolve() };
    entry.done = this.retire(svc, old, doing, graceMs ?? graceOf(svc)).finally(() => {
      svc.retiring = svc.retiring.filter((r) => r !== entry);
      old.removeAllListeners();
      this.checkAllDone();
    });
    svc.retiring.push(entry);
  }

  private async retire(svc: Service, old: SupervisedProcess, doing: WorkReport, graceMs: number): Promise<void> {
    const exit = old.exit;
    const pid = old.pid; // said when it has left, when the process no longer has one
    if (!exit) return;
    await this.termAndWait(svc, old, exit, graceMs);
    if (!old.running) {
      this.emit('retired', { name: svc.spec.name, pid, exit: await exit } satisfies RetiredEvent);
      return;
    }
    const killed = this.forced(svc) ? 'forced' : 'grace';
    old.kill();
    await this.goneAfterKill(exit);
    this.emit('retired', { name: svc.spec.name, pid, killed, lost: doing.ifKilled } satisfies RetiredEvent);
  }

  /** Add a service (at construction, or after start for a re-plan); `restartService` or the next round starts it. */
  addService(spec: ServiceSpec): void {
    if (this.services.has(spec.name)) throw new Error(`duplicate service ${spec.name}`);
    this.services.set(spec.name, {
      spec,
      state: 'waiting',
      proc: null,
      wanted: true,
      removed: false,
      ticket: 0,
      generation: 0,
      startedAt: 0,
      ready: false,
      readiness: null,
      pendingWhy: null,
      error: null,
      settled: false,
      probeAbort: null,
      cancelDeadline: null,
      crashes: 0,
      restarts: 0,
      cancelBackoff: null,
      retryAt: 0,
      lastExit: null,
      stop: null,
      restarting: null,
      retiring: [],
      outcomes: [],
    });
    this.startDue();
  }

  /** A service's spec changed (a re-plan): the old process stops, then the new one starts, unless something else was asked of it meanwhile. */
  async replaceService(spec: ServiceSpec): Promise<void> {
    const svc = this.mustGet(spec.name);
    svc.spec = spec;
    const ticket = ++svc.ticket;
    svc.wanted = false;
    await this.stopProcess(svc);
    if (svc.ticket !== ticket || svc.removed || this.stopping) return;
    svc.wanted = true;
    svc.crashes = 0;
    svc.settled = false;
    this.setState(svc, 'waiting');
    this.startDue();
  }

  /** Stop and forget a service (a re-plan removed it). */
  async removeService(name: string): Promise<void> {
    const svc = this.mustGet(name);
    svc.removed = true;
    svc.ticket++;
    svc.wanted = false;
    await this.stopProcess(svc);
    if (this.services.get(name) === svc) this.services.delete(name);
    if (svc.state !== 'stopped') this.setState(svc, 'stopped');
    this.announceIfSettled();
    this.checkAllDone();
  }

  /**
   * Stop everything: each service gets its SIGTERM once everything that depends on it is gone,
   * and SIGKILL when its grace runs out. Asked again (a second Ctrl-C), it kills at once what
   * keeps no data and lets the rest (a Redis) save theirs; a third time, it kills everything.
   * Resolves the exit code once every process is gone.
   */
  shutdown(code: number): Promise<number> {
    if (this.stopping) {
      // A stop that came without a cause of its own (a view left, `fbench stop`) ends with the signal that hurried it.
      if (this.exitCode === 0) this.exitCode = code;
      this.forceLevel++;
      for (const wake of [...this.forceWakers]) wake();
      return this.stopping;
    }
    this.cancelStartupDeadline?.();
    this.cancelStartupDeadline = null;
    this.exitCode = code;
    for (const svc of this.services.values()) {
      svc.wanted = false;
      svc.ticket++;
      this.quiet(svc);
    }
    this.stopping = (async () => {
      this.keepSayingWaiting();
      const order = new Map<Service, Promise<void>>();
      const inOrder = (svc: Service, path: ReadonlySet<Service>): Promise<void> => {
        let p = order.get(svc);
        if (!p) {
          const deps = this.directDependents(svc.spec.name).filter((d) => !path.has(d)); // a cycle must not deadlock
          const next = new Set(path).add(svc);
          // Its old processes still finishing a job count as it: what it depends on waits for them too.
          p = Promise.all(deps.map((d) => inOrder(d, next))).then(() =>
            Promise.all([this.stopProcess(svc), ...svc.retiring.map((r) => r.done)]).then(() => {}),
          );
          order.set(svc, p);
        }
        return p;
      };
      await Promise.all([...this.services.values()].map((s) => inOrder(s, new Set())));
      this.cancelWaiting?.();
      this.finished(this.exitCode);
      return this.exitCode;
    })();
    return this.stopping;
  }

  /** The shell's code for an end by `signal` (128 + its number): fbench's own, as honcho's, and a crashed program's. */
  static signalExitCode(signal: NodeJS.Signals): number {
    return 128 + (constants.signals[signal] ?? 0);
  }

  private mustGet(name: string): Service {
    const svc = this.services.get(name);
    if (!svc) throw new Error(`no process named ${name}`);
    return svc;
  }

  private directDependents(name: string): Service[] {
    return [...this.services.values()].filter((s) => s.spec.dependsOn.includes(name));
  }

  private overtaken(svc: Service): string {
    if (svc.removed) return 'it was removed from the plan meanwhile';
    if (this.stopping) return 'the session is stopping';
    return svc.wanted ? 'it was restarted again meanwhile' : 'it was stopped meanwhile (fbench stop)';
  }

  /** A round: every service that waits and whose dependencies are ready is spawned, in order, then each is checked. */
  private startDue(): void {
    if (!this.started || this.stopping) return;
    const round = [...this.services.values()].filter(
      (s) => s.state === 'waiting' && s.wanted && (s.spec.startAfter ?? s.spec.dependsOn).every((d) => this.services.get(d)?.ready !== false),
    );
    for (const svc of round) this.begin(svc);
    for (const svc of round) this.check(svc);
  }

  private begin(svc: Service): void {
    svc.generation++;
    svc.lastExit = null;
    svc.ready = false;
    svc.readiness = null;
    svc.pendingWhy = null;
    svc.startedAt = this.clock.now();
    if (!svc.spec.process) {
      this.move(svc, 'running'); // nothing of its own runs (an external Redis): nothing to tell
      return;
    }
    const proc = this.procFor(svc);
    const generation = svc.generation;
    void proc.spawn().then((info) => this.onExit(svc, generation, info));
    this.setState(svc, 'running', { pid: proc.pid, ...(proc.adopted ? { adopted: true } : {}) });
  }

  /** The process of the service's current spec (a new one after a replacement; never while the old one runs). */
  private procFor(svc: Service): SupervisedProcess {
    const spec = svc.spec.process!;
    if (svc.proc && svc.proc.spec === spec) return svc.proc;
    svc.proc?.removeAllListeners();
    const proc = this.createProcess(spec);
    proc.on('output', (t: Buffer, partial: boolean) => this.emit('output', svc.spec.name, t, partial));
    proc.on('leftover', (l: Leftover[]) => this.emit('leftover', svc.spec.name, l));
    svc.proc = proc;
    return proc;
  }

  private check(svc: Service): void {
    const generation = svc.generation;
    const probe = svc.spec.probe;
    if (!probe) {
      this.markReady(svc, RUNNING);
      return;
    }
    const abort = new AbortController();
    svc.probeAbort = abort;
    svc.cancelDeadline = this.clock.setTimer(this.opts.readyTimeoutMs, () => this.onDeadline(svc, generation));
    probe(abort.signal, (why) => {
      if (generation !== svc.generation) return;
      svc.pendingWhy = why;
      this.emit('pending', svc.spec.name, why);
    }).then(
      (word) => {
        if (generation !== svc.generation || abort.signal.aborted) return;
        this.endCheck(svc);
        this.markReady(svc, word);
      },
      (err: unknown) => {
        // Ended by a stop (or failing only after one was asked: a slow probe): nothing to tell. Ended by the process's exit: that is the reason.
        if (generation !== svc.generation || this.stopping || !svc.wanted || (svc.probeAbort !== abort && !svc.lastExit)) return;
        this.endCheck(svc);
        this.onCheckFailed(svc, svc.lastExit ? `exited during start-up (${describeExit(svc.lastExit)})` : (err as Error).message);
      },
    );
  }

  /** No more readiness check for its current run. */
  private endCheck(svc: Service): void {
    svc.cancelDeadline?.();
    svc.cancelDeadline = null;
    svc.probeAbort?.abort(new Error('no longer checked'));
    svc.probeAbort = null;
  }

  /** Nothing pending for it any more: no check, no restart. */
  private quiet(svc: Service): void {
    this.endCheck(svc);
    svc.cancelBackoff?.();
    svc.cancelBackoff = null;
  }

  private onDeadline(svc: Service, generation: number): void {
    svc.cancelDeadline = null;
    if (generation !== svc.generation || svc.ready || this.stopping) return;
    const why = this.notReadyAfter(svc);
    if (svc.spec.gating) {
      this.endCheck(svc);
      this.onCheckFailed(svc, why);
      return;
    }
    // Reported, and still checked: it may yet become ready.
    svc.settled = true;
    svc.error = why;
    this.emit('not-ready', svc.spec.name, why);
    this.resolveOutcome(svc, { ok: false, why });
    this.announceIfSettled();
  }

  private onCheckFailed(svc: Service, why: string): void {
    svc.settled = true;
    svc.error = why;
    this.resolveOutcome(svc, { ok: false, why });
    // It exited: its restart (backoff) is under way, unless it gates a start-up not yet ready.
    const restarting = svc.lastExit !== null && (this.readyAnnounced || !svc.spec.gating);
    if (!svc.spec.gating || restarting) {
      this.emit('not-ready', svc.spec.name, why);
      this.announceIfSettled();
      return;
    }
    this.setState(svc, 'failed', { error: why });
    if (!this.readyAnnounced && !this.stopping) {
      this.emit('startup-failed', svc.spec.name, why);
      void this.shutdown(1);
    }
  }

  private markReady(svc: Service, readiness: string): void {
    svc.ready = true;
    svc.readiness = readiness;
    svc.settled = true;
    svc.error = null;
    this.setState(svc, 'ready', { elapsedMs: this.clock.now() - svc.startedAt, readiness });
    this.resolveOutcome(svc, { ok: true, readiness });
    this.startDue();
    this.announceIfSettled();
  }

  private onExit(svc: Service, generation: number, info: ExitInfo): void {
    if (generation !== svc.generation) return;
    svc.ready = false;
    svc.lastExit = info;
    const probing = svc.probeAbort;
    // Died while its readiness was checked: the check reports it at once, with the exit.
    probing?.abort(new Error(describeExit(info)));
    if (this.stopping || !svc.wanted) return; // a stop is waiting for this exit
    if (probing && svc.spec.gating && !this.readyAnnounced) return;
    this.resolveOutcome(svc, { ok: false, why: describeExit(info) });
    const crashed = info.code !== 0 || svc.spec.restart === 'always';
    if (this.opts.exitOnCrash && svc.spec.critical && crashed) {
      this.setState(svc, 'exited', { exit: info });
      void this.shutdown(info.code ?? (info.signal ? Supervisor.signalExitCode(info.signal) : 128));
      return;
    }
    if (!crashed) {
      this.setState(svc, 'exited', { exit: info });
      this.checkAllDone();
      return;
    }
    svc.crashes = nextCrashCount(svc.crashes, info.ranForMs, this.backoff);
    const delayMs = backoffDelay(svc.crashes, this.backoff);
    svc.retryAt = this.clock.now() + delayMs;
    this.setState(svc, 'backoff', { exit: info, delayMs, crashes: svc.crashes });
    svc.cancelBackoff = this.clock.setTimer(delayMs, () => {
      svc.cancelBackoff = null;
      svc.restarts++;
      this.setState(svc, 'waiting');
      this.startDue();
    });
  }

  private checkAllDone(): void {
    if (this.stopping) return;
    const all = [...this.services.values()];
    const settled = all.every((s) => !s.spec.process || s.state === 'exited' || s.state === 'stopped');
    if (settled && all.some((s) => s.state === 'exited')) void this.shutdown(0);
  }

  /** Ready: every service it runs has started and its readiness has been told (passed, failed, or out of time). */
  private announceIfSettled(): void {
    if (this.readyAnnounced || this.stopping) return;
    const all = [...this.services.values()].filter((s) => s.wanted);
    if (!all.every((s) => s.settled)) return;
    const notReady = this.notReady();
    // All or nothing: what is not ready yet gets until the start-up's deadline (a crash may be retried into ready).
    if (notReady.length && this.opts.startupNeedsAll) return;
    this.readyAnnounced = true;
    this.cancelStartupDeadline?.();
    this.emit('ready', { ms: this.clock.now() - this.t0, limitMs: this.opts.readyTimeoutMs, notReady } satisfies ReadySummary);
  }

  /** The wanted services not ready, each with why: its error, its exit, what its check last said, or what it waits for. */
  private notReady(): ReadySummary['notReady'] {
    return [...this.services.values()]
      .filter((s) => s.wanted && !s.ready)
      .map((s) => {
        const deps = s.spec.dependsOn.filter((d) => this.services.get(d)?.ready === false);
        const why = s.error ?? (s.lastExit ? describeExit(s.lastExit) : deps.length ? `never started: waiting for ${deps.join(', ')}` : this.notReadyAfter(s));
        return { name: s.spec.name, why };
      });
  }

  private notReadyAfter(svc: Service): string {
    return `not ready after ${Math.round(this.opts.readyTimeoutMs / 100) / 10} s${svc.pendingWhy ? `: ${svc.pendingWhy}` : ''}`;
  }

  /** The start-up's deadline (startupNeedsAll): what is not ready by then fails it. */
  private onStartupDeadline(): void {
    this.cancelStartupDeadline = null;
    if (this.readyAnnounced || this.stopping) return;
    // A gating check still under way fails the start-up as its own deadline would: it names the Redis.
    const gate = [...this.services.values()].find((s) => s.wanted && !s.ready && s.spec.gating && s.probeAbort);
    if (gate) {
      this.endCheck(gate);
      this.onCheckFailed(gate, this.notReadyAfter(gate));
      return;
    }
    this.readyAnnounced = true;
    this.emit('startup-incomplete', { ms: this.clock.now() - this.t0, limitMs: this.opts.readyTimeoutMs, notReady: this.notReady() } satisfies ReadySummary);
    void this.shutdown(1);
  }

  private nextOutcome(svc: Service): Promise<StartOutcome> {
    return new Promise((r) => svc.outcomes.push(r));
  }

  private resolveOutcome(svc: Service, o: StartOutcome): void {
    const waiting = svc.outcomes;
    svc.outcomes = [];
    for (const w of waiting) w(o);
  }

  /** One SIGTERM, wait until the process is gone or its grace is over, then SIGKILL; "stopped" only once it is gone. */
  private stopProcess(svc: Service, graceMs?: number): Promise<void> {
    this.quiet(svc);
    this.resolveOutcome(svc, { ok: false, why: this.overtaken(svc) });
    svc.stop ??= this.stopOnce(svc, graceMs).finally(() => (svc.stop = null));
    return svc.stop;
  }

  private forced(svc: Service): boolean {
    return this.forceLevel >= (svc.spec.stop.keepsData ? 2 : 1);
  }

  /** Resolves when a later shutdown means `svc` is to be killed now. */
  private whenForced(svc: Service): { promise: Promise<void>; cancel: () => void } {
    let wake!: () => void;
    const promise = new Promise<void>((resolve) => {
      wake = () => {
        if (!this.forced(svc)) return;
        this.forceWakers.delete(wake);
        resolve();
      };
    });
    this.forceWakers.add(wake);
    return { promise, cancel: () => this.forceWakers.delete(wake) };
  }

  private async stopOnce(svc: Service, graceOverride?: number): Promise<void> {
    const proc = svc.proc;
    const exit = proc?.running ? proc.exit : null;
    svc.ready = false;
    if (!proc || !exit) {
      // Nothing runs: one waiting for its restart is now stopped; one never started is only held.
      if (svc.state === 'backoff') this.setState(svc, 'stopped');
      else if (svc.state === 'waiting' && svc.spec.process) this.move(svc, 'stopped'); // held before it ran: nothing to tell
      return;
    }
    const graceMs = graceOverride ?? graceOf(svc);
    if (!this.forced(svc)) {
      this.setState(svc, 'stopping', { graceMs, ...(svc.spec.stop.hint ? { hint: svc.spec.stop.hint } : {}) });
      this.keepSayingWaiting();
      await this.termAndWait(svc, proc, exit, graceMs);
    }
    let lost: string | undefined;
    let killed: 'grace' | 'forced' | null = null;
    if (proc.running) {
      lost = (await this.askWork(svc))?.ifKilled;
      proc.kill();
      killed = this.forced(svc) ? 'forced' : 'grace';
    }
    const info = await this.goneAfterKill(exit);
    if (info) this.setState(svc, 'stopped', { exit: info, ...(killed ? { killed } : {}), ...(lost ? { lost } : {}) });
    else this.setState(svc, 'failed', { error: `still alive ${KILL_WAIT_MS / 1000} s after SIGKILL (pid ${proc.pid}); fbench leaves it` });
  }

  /** One SIGTERM, then wait for the exit, the grace's end, or a later stop that forces it. */
  private async termAndWait(svc: Service, proc: SupervisedProcess, exit: Promise<ExitInfo>, graceMs: number): Promise<void> {
    proc.terminate();
    let cancel: () => void = () => {};
    const graceOver = new Promise<void>((r) => (cancel = this.clock.setTimer(graceMs, r)));
    const force = this.whenForced(svc);
    await Promise.race([exit, graceOver, force.promise]);
    cancel();
    force.cancel();
  }

  /**
   * After a SIGKILL: its exit, or null when it is still there after KILL_WAIT_MS. SIGKILL cannot
   * be refused, but a process stuck in the kernel (D state) can outlast it: said rather than hung on.
   */
  private async goneAfterKill(exit: Promise<ExitInfo>): Promise<ExitInfo | null> {
    let cancel: () => void = () => {};
    const stuck = new Promise<null>((r) => (cancel = this.clock.setTimer(KILL_WAIT_MS, () => r(null))));
    const info = await Promise.race([exit, stuck]);
    cancel();
    return info;
  }

  /** What the service says it is doing, if it can say within a moment. */
  private async askWork(svc: Service, withinMs = WORK_ASK_MS): Promise<WorkReport | null> {
    if (!svc.spec.work) return null;
    let cancel: () => void = () => {};
    const late = new Promise<null>((r) => (cancel = this.clock.setTimer(withinMs, () => r(null))));
    try {
      return await Promise.race([svc.spec.work().catch(() => null), late]);
    } finally {
      cancel();
    }
  }

  /** Every second while a stop waits: what for, with what each stopping service says it is doing. */
  private keepSayingWaiting(): void {
    if (this.cancelWaiting) return;
    const tick = async (): Promise<void> => {
      const all = [...this.services.values()];
      const stoppingNow = all.filter((s) => s.state === 'stopping' && s.proc?.running);
      // Shutting down, also what waits for its dependents to go first (a Redis behind its workers).
      const behind = this.stopping ? all.filter((s) => s.state !== 'stopping' && s.proc?.running) : [];
      // Shutting down, also an old process finishing its job after a handover.
      const old = this.stopping ? all.flatMap((s) => s.retiring.filter((r) => r.proc.running).map((r) => ({ name: s.spec.name, doing: r.doing }))) : [];
      if (stoppingNow.length === 0 && behind.length === 0 && old.length === 0) {
        this.cancelWaiting = null;
        return;
      }
      const doing = await Promise.all(stoppingNow.map((s) => this.askWork(s)));
      const left: Waiting[] = [
        ...stoppingNow.map((s, i) => ({
          name: s.spec.name,
          stopping: true,
          ...(doing[i] ? { doing: doing[i]! } : s.spec.stop.hint ? { hint: s.spec.stop.hint } : {}),
        })),
        ...behind.map((s) => ({ name: s.spec.name, stopping: false })),
      ].filter((w) => this.services.get(w.name)?.proc?.running);
      left.push(...old.map((o) => ({ name: `${o.name} (old code)`, stopping: true, doing: o.doing })));
      if (left.length > 0) this.emit('waiting', left, this.stopping !== null);
      this.cancelWaiting = this.clock.setTimer(WAITING_EVERY_MS, () => void tick());
    };
    this.cancelWaiting = this.clock.setTimer(WAITING_EVERY_MS, () => void tick());
  }

  /**
   * The one place a service's state changes: only along the machine's edges (service-state.ts).
   * Another move is refused and told: the state it keeps is the truer one (a late event), and
   * the bench runs on.
   */
  private move(svc: Service, state: ServiceState): boolean {
    if (!canMove(svc.state, state)) {
      this.emit('refused-move', { name: svc.spec.name, from: svc.state, to: state });
      return false;
    }
    svc.state = state;
    return true;
  }

  private setState(svc: Service, state: ServiceState, extra: Omit<StateEvent, 'name' | 'state'> = {}): void {
    if (!this.move(svc, state)) return;
    this.emit('state', { name: svc.spec.name, state, pid: svc.proc?.pid ?? null, ...extra } satisfies StateEvent);
  }
}
