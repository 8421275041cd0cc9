import os from 'node:os';
import { EventEmitter } from 'node:events';
import type { Printer } from '../output/printer.js';
import { backoffDelay, DEFAULT_BACKOFF, nextCrashCount, type BackoffPolicy } from './backoff.js';
import { ManagedProcess, type ExitInfo, type ProcessSpec } from './managed-process.js';
import { pidAlive } from './process-group.js';
import { Watchdog } from './watchdog.js';

/** Resolves when the thing it checks is healthy; rejects with the reason it never will be. */
export type Probe = (signal: AbortSignal) => Promise<void>;

export interface NodeSpec {
  name: string;
  /** Names of nodes that must be healthy before this one starts. */
  dependsOn: string[];
  /** What to run; absent for a service fbench only checks (external, or adopted). */
  process?: ProcessSpec;
  probe?: Probe;
  /** A failed probe stops start-up (Redis); otherwise it is only reported (a web port). */
  gating: boolean;
  /** A crash of a non-critical process never ends the run, even with exitOnCrash. */
  critical: boolean;
  /** A running process fbench found and took over instead of starting (stopped with the rest). */
  adoptedPid?: number;
}

export type NodeState = 'waiting' | 'starting' | 'running' | 'healthy' | 'backoff' | 'exited' | 'stopping' | 'stopped' | 'failed';

export interface StateEvent {
  name: string;
  state: NodeState;
  pid?: number | null;
  exit?: ExitInfo;
  /** backoff: the delay before the next start, and the crash count. */
  delayMs?: number;
  crashes?: number;
  /** healthy: ms from the start of the run. */
  elapsedMs?: number;
  error?: string;
}

export interface SupervisorOptions {
  exitOnCrash: boolean;
  graceMs: number;
  backoff?: BackoffPolicy;
}

export interface NodeStatus {
  name: string;
  state: NodeState;
  pid: number | null;
  startedAt: number | null;
  restarts: number;
}

interface Node {
  spec: NodeSpec;
  state: NodeState;
  proc: ManagedProcess | null;
  healthy: boolean;
  healthWaiters: (() => void)[];
  probeAbort: AbortController | null;
  crashes: number;
  restarts: number;
  timer: NodeJS.Timeout | null;
  /** Bumped on every (re)start, so a stale start sequence can tell it was superseded. */
  generation: number;
  /** Set by stop(): this node stays down until started again. */
  held: boolean;
  /** Its first start-up check has ended (passed, or failed without gating). */
  settled: boolean;
  lastExit: ExitInfo | null;
}

const SIGNAL_EXIT: Partial<Record<NodeJS.Signals, number>> = { SIGHUP: 129, SIGINT: 130, SIGTERM: 143 };

/**
 * Runs a graph of nodes: each starts once its dependencies are healthy, is restarted with
 * backoff when it crashes, and everything stops in reverse dependency order. Generic: it
 * knows processes, probes and dependencies, nothing about what they are.
 *
 * Events: 'state' (StateEvent), 'ready' (ms), 'startup-failed' (name, error).
 */
export class Supervisor extends EventEmitter {
  private nodes = new Map<string, Node>();
  private watchdog = new Watchdog();
  private stopping: Promise<number> | null = null;
  private forceKill: (() => void) | null = null;
  private finished!: (code: number) => void;
  readonly done: Promise<number>;
  private readonly t0 = Date.now();
  private readyAnnounced = false;
  private readonly backoff: BackoffPolicy;

  constructor(
    specs: readonly NodeSpec[],
    private readonly printer: Printer,
    private readonly opts: SupervisorOptions,
  ) {
    super();
    this.backoff = opts.backoff ?? DEFAULT_BACKOFF;
    this.done = new Promise((r) => (this.finished = r));
    for (const spec of specs) this.addNode(spec);
  }

  /** Start every node; each waits for its own dependencies. */
  start(): void {
    for (const node of this.nodes.values()) void this.run(node);
  }

  status(): NodeStatus[] {
    return [...this.nodes.values()].map((n) => ({
      name: n.spec.name,
      state: n.state,
      pid: n.proc?.pid ?? n.spec.adoptedPid ?? null,
      startedAt: n.proc?.running ? n.proc.startedAt : null,
      restarts: n.restarts,
    }));
  }

  process(name: string): ManagedProcess | null {
    return this.nodes.get(name)?.proc ?? null;
  }

  /** Nodes that depend on `name`, directly or not. */
  dependents(name: string): string[] {
    const out = new Set<string>();
    const visit = (n: string): void => {
      for (const node of this.nodes.values()) {
        if (node.spec.dependsOn.includes(n) && !out.has(node.spec.name)) {
          out.add(node.spec.name);
          visit(node.spec.name);
        }
      }
    };
    visit(name);
    return [...out];
  }

  /** Stop one node (and keep it down) while the rest run. */
  async stopNode(name: string): Promise<void> {
    const node = this.mustGet(name);
    node.held = true;
    node.generation++;
    if (node.timer) clearTimeout(node.timer);
    node.timer = null;
    node.probeAbort?.abort();
    await this.terminate([node], Date.now() + this.opts.graceMs);
    if (node.state !== 'stopped') this.setState(node, 'stopped');
    this.checkAllDone();
  }

  /** Restart one node (or start it when stopped); dependents keep running. */
  async restartNode(name: string): Promise<void> {
    const node = this.mustGet(name);
    await this.stopNode(name);
    node.crashes = 0;
    node.restarts++;
    this.launch(name);
  }

  /** Add a node (at construction, or after start for a re-plan); `launch` starts it. */
  addNode(spec: NodeSpec): void {
    if (this.nodes.has(spec.name)) throw new Error(`duplicate node ${spec.name}`);
    const proc = spec.process ? new ManagedProcess(spec.process, this.printer, this.watchdog) : null;
    this.nodes.set(spec.name, { spec, state: 'waiting', proc, healthy: false, healthWaiters: [], probeAbort: null, crashes: 0, restarts: 0, timer: null, generation: 0, held: false, settled: false, lastExit: null });
  }

  /** Start a node added after start, or one that is stopped; it waits for its dependencies. */
  launch(name: string): void {
    const node = this.mustGet(name);
    node.held = false;
    void this.run(node);
  }

  /** Stop and forget a node (a re-plan removed it). */
  async removeNode(name: string): Promise<void> {
    await this.stopNode(name);
    this.nodes.delete(name);
  }

  /**
   * Stop everything: SIGTERM by dependency level (dependents before what they need), SIGKILL
   * what is left at the grace deadline or at once after a second call. Resolves the exit code.
   */
  shutdown(code: number): Promise<number> {
    if (this.stopping) {
      this.forceKill?.();
      return this.stopping;
    }
    this.stopping = (async () => {
      const deadline = Date.now() + this.opts.graceMs;
      let forced = false;
      const forcedNow = new Promise<void>((r) => (this.forceKill = () => ((forced = true), r())));
      for (const n of this.nodes.values()) {
        n.generation++;
        n.held = true;
        if (n.timer) clearTimeout(n.timer);
        n.probeAbort?.abort();
      }
      for (const level of this.levelsTopDown()) {
        if (forced) break;
        await Promise.race([this.terminate(level, deadline), forcedNow]);
      }
      for (const n of this.nodes.values()) {
        n.proc?.signal('SIGKILL');
        if (n.spec.adoptedPid && pidAlive(n.spec.adoptedPid)) process.kill(n.spec.adoptedPid, 'SIGKILL');
      }
      await Promise.all([...this.nodes.values()].map((n) => n.proc?.exit));
      this.watchdog.close();
      this.printer.flush();
      this.finished(code);
      return code;
    })();
    return this.stopping;
  }

  /** Exit code for a shutdown caused by a signal to fbench, as honcho reports it. */
  static signalExitCode(signal: NodeJS.Signals): number {
    return SIGNAL_EXIT[signal] ?? 1;
  }

  private mustGet(name: string): Node {
    const node = this.nodes.get(name);
    if (!node) throw new Error(`no process named ${name}`);
    return node;
  }

  private async run(node: Node): Promise<void> {
    const generation = ++node.generation;
    const current = (): boolean => generation === node.generation && !this.stopping;
    node.lastExit = null;
    this.setState(node, 'waiting');
    await Promise.all(node.spec.dependsOn.map((d) => this.whenHealthy(d)));
    if (!current()) return;

    if (node.proc) {
      this.setState(node, 'starting');
      void node.proc.spawn().then((info) => this.onExit(node, generation, info));
      this.setState(node, 'running');
    }
    if (!node.spec.probe) {
      this.markHealthy(node);
      return;
    }
    const abort = new AbortController();
    node.probeAbort = abort;
    try {
      await node.spec.probe(abort.signal);
      if (current()) this.markHealthy(node);
    } catch (err) {
      if (!current()) return;
      const why = node.lastExit ? `exited during start-up (${describeExit(node.lastExit)})` : (err as Error).message;
      node.settled = true;
      if (!node.spec.gating) {
        this.emit('state', { name: node.spec.name, state: node.state, error: why } satisfies StateEvent);
        this.announceReadyIfAllSettled();
        return;
      }
      this.setState(node, 'failed', { error: why });
      this.emit('startup-failed', node.spec.name, why);
      if (!this.readyAnnounced) void this.shutdown(1);
    } finally {
      if (node.probeAbort === abort) node.probeAbort = null;
    }
  }

  private onExit(node: Node, generation: number, info: ExitInfo): void {
    node.healthy = false;
    node.lastExit = info;
    if (this.stopping || generation !== node.generation || node.held) return;
    // Died while its start-up check ran: the probe reports it at once, with the exit.
    if (node.probeAbort && node.spec.gating && !this.readyAnnounced) {
      node.probeAbort.abort();
      return;
    }
    if (this.opts.exitOnCrash && node.spec.critical && info.code !== 0) {
      this.setState(node, 'exited', { exit: info });
      void this.shutdown(info.code ?? 128 + (info.signal ? os.constants.signals[info.signal] : 0));
      return;
    }
    if (info.code === 0) {
      this.setState(node, 'exited', { exit: info });
      this.checkAllDone();
      return;
    }
    node.crashes = nextCrashCount(node.crashes, info.ranForMs, this.backoff);
    const delayMs = backoffDelay(node.crashes, this.backoff);
    this.setState(node, 'backoff', { exit: info, delayMs, crashes: node.crashes });
    node.timer = setTimeout(() => {
      node.timer = null;
      node.restarts++;
      void this.run(node);
    }, delayMs);
  }

  private checkAllDone(): void {
    if (this.stopping) return;
    const settled = [...this.nodes.values()].every((n) => !n.proc || n.state === 'exited' || n.state === 'stopped');
    const anyExited = [...this.nodes.values()].some((n) => n.state === 'exited');
    if (settled && anyExited) void this.shutdown(0);
  }

  private markHealthy(node: Node): void {
    node.healthy = true;
    node.settled = true;
    this.setState(node, 'healthy', { elapsedMs: Date.now() - this.t0 });
    const waiters = node.healthWaiters;
    node.healthWaiters = [];
    waiters.forEach((w) => w());
    this.announceReadyIfAllSettled();
  }

  /** Ready: every node has started and its check has passed (or, for a report-only check, ended). */
  private announceReadyIfAllSettled(): void {
    if (this.readyAnnounced || this.stopping) return;
    if (![...this.nodes.values()].every((n) => n.settled)) return;
    this.readyAnnounced = true;
    this.emit('ready', Date.now() - this.t0);
  }

  private whenHealthy(name: string): Promise<void> {
    const node = this.nodes.get(name);
    if (!node || node.healthy) return Promise.resolve();
    return new Promise((r) => node.healthWaiters.push(r));
  }

  /** SIGTERM the nodes' groups (or adopted pids) and wait for them until the deadline. */
  private async terminate(nodes: readonly Node[], deadline: number): Promise<void> {
    const waits: Promise<unknown>[] = [];
    for (const n of nodes) {
      if (n.proc?.running) {
        this.setState(n, 'stopping');
        n.proc.signal('SIGTERM');
        const exit = n.proc.exit;
        if (exit) waits.push(exit);
      } else if (n.spec.adoptedPid && pidAlive(n.spec.adoptedPid)) {
        process.kill(n.spec.adoptedPid, 'SIGTERM');
        waits.push(waitPidGone(n.spec.adoptedPid, deadline));
      }
    }
    const timeout = new Promise<void>((r) => setTimeout(r, Math.max(0, deadline - Date.now())).unref());
    await Promise.race([Promise.all(waits), timeout]);
    for (const n of nodes) {
      if (n.proc?.running) {
        n.proc.signal('SIGKILL');
        await n.proc.exit;
      }
      if (n.state === 'stopping' || n.state === 'healthy' || n.state === 'running') this.setState(n, 'stopped');
    }
  }

  /** Nodes grouped by dependency depth, deepest (most dependent) first. */
  private levelsTopDown(): Node[][] {
    const depth = new Map<string, number>();
    const depthOf = (name: string, seen: Set<string>): number => {
      const known = depth.get(name);
      if (known !== undefined) return known;
      const node = this.nodes.get(name);
      if (!node || seen.has(name)) return 0;
      seen.add(name);
      const d = node.spec.dependsOn.length === 0 ? 0 : 1 + Math.max(...node.spec.dependsOn.map((x) => depthOf(x, seen)));
      depth.set(name, d);
      return d;
    };
    const levels: Node[][] = [];
    for (const node of this.nodes.values()) (levels[depthOf(node.spec.name, new Set())] ??= []).push(node);
    return levels.filter(Boolean).reverse();
  }

  private setState(node: Node, state: NodeState, extra: Omit<StateEvent, 'name' | 'state'> = {}): void {
    node.state = state;
    this.emit('state', { name: node.spec.name, state, pid: node.proc?.pid ?? node.spec.adoptedPid ?? null, ...extra } satisfies StateEvent);
  }
}

export function describeExit(info: ExitInfo): string {
  return info.signal ? `killed by ${info.signal}` : `exit code ${info.code}`;
}

async function waitPidGone(pid: number, deadline: number): Promise<void> {
  while (pidAlive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
}
