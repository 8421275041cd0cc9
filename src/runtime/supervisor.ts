import { EventEmitter } from 'node:events';
import { backoffDelay, DEFAULT_BACKOFF, nextCrashCount, type BackoffPolicy } from './backoff.js';
import { realClock, type Clock } from './clock.js';
import { lazyBuiltin } from '../util/lazy-builtin.js';
import { describeExit, type ExitInfo, type ProcessFactory, type ProcessSpec, type SupervisedProcess } from './supervised-process.js';

const os = lazyBuiltin<typeof import('node:os')>('node:os'); // for signal numbers, at the end of a run only

/** Resolves when the thing it checks is healthy; rejects with the reason it never will be. */
export type Probe = (signal: AbortSignal) => Promise<void>;

/** A supervised service: a process to run, or only a check (an external Redis). */
export interface ServiceSpec {
  name: string;
  /** Services that must be healthy before this one starts, and that stop only after it. */
  dependsOn: string[];
  process?: ProcessSpec;
  probe?: Probe;
  /** A failed probe stops start-up (Redis); otherwise it is only reported (a web port). */
  gating: boolean;
  /** A crash of a non-critical process never ends the run, even with exitOnCrash. */
  critical: boolean;
  /** Time between SIGTERM and SIGKILL for this one; default the supervisor's grace. */
  graceMs?: number;
  /** Said while fbench waits for it to stop, e.g. "finishing a job?". */
  stoppingHint?: string;
}

export type ServiceState = 'waiting' | 'starting' | 'running' | 'healthy' | 'backoff' | 'exited' | 'stopping' | 'stopped' | 'failed';

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
  /** healthy: ms from this service's own start. */
  elapsedMs?: number;
  /** stopping: how long it gets before SIGKILL, and what it may be doing meanwhile. */
  graceMs?: number;
  hint?: string;
  error?: string;
}

/** A service fbench is still waiting for at shutdown. */
export interface Waiting {
  name: string;
  hint?: string;
}

export interface SupervisorOptions {
  exitOnCrash: boolean;
  graceMs: number;
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
}

interface Service {
  spec: ServiceSpec;
  state: ServiceState;
  proc: SupervisedProcess | null;
  healthy: boolean;
  healthWaiters: (() => void)[];
  probeAbort: AbortController | null;
  crashes: number;
  restarts: number;
  cancelTimer: (() => void) | null;
  /** Bumped on every (re)start, so a stale start sequence can tell it was superseded. */
  generation: number;
  /** Set by a stop: this service stays down until started again. */
  held: boolean;
  /** Its first start-up check has ended (passed, or failed without gating). */
  settled: boolean;
  lastExit: ExitInfo | null;
  /** The stop under way, so two callers (stop NAME, then Ctrl-C) share it. */
  stop: Promise<void> | null;
}

/** How long a SIGKILLed process may take to be gone before fbench gives up on it. */
const KILL_WAIT_MS = 5000;
/** How often shutdown says what it is still waiting for. */
const WAITING_EVERY_MS = 1000;

/**
 * Runs a graph of services: each starts once its dependencies are healthy, is restarted with
 * backoff when it crashes, and stops only after everything that depends on it has stopped.
 * A stop is one SIGTERM, a wait for the process to be gone until its grace runs out, then
 * SIGKILL. Generic: it knows processes, probes and dependencies, nothing about what they are.
 *
 * Events: 'state' (StateEvent), 'ready' (ms), 'startup-failed' (name, error),
 * 'waiting' (Waiting[]) while shutdown waits, 'prompt' (name) when a process stops at a debugger prompt.
 */
export class Supervisor extends EventEmitter {
  private services = new Map<string, Service>();
  private stopping: Promise<number> | null = null;
  private forced = false;
  private forceNow!: () => void;
  private readonly forcedSignal: Promise<void>;
  private finished!: (code: number) => void;
  readonly done: Promise<number>;
  private readonly clock: Clock;
  private readonly t0: number;
  private readyAnnounced = false;
  private readonly backoff: BackoffPolicy;
  private readonly createProcess: ProcessFactory;

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
    this.forcedSignal = new Promise((r) => (this.forceNow = r));
    for (const spec of specs) this.addService(spec);
  }

  /** Start every service; each waits for its own dependencies. */
  start(): void {
    for (const svc of this.services.values()) void this.run(svc);
  }

  status(): ServiceStatus[] {
    return [...this.services.values()].map((s) => ({
      name: s.spec.name,
      state: s.state,
      pid: s.proc?.pid ?? null,
      startedAt: s.proc?.running ? s.proc.startedAt : null,
      restarts: s.restarts,
    }));
  }

  process(name: string): SupervisedProcess | null {
    return this.services.get(name)?.proc ?? null;
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

  /** Stop one service (and keep it down) while the rest run. */
  async stopService(name: string): Promise<void> {
    const svc = this.mustGet(name);
    this.hold(svc);
    await this.stopProcess(svc);
    if (svc.state !== 'stopped') this.setState(svc, 'stopped');
    this.checkAllDone();
  }

  /** Restart one service (or start it when stopped): the new one starts only once the old one is gone. */
  async restartService(name: string): Promise<void> {
    const svc = this.mustGet(name);
    await this.stopService(name);
    if (this.stopping) return;
    svc.crashes = 0;
    svc.restarts++;
    this.launch(name);
  }

  /** Add a service (at construction, or after start for a re-plan); `launch` starts it. */
  addService(spec: ServiceSpec): void {
    if (this.services.has(spec.name)) throw new Error(`duplicate service ${spec.name}`);
    const proc = spec.process ? this.createProcess(spec.process) : null;
    proc?.on('prompt', () => this.emit('prompt', spec.name));
    this.services.set(spec.name, {
      spec,
      state: 'waiting',
      proc,
      healthy: false,
      healthWaiters: [],
      probeAbort: null,
      crashes: 0,
      restarts: 0,
      cancelTimer: null,
      generation: 0,
      held: false,
      settled: false,
      lastExit: null,
      stop: null,
    });
  }

  /** Start a service added after start, or one that is stopped; it waits for its dependencies. */
  launch(name: string): void {
    const svc = this.mustGet(name);
    svc.held = false;
    void this.run(svc);
  }

  /** Stop and forget a service (a re-plan removed it). */
  async removeService(name: string): Promise<void> {
    await this.stopService(name);
    this.services.delete(name);
  }

  /**
   * Stop everything: each service gets its SIGTERM once everything that depends on it is gone,
   * and SIGKILL when its grace runs out. Called again (a second Ctrl-C), it kills what is left
   * at once. Resolves the exit code once every process is gone.
   */
  shutdown(code: number): Promise<number> {
    if (this.stopping) {
      this.forced = true;
      this.forceNow();
      return this.stopping;
    }
    this.stopping = (async () => {
      for (const svc of this.services.values()) this.hold(svc);
      let cancelWaiting: () => void = () => {};
      const sayWaiting = (): void => {
        // What is being stopped first, then what waits for it (a Redis behind its workers).
        const left = [...this.services.values()].filter((s) => s.proc?.running).sort((a, b) => Number(b.state === 'stopping') - Number(a.state === 'stopping'));
        if (left.length > 0)
          this.emit(
            'waiting',
            left.map((s): Waiting => ({ name: s.spec.name, ...(s.spec.stoppingHint && s.state === 'stopping' ? { hint: s.spec.stoppingHint } : {}) })),
          );
        cancelWaiting = this.clock.setTimer(WAITING_EVERY_MS, sayWaiting);
      };
      cancelWaiting = this.clock.setTimer(WAITING_EVERY_MS, sayWaiting);

      const order = new Map<Service, Promise<void>>();
      const inOrder = (svc: Service, path: ReadonlySet<Service>): Promise<void> => {
        let p = order.get(svc);
        if (!p) {
          const deps = this.directDependents(svc.spec.name).filter((d) => !path.has(d)); // a cycle must not deadlock
          const next = new Set(path).add(svc);
          p = Promise.all(deps.map((d) => inOrder(d, next))).then(() => this.stopProcess(svc));
          order.set(svc, p);
        }
        return p;
      };
      await Promise.all([...this.services.values()].map((s) => inOrder(s, new Set())));
      cancelWaiting();
      this.finished(code);
      return code;
    })();
    return this.stopping;
  }

  /** The shell's code for an end by `signal` (128 + its number): fbench's own, as honcho's, and a crashed program's. */
  static signalExitCode(signal: NodeJS.Signals): number {
    return 128 + (os().constants.signals[signal] ?? 0);
  }

  private hold(svc: Service): void {
    svc.held = true;
    svc.generation++;
    svc.cancelTimer?.();
    svc.cancelTimer = null;
    svc.probeAbort?.abort();
  }

  private mustGet(name: string): Service {
    const svc = this.services.get(name);
    if (!svc) throw new Error(`no process named ${name}`);
    return svc;
  }

  private directDependents(name: string): Service[] {
    return [...this.services.values()].filter((s) => s.spec.dependsOn.includes(name));
  }

  /** One SIGTERM, wait until the process is gone or its grace is over, then SIGKILL; "stopped" only once it is gone. */
  private stopProcess(svc: Service): Promise<void> {
    svc.stop ??= this.stopOnce(svc).finally(() => (svc.stop = null));
    return svc.stop;
  }

  private async stopOnce(svc: Service): Promise<void> {
    const proc = svc.proc;
    const exit = proc?.running ? proc.exit : null;
    if (!proc || !exit) {
      // Nothing runs: a crashed one waiting for its restart is now stopped; one never started is only held.
      if (svc.state === 'backoff') this.setState(svc, 'stopped');
      else if (svc.state === 'waiting' && svc.spec.process) svc.state = 'stopped';
      return;
    }
    const graceMs = svc.spec.graceMs ?? this.opts.graceMs;
    if (!this.forced) {
      this.setState(svc, 'stopping', { graceMs, ...(svc.spec.stoppingHint ? { hint: svc.spec.stoppingHint } : {}) });
      proc.terminate();
      let cancel: () => void = () => {};
      const graceOver = new Promise<void>((r) => (cancel = this.clock.setTimer(graceMs, r)));
      await Promise.race([exit, graceOver, this.forcedSignal]);
      cancel();
    }
    if (proc.running) proc.kill();
    // SIGKILL cannot be refused, but a process stuck in the kernel (D state) can outlast it: say so rather than hang.
    let cancel: () => void = () => {};
    const stuck = new Promise<null>((r) => (cancel = this.clock.setTimer(KILL_WAIT_MS, () => r(null))));
    const info = await Promise.race([exit, stuck]);
    cancel();
    svc.healthy = false;
    if (info) this.setState(svc, 'stopped', { exit: info });
    else this.setState(svc, 'failed', { error: `still alive ${KILL_WAIT_MS / 1000} s after SIGKILL (pid ${proc.pid}); fbench leaves it` });
  }

  private async run(svc: Service): Promise<void> {
    const generation = ++svc.generation;
    const current = (): boolean => generation === svc.generation && !this.stopping;
    svc.lastExit = null;
    this.setState(svc, 'waiting');
    await Promise.all(svc.spec.dependsOn.map((d) => this.whenHealthy(d)));
    if (!current()) return;

    const startedAt = this.clock.now();
    if (svc.proc) {
      this.setState(svc, 'starting');
      void svc.proc.spawn().then((info) => this.onExit(svc, generation, info));
      // The services started in the same round spawn before this one is reported and checked:
      // the last of them starts sooner, and nothing is waited for meanwhile.
      await null;
      if (!current()) return;
      this.setState(svc, 'running', svc.proc.adopted ? { adopted: true } : {});
    }
    if (!svc.spec.probe) {
      this.markHealthy(svc, startedAt);
      return;
    }
    const abort = new AbortController();
    svc.probeAbort = abort;
    try {
      await svc.spec.probe(abort.signal);
      if (current()) this.markHealthy(svc, startedAt);
    } catch (err) {
      if (!current()) return;
      const why = svc.lastExit ? `exited during start-up (${describeExit(svc.lastExit)})` : (err as Error).message;
      svc.settled = true;
      if (!svc.spec.gating) {
        this.emit('state', { name: svc.spec.name, state: svc.state, error: why } satisfies StateEvent);
        this.announceReadyIfAllSettled();
        return;
      }
      this.setState(svc, 'failed', { error: why });
      this.emit('startup-failed', svc.spec.name, why);
      if (!this.readyAnnounced) void this.shutdown(1);
    } finally {
      if (svc.probeAbort === abort) svc.probeAbort = null;
    }
  }

  private onExit(svc: Service, generation: number, info: ExitInfo): void {
    svc.healthy = false;
    svc.lastExit = info;
    if (this.stopping || generation !== svc.generation || svc.held) return;
    // Died while its start-up check ran: the probe reports it at once, with the exit.
    if (svc.probeAbort && svc.spec.gating && !this.readyAnnounced) {
      svc.probeAbort.abort();
      return;
    }
    if (this.opts.exitOnCrash && svc.spec.critical && info.code !== 0) {
      this.setState(svc, 'exited', { exit: info });
      void this.shutdown(info.code ?? (info.signal ? Supervisor.signalExitCode(info.signal) : 128));
      return;
    }
    if (info.code === 0) {
      this.setState(svc, 'exited', { exit: info });
      this.checkAllDone();
      return;
    }
    svc.crashes = nextCrashCount(svc.crashes, info.ranForMs, this.backoff);
    const delayMs = backoffDelay(svc.crashes, this.backoff);
    this.setState(svc, 'backoff', { exit: info, delayMs, crashes: svc.crashes });
    svc.cancelTimer = this.clock.setTimer(delayMs, () => {
      svc.cancelTimer = null;
      svc.restarts++;
      void this.run(svc);
    });
  }

  private checkAllDone(): void {
    if (this.stopping) return;
    const all = [...this.services.values()];
    const settled = all.every((s) => !s.proc || s.state === 'exited' || s.state === 'stopped');
    if (settled && all.some((s) => s.state === 'exited')) void this.shutdown(0);
  }

  private markHealthy(svc: Service, startedAt: number): void {
    svc.healthy = true;
    svc.settled = true;
    this.setState(svc, 'healthy', { elapsedMs: this.clock.now() - startedAt });
    const waiters = svc.healthWaiters;
    svc.healthWaiters = [];
    waiters.forEach((w) => w());
    this.announceReadyIfAllSettled();
  }

  /** Ready: every service has started and its check has passed (or, for a report-only check, ended). */
  private announceReadyIfAllSettled(): void {
    if (this.readyAnnounced || this.stopping) return;
    if (![...this.services.values()].every((s) => s.settled)) return;
    this.readyAnnounced = true;
    this.emit('ready', this.clock.now() - this.t0);
  }

  private whenHealthy(name: string): Promise<void> {
    const svc = this.services.get(name);
    if (!svc || svc.healthy) return Promise.resolve();
    return new Promise((r) => svc.healthWaiters.push(r));
  }

  private setState(svc: Service, state: ServiceState, extra: Omit<StateEvent, 'name' | 'state'> = {}): void {
    svc.state = state;
    this.emit('state', { name: svc.spec.name, state, pid: svc.proc?.pid ?? null, ...extra } satisfies StateEvent);
  }
}
