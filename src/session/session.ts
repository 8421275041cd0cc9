import { execFile } from 'node:child_process';
import { hostname } from 'node:os';
import path from 'node:path';
import { isatty } from 'node:tty';
import { FbenchError, formatWarning } from '../errors.js';
import { registeredWorkers, type QueueStats } from '../frappe/rq.js';
import { colorEnv, dumbTerminal, useColor } from '../output/colors.js';
import { LogFile } from '../output/log-file.js';
import { Printer, sinkFor, SYSTEM, type Sink } from '../output/printer.js';
import type { PlanDiff } from '../plan/diff.js';
import type { Plan, PlanProcess } from '../plan/types.js';
import type { BenchModel } from '../frappe/bench-model.js';
import { LogFiles } from '../runtime/log-files.js';
import { LogRing } from '../runtime/log-ring.js';
import { acquirePidFile, removePidFile } from '../runtime/pidfile.js';
import { realProcesses } from '../runtime/process-factory.js';
import type { ProcessFactory } from '../runtime/supervised-process.js';
import { Supervisor, type ServiceSpec } from '../runtime/supervisor.js';
import { liveWatchdog, Watchdog } from '../runtime/watchdog.js';
import { delay, realClock, type Clock } from '../util/clock.js';
import { openFilesLimit } from '../util/process-facts.js';
import { CodeReload } from './code-reload.js';
import { SessionControl, type ControlledSession } from './control.js';
import { PromptTracker, TypedInput } from './debug-input.js';
import { LogTails } from './log-tails.js';
import { benchQueueStats, withQueueRedis } from './queue-redis.js';
import { listFailed, showJob } from './jobs.js';
import type { FailedJobDetail } from '../frappe/rq-jobs.js';
import type { Planned } from './planning.js';
import { fileBudget, foreignCodeWarning, preflight } from './preflight.js';
import { siteUrl } from '../frappe/bench-model.js';
import { debugCommand } from '../frappe/debug-command.js';
import { overcommitAdvice } from '../frappe/redis-log.js';
import { portListened } from '../health/port-holder.js';
import { runSpec } from '../plan/build.js';
import { freePort } from '../util/free-port.js';
import { redisProcesses } from '../plan/lookup.js';
import { SessionEntry } from './registry.js';
import { Replanner } from './replanner.js';
import { ErrorLog } from './error-log.js';
import type { ErrorsReport } from './control-protocol.js';
import { failedJobDetails, jobEntry } from './errors.js';
import { Reporter } from './reporter.js';
import { RunnerPids } from './runner-pids.js';
import { ServiceBuilder, type ServiceChoices } from './services.js';
import { sessionCommand, sessionFiles, shortSocketPath, type SessionKind } from './session-files.js';
import type { StartupTasks } from './startup-tasks.js';
import { UsageSampler } from './usage.js';

/** How the processes run and are supervised, as the command line says. */
export interface SupervisionChoices {
  exitOnCrash: boolean;
  /** --grace (or FBENCH_GRACE): every process's stop grace, in seconds; default each role's own. */
  graceS?: number;
  readyTimeoutS: number;
  quiet?: string[];
  stdinNull?: string[];
  /** Roles restarted when Python code changes, or false (--no-reload). */
  reload: string[] | false;
  /** --reload-wait: a busy worker is stopped (its job finished) before its new one starts, as before handovers. */
  reloadWait?: boolean;
  /** --poll / --no-poll: code reload polls apps/, or never does; by default where the mount table says inotify is blind. */
  poll?: boolean;
  followLogs: boolean;
  /** A task list of the start-up on a terminal. */
  tasks: boolean;
  /** FBENCH_MAX_WATCHES: at most this many file watches (to try a system that refuses them). */
  maxWatches?: number;
  /** `start --ui`: the full-screen view instead of the stream; leaving it stops the session. */
  ui?: boolean;
}

/** The full-screen view of a session's control socket (`fbench ui`), run until it is left. */
export type View = (socket: string) => Promise<void>;

/** How the stream looks. */
export interface OutputChoices {
  prefix: boolean;
  timestamps: boolean;
  /** false with --no-color. */
  color?: boolean;
}

/** The seams a unit test replaces: how processes are made, time, where output goes, the terminal. */
export interface SessionSeams {
  createProcess?: ProcessFactory;
  clock?: Clock;
  stdout?: Sink;
  terminal?: { isTTY: boolean; rows: number; stdinTTY: boolean };
}

export interface SessionConfig {
  kind: SessionKind;
  planned: Planned;
  /** Planning again from the same request, and the files whose edits change the plan. */
  replan?: { build: () => Promise<Planned>; files: string[] };
  supervision: SupervisionChoices;
  output: OutputChoices;
  env: Readonly<Record<string, string | undefined>>;
  /** With `run.ui`: the view shown in place of the stream. */
  view?: View;
  seams?: SessionSeams;
}

/** A second signal this soon after the first is the same keypress delivered twice (`timeout -s INT`, a signalled group). */
const SAME_SIGNAL_MS = 250;
/** The session's own log (logs/fbench.log) is begun again past this size, the previous one kept as fbench.log.1. */
const SESSION_LOG_BYTES = 8 * 1024 * 1024;

/**
 * One running bench (`fbench start`, `fbench workers`): built once from one config, it owns
 * everything that lives as long as it does — the pid file, the control socket, the supervisor
 * and its processes, the watchdog, the stream and the session log, the start-up task list,
 * typed input to a debugger, followed log files, code reload and re-planning — and stops it
 * all the one faithful way, whatever ends it: Ctrl-C, SIGTERM, SIGHUP at any moment,
 * `fbench stop`, the last process finishing, or a bug of fbench's own.
 */
export class Session implements ControlledSession {
  readonly kind: SessionKind;
  // Unique with the pid; not a secret (crypto would cost its load at every start).
  readonly id = `${process.pid}.${Math.floor(Math.random() * 0xffffff)
    .toString(16)
    .padStart(6, '0')}`;
  readonly clock: Clock;
  readonly startedAt: number;
  readonly systemRing: LogRing;
  readonly printer: Printer;
  readonly usage: UsageSampler;
  readonly ended: Promise<number>;
  private endedWith!: (code: number) => void;
  private planned: Planned;
  private sup: Supervisor | null = null;
  private tracker: PromptTracker | null = null;
  private readonly files: ReturnType<typeof sessionFiles>;
  private readonly control: SessionControl;
  private readonly entry: SessionEntry;
  private readonly sessionLog: LogFile;
  private readonly builder: ServiceBuilder;
  private readonly choices: ServiceChoices;
  private readonly terminal: { isTTY: boolean; rows: number; stdinTTY: boolean };
  private readonly tails: LogTails;
  /** What went wrong while it runs (fbench errors). */
  readonly errorLog: ErrorLog;
  /** On a bench.toml bench: fbench is the bench CLI's runner (pids/bench.pid, pids/<name>.pid). */
  private readonly runner: RunnerPids | null;
  /** Processes restarted under debugpy (fbench debug), with its port. */
  private readonly debugPorts = new Map<string, number>();
  private reload: CodeReload | null = null;
  private replanner: Replanner | null = null;
  private live: Promise<void> = Promise.resolve();
  private signals: { at: number; signal: NodeJS.Signals }[] = [];
  /** A stop request is being taken: a signal now is its echo (see onSignal). */
  private signalBusy = false;
  private signalQuietUntil: number | null = null;
  /** A signal that came before anything ran: start-up ends there. */
  private abortedBy: NodeJS.Signals | null = null;
  private fatal = false;

  constructor(private readonly config: SessionConfig) {
    this.kind = config.kind;
    this.planned = config.planned;
    this.clock = config.seams?.clock ?? realClock;
    this.startedAt = this.clock.now();
    this.systemRing = new LogRing(undefined, this.clock);
    this.terminal = config.seams?.terminal ?? {
      isTTY: process.stdout.isTTY === true,
      rows: process.stdout.rows ?? 24,
      // isatty, not process.stdin.isTTY: that getter builds a stdin stream, unused unless it is a terminal.
      stdinTTY: isatty(0),
    };
    this.ended = new Promise((r) => (this.endedWith = r));
    const bench = this.plan().bench;
    this.files = sessionFiles(bench, this.kind);
    const color = useColor(this.terminal.isTTY, config.env, config.output.color) && config.supervision.ui !== true;
    this.sessionLog = new LogFile(path.join(bench, 'logs', 'fbench.log'), {
      append: true,
      maxBytes: SESSION_LOG_BYTES,
      onFailure: (m) => this.printer.warn(m),
    });
    const plan = this.plan();
    this.printer = new Printer(config.supervision.ui ? discard : (config.seams?.stdout ?? sinkFor(process.stdout)), {
      prefix: config.output.prefix,
      timestamps: config.output.timestamps,
      color,
      names: plan.processes.map((p) => p.name), // an external service writes no lines
      log: this.sessionLog,
      clock: this.clock,
    });
    this.printer.on('system', (text: string) => this.systemRing.push(Buffer.from(`${text}\n`)));
    this.usage = new UsageSampler(() => this.sup, this.clock);
    this.control = new SessionControl({ socket: shortSocketPath(bench, this.kind), pointer: this.files.socket }, this);
    this.entry = new SessionEntry({ kind: this.kind, bench, startedAt: this.clock.now(), socket: this.files.socket, ports: this.ports() });
    this.builder = new ServiceBuilder({
      membersOf: (name) => this.sup?.process(name)?.members() ?? [],
      clock: this.clock,
      naming: this.planned.model.queues,
      onLoading: (name) => this.printer.system(`${name} is loading its data (LOADING); waiting`),
    });
    this.choices = {
      ...(config.supervision.graceS !== undefined ? { graceS: config.supervision.graceS } : {}),
      ...(config.supervision.quiet ? { quiet: config.supervision.quiet } : {}),
      ...(config.supervision.stdinNull ? { stdinNull: config.supervision.stdinNull } : {}),
      ...(config.supervision.reloadWait ? { stopFirst: true } : {}),
      env: colorEnv(color, config.env),
    };
    this.tails = new LogTails(this, config.supervision.followLogs);
    this.errorLog = new ErrorLog({
      plan: () => this.plan(),
      clock: this.clock,
      site: () => (this.planned.model.sites.length === 1 ? this.planned.model.sites[0]!.name : null),
    });
    const runnerPids = this.planned.model.layout.runnerPids;
    this.runner = this.kind === 'start' && runnerPids ? new RunnerPids(runnerPids, this) : null;
  }

  plan(): Plan {
    return this.planned.plan;
  }

  model(): BenchModel {
    return this.planned.model;
  }

  supervisor(): Supervisor | null {
    return this.sup;
  }

  prompts(): PromptTracker | null {
    return this.tracker;
  }

  /** The ports the session's processes listen on. */
  ports(): { name: string; port: number }[] {
    return this.plan().processes.flatMap((p) => (p.port !== null ? [{ name: p.name, port: p.port }] : []));
  }

  /** The pids RQ lists as workers on this host now (`rq:workers`), or null when the queue Redis does not answer. */
  registeredPids(): Promise<Set<number> | null> {
    // Asked by every ps at once (twenty clients): one look at rq:workers serves those that come meanwhile.
    this.registering ??= (async () => {
      const host = hostname();
      const workers = await withQueueRedis(this.planned.model, registeredWorkers).catch(() => null);
      return workers && new Set(workers.filter((w) => w.hostname === host && w.pid !== null).map((w) => w.pid!));
    })().finally(() => (this.registering = null));
    return this.registering;
  }
  private registering: Promise<Set<number> | null> | null = null;

  async queueStats(): Promise<QueueStats[]> {
    const { model } = this.planned;
    return withQueueRedis(model, (client) => benchQueueStats(client, model, this.clock.now()));
  }

  stop(why: string): void {
    this.runner?.stopping();
    this.printer.system(why);
    void this.sup?.shutdown(0);
    if (!this.sup) this.abortedBy ??= 'SIGTERM';
  }

  /** Run the session to its end; resolves its exit code. */
  async untilEnd(): Promise<number> {
    const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
    for (const s of signals) process.on(s, this.onSignal);
    process.on('uncaughtException', this.onFatal);
    process.on('unhandledRejection', this.onFatal);
    let code = 1;
    try {
      this.takePidFile();
      try {
        this.control.start();
        this.entry.start();
        this.sessionLog.open();
        this.printer.lines(SYSTEM, Buffer.from(`---- ${sessionCommand(this.kind)} (pid ${process.pid}) for ${this.plan().bench}\n`), {
          terminal: false,
          log: true,
        });
        code = await this.supervise();
        return code;
      } finally {
        this.endedWith(code);
        this.control.close(code);
        this.entry.close();
        this.printer.flush();
        this.sessionLog.close();
        this.runner?.close();
        this.errorLog.close();
        removePidFile(this.files.pid, process.pid);
      }
    } finally {
      for (const s of signals) process.off(s, this.onSignal);
      process.off('uncaughtException', this.onFatal);
      process.off('unhandledRejection', this.onFatal);
    }
  }

  /** First of all: one session of this kind per bench, decided atomically. */
  private takePidFile(): void {
    const bench = this.plan().bench;
    let holder: number | null;
    try {
      holder = acquirePidFile(this.files.pid, process.pid, true);
    } catch (err) {
      throw new FbenchError(
        `${path.relative(bench, this.files.pid)}: cannot be written (${(err as { why?: string }).why ?? (err as NodeJS.ErrnoException).code ?? (err as Error).message})`,
        `make ${path.relative(bench, path.dirname(this.files.pid))} writable for this user; nothing was started`,
      );
    }
    if (holder !== null) {
      throw new FbenchError(
        `${sessionCommand(this.kind)} is already running for this bench (pid ${holder})`,
        'stop it first: `fbench stop` (or Ctrl-C in its terminal)',
      );
    }
    try {
      this.runner?.claim();
    } catch (err) {
      removePidFile(this.files.pid, process.pid);
      throw err;
    }
  }

  private async supervise(): Promise<number> {
    // The session lives until its processes are gone: the clock's timers keep nothing alive,
    // and a process taken over (a leftover Redis) is not a child whose handle would.
    const alive = setInterval(() => {}, 2 ** 30);
    try {
      return await this.superviseAlive();
    } finally {
      clearInterval(alive);
    }
  }

  private async superviseAlive(): Promise<number> {
    const { plan, model } = this.planned;
    await this.earlierCleanup();
    if (this.abortedBy) return Supervisor.signalExitCode(this.abortedBy);
    const adopted = await preflight(plan);
    const specs = this.builder.build(plan, model, { ...this.choices, adopted }); // a bad --quiet name stops here, before anything runs
    if (this.abortedBy) return Supervisor.signalExitCode(this.abortedBy);

    for (const w of plan.warnings) this.printer.warn(formatWarning(w));
    const foreign = foreignCodeWarning(plan);
    if (foreign) this.printer.warn(foreign);
    const budget = fileBudget(plan, openFilesLimit());
    if (budget) this.printer.warn(`${budget.problem} → ${budget.fix}`);
    const overcommit = redisProcesses(plan).length ? overcommitAdvice() : null;
    if (overcommit) this.printer.warn(overcommit);
    for (const [name, { pid }] of adopted)
      this.printer.system(`${name}: this bench's Redis is already running (pid ${pid}, left by an earlier run); using it instead of starting another`);

    const watchdog = new Watchdog(this.id, this.files.watchdog);
    const logFiles = new LogFiles((m) => this.printer.warn(m));
    const sup = new Supervisor(
      specs,
      { exitOnCrash: this.config.supervision.exitOnCrash, readyTimeoutMs: this.config.supervision.readyTimeoutS * 1000, startupNeedsAll: true },
      {
        createProcess:
          this.config.seams?.createProcess ?? realProcesses({ printer: this.printer, registry: watchdog, logFiles, session: this.id, clock: this.clock }),
        clock: this.clock,
      },
    );
    this.sup = sup;
    const tracker = new PromptTracker(sup);
    this.tracker = tracker;
    const showTasks = this.config.supervision.tasks && this.terminal.isTTY && !dumbTerminal(this.config.env) && !this.config.supervision.ui;
    const reporter = new Reporter(sup, this.printer, {
      plan: () => this.plan(),
      site: () => siteUrl(this.planned.model),
      quietStartup: showTasks,
      clock: this.clock,
    });
    const tasks: StartupTasks | null = showTasks
      ? new (await import('./startup-tasks.js')).StartupTasks(sup, this.printer, plan, { screenRows: this.terminal.rows, clock: this.clock })
      : null;
    const typed = this.terminal.stdinTTY && !this.config.supervision.ui ? new TypedInput(tracker, this.printer, process.stdin, this.clock) : null;
    const parts = [tracker, reporter, ...(tasks ? [tasks] : []), ...(typed ? [typed] : []), this.tails];
    for (const p of parts) p.start();
    this.runner?.start(sup);
    this.errorLog.start(sup);
    sup.once('ready', () => (this.live = this.goLive()));
    const view = this.config.supervision.ui && this.config.view ? this.config.view : null;
    // Leaving the view stops the session, as Ctrl-C does.
    const ui = view
      ? view(this.files.socket).then(() => {
          // The stop that follows (a job finishing, a kill) is said on the terminal the view gave back.
          if (!this.config.seams?.stdout) this.printer.showOn(sinkFor(process.stdout));
          this.stop('the view was closed: stopping');
        })
      : null;
    sup.start();
    if (this.abortedBy) void sup.shutdown(Supervisor.signalExitCode(this.abortedBy));

    const code = await sup.done;
    await tasks?.done;
    await ui;
    await this.live;
    this.reload?.close();
    await this.replanner?.close();
    for (const p of [...parts].reverse()) p.close();
    watchdog.close();
    return this.fatal ? 70 : code;
  }

  /**
   * A session killed with SIGKILL leaves its watchdog stopping what it ran (a job finishing
   * first): wait for it, or this session would adopt a Redis the watchdog is about to stop.
   */
  private async earlierCleanup(): Promise<void> {
    const pid = liveWatchdog(this.files.watchdog);
    if (pid === null) return;
    this.printer.system(
      `the previous ${sessionCommand(this.kind)} for this bench was killed; its watchdog (pid ${pid}) is still stopping what it ran (a job may be finishing): waiting for it`,
    );
    while (liveWatchdog(this.files.watchdog) === pid && !this.abortedBy) await delay(this.clock, 100);
    if (!this.abortedBy) this.printer.system('the previous session is stopped; starting');
  }

  /** From the ready line on: code reload and re-planning, and one line saying what is watched. */
  private async goLive(): Promise<void> {
    const said: string[] = [];
    try {
      const roles = this.config.supervision.reload;
      if (roles && roles.length > 0) {
        this.reload = new CodeReload(this, roles, this.config.supervision.maxWatches, this.config.supervision.poll);
        const s = await this.reload.start();
        if (s) said.push(s);
      }
      if (this.config.replan) {
        this.replanner = new Replanner(this, this.config.replan.build, this.config.replan.files);
        said.push(await this.replanner.start());
      }
    } catch (err) {
      this.printer.warn(`watching for changes failed (${(err as Error).message}); the bench runs on without reloading`);
    }
    if (said.length) this.printer.system(`watching ${said.join('; ')}`);
  }

  /**
   * Restart one process under debugpy, listening on a free port (VS Code's 5678 when it is free),
   * or with `off` as the plan runs it. Resolves once the debugger listens.
   */
  /** A save of code or of the bench's files: `fbench errors --since save` counts from here. */
  saved(): void {
    this.errorLog.noteSave();
  }

  /**
   * What went wrong while the session runs, with RQ's failed jobs (each with its story: the
   * lines its worker printed while it ran); a queue Redis that does not answer leaves the jobs out.
   */
  async errors(): Promise<ErrorsReport> {
    const jobs = await failedJobDetails(this.planned.model).catch(() => []);
    const sup = this.sup;
    const workers = this.plan().processes.filter((p) => p.role === 'worker');
    const story = (job: FailedJobDetail): { process: string; lines: string[] } | null => {
      if (!sup || job.startedAt === null) return null;
      for (const w of workers) {
        const lines = (sup.process(w.name)?.ring.entries(Infinity, job.startedAt - 1000) ?? []).filter((l) => l.time <= (job.failedAt ?? Infinity) + 1000);
        if (lines.some((l) => l.text.includes(job.id))) return { process: w.name, lines: lines.map((l) => l.text) };
      }
      return null;
    };
    const { lastSave, dropped } = this.errorLog;
    return {
      errors: [...this.errorLog.entries(), ...jobs.map((j) => jobEntry(j, story(j)))],
      lastSave: lastSave === null ? null : new Date(lastSave).toISOString(),
      dropped,
    };
  }

  async latestFailedJob(): Promise<FailedJobDetail | null> {
    const { model } = this.planned;
    const [newest] = await listFailed(model, { limit: 1 });
    return newest ? showJob(model, newest.id) : null;
  }

  async debug(name: string, o: { wait: boolean; off: boolean }): Promise<{ port: number | null }> {
    const sup = this.sup;
    const { plan, model } = this.planned;
    const p = plan.processes.find((x) => x.name === name);
    if (!sup || !p) throw new FbenchError(`${name} is not running in this session`, 'see `fbench ps`');
    const specFor = (proc: PlanProcess): ServiceSpec => this.builder.build({ ...plan, processes: [proc], externals: [] }, model, this.choices, false)[0]!;
    if (o.off) {
      this.debugPorts.delete(name);
      this.printer.system(`${name}: restarting it without the debugger`);
      await sup.replaceService(specFor(p));
      return { port: null };
    }
    const port = await freePort([5678, 5679, 5680, 5681]);
    const d = debugCommand(p.command, plan.bench, port, o.wait);
    if (!d) throw new FbenchError(`${name} is not a Python process (${p.command})`, 'debug web, a worker, the scheduler or a Python line of the Procfile');
    // Asked without blocking: the session goes on relaying and answering while Python starts.
    const hasDebugpy = await new Promise<boolean>((resolve) => execFile(d.python, ['-c', 'import debugpy'], { timeout: 15_000 }, (err) => resolve(!err)));
    if (!hasDebugpy) throw new FbenchError(`debugpy is not installed for ${d.python}`, `install it: \`${d.python} -m pip install debugpy\``);
    this.printer.system(`${name}: restarting it under debugpy, listening on 127.0.0.1:${port}${o.wait ? ' (it waits for the debugger before it runs)' : ''}`);
    void sup.replaceService(specFor({ ...p, command: d.command, exec: runSpec(d.command), cwd: d.cwd ?? p.cwd }));
    this.debugPorts.set(name, port);
    const until = this.clock.now() + 30_000;
    // Listening, read from the kernel: a connection would be taken for the IDE's (debugpy serves one).
    while (!portListened(port)) {
      if (this.clock.now() > until) throw new FbenchError(`${name} under debugpy does not listen on ${port}`, `see \`fbench logs ${name}\``);
      await delay(this.clock, 50);
    }
    return { port };
  }

  debugPort(name: string): number | null {
    return this.debugPorts.get(name) ?? null;
  }

  /** Restart processes of the plan, each with its own grace (a worker finishes its job first); resolves once each start has ended. */
  async restart(names: string[], why: string): Promise<void> {
    const sup = this.sup;
    if (!sup) return;
    this.printer.system(`${why}: restarting ${names.join(', ')}`);
    await Promise.all(names.map((n) => sup.restartService(n))).catch((err: Error) =>
      this.printer.error(`restarting ${names.join(', ')} failed: ${err.message}`),
    );
  }

  /** A re-plan: what went is stopped, what changed restarts with its new spec, what came starts. */
  async applyPlan(next: Planned, diff: PlanDiff): Promise<void> {
    const sup = this.sup;
    const before = this.planned.plan;
    this.planned = next;
    if (!sup) return;
    const specs = new Map(this.builder.build(next.plan, next.model, this.choices, false).map((s) => [s.name, s]));
    const oldExternals = new Set(before.externals.map((x) => x.name));
    const newExternals = new Set(next.plan.externals.map((x) => x.name));
    for (const url of newExternals) if (!oldExternals.has(url)) sup.addService(specs.get(url)!);
    await Promise.all([
      ...diff.removed.map((n) => sup.removeService(n)),
      ...[...oldExternals].filter((u) => !newExternals.has(u)).map((u) => sup.removeService(u)),
      ...diff.changed.map((c) => sup.replaceService(specs.get(c.process.name)!)),
    ]);
    for (const p of diff.added) {
      this.printer.addName(p.name);
      sup.addService(specs.get(p.name)!);
    }
    this.tails.sync();
  }

  private readonly onSignal = (signal: NodeJS.Signals): void => {
    // One keypress can arrive twice (`timeout -s INT` signals the process and its group): what
    // comes before the previous request was fully taken and said, or within SAME_SIGNAL_MS after
    // that, is the same request. Measured from the end of its handling, so that a slow first stop
    // step on a loaded machine does not turn the echo into a second Ctrl-C.
    if (this.signalBusy || (this.signalQuietUntil !== null && this.clock.now() < this.signalQuietUntil)) return;
    this.signalBusy = true;
    this.signals.push({ at: this.clock.now(), signal });
    try {
      this.takeSignal(signal);
    } finally {
      this.printer.flush();
      this.signalQuietUntil = this.clock.now() + SAME_SIGNAL_MS;
      // Signals already queued behind this one are delivered before the loop turns: still the same request.
      setImmediate(() => (this.signalBusy = false));
    }
  };

  private takeSignal(signal: NodeJS.Signals): void {
    const first = this.signals[0]!.signal;
    if (!this.sup) {
      this.abortedBy ??= first;
      return;
    }
    const n = this.signals.length;
    if (n === 1) this.runner?.stopping();
    if (n === 1)
      this.printer.system(`${signal === 'SIGHUP' ? 'the terminal closed (SIGHUP)' : signal} received: stopping (Ctrl-C again to kill what keeps no data)`);
    else if (n === 2) this.printer.warn(`${signal} again: killing every process but Redis, which saves its data (Ctrl-C again to kill it too)`);
    else this.printer.warn(`${signal} again: killing what is left`);
    void this.sup.shutdown(Supervisor.signalExitCode(first));
  }

  /** A bug of fbench's own: one line, and the bench stopped the faithful way. */
  private readonly onFatal = (err: unknown): void => {
    const detail =
      err instanceof Error ? (this.config.env.FBENCH_DEBUG === '1' ? (err.stack ?? err.message) : `${err.message} (FBENCH_DEBUG=1 shows where)`) : String(err);
    const line = `internal error: ${detail}; stopping the bench`;
    this.fatal = true;
    if (this.sup) {
      this.printer.error(line);
      void this.sup.shutdown(70);
    } else {
      process.stderr.write(`fbench: ${line}\n`);
      this.abortedBy ??= 'SIGTERM';
    }
  };
}

/** Output nobody reads (`start --ui`: the view shows it instead). */
const discard: Sink = { write: (_c, done) => (done(), true), once: () => undefined };
