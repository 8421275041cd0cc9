import path from 'node:path';
import { isatty } from 'node:tty';
import { FbenchError, formatWarning } from '../errors.js';
import { loadIoredis } from '../health/redis-ping.js';
import { preflightRedis } from './redis-preflight.js';
import { useColor } from '../output/colors.js';
import { Printer, sinkFor } from '../output/printer.js';
import { programOnPath, redisProcesses } from '../plan/lookup.js';
import type { Plan } from '../plan/types.js';
import { DEFAULT_BACKOFF } from '../runtime/backoff.js';
import { acquirePidFile, removePidFile } from '../runtime/pidfile.js';
import { realProcesses } from '../runtime/process-factory.js';
import { Supervisor } from '../runtime/supervisor.js';
import { Watchdog } from '../runtime/watchdog.js';
import { startLive, type LiveOptions, type Replan } from './live.js';
import { reportToPrinter } from './reporter.js';
import { sessionCommand, sessionFiles, START_SESSION } from './session.js';
import { checksOf, makeProbe, planServices } from './services.js';

export interface RunOptions extends LiveOptions {
  exitOnCrash?: boolean;
  /** Seconds (checked by the CLI). */
  grace: number;
  readyTimeout: number;
  prefix: boolean;
  timestamps: boolean;
  color: boolean;
  tasks: boolean;
  /** Processes, types or roles whose stdin is /dev/null (a program that needs EOF). */
  stdinNull?: string;
  /** Processes (names, types, roles) recorded but not printed. */
  quiet?: string;
}

/** A second signal this soon after the first is the same keypress delivered twice (`timeout -s INT`, a signalled group). */
const SAME_SIGNAL_MS = 250;

/**
 * Run a plan in the foreground until it ends: the shared body of `fbench start` and
 * `fbench workers`. `session` names the pid file, so both can run side by side.
 */
export async function runPlan(plan: Plan, opts: RunOptions, session = START_SESSION, replan?: Replan): Promise<number> {
  const graceMs = Math.round(opts.grace * 1000);
  const readyTimeoutMs = Math.round(opts.readyTimeout * 1000);

  // First of all: one session per bench, decided atomically.
  const pidFile = sessionFiles(plan.bench, session).pid;
  let holder: number | null;
  try {
    holder = acquirePidFile(pidFile, process.pid);
  } catch (err) {
    throw new FbenchError(
      `${path.relative(plan.bench, pidFile)}: cannot be written (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`,
      'make config/pids writable for this user; nothing was started',
    );
  }
  if (holder !== null) {
    throw new FbenchError(
      `${sessionCommand(session)} is already running for this bench (pid ${holder})`,
      `stop it first (Ctrl-C in its terminal, or kill ${holder})`,
    );
  }
  try {
    return await supervise(plan, opts, session, graceMs, readyTimeoutMs, replan);
  } finally {
    removePidFile(pidFile, process.pid);
  }
}

async function supervise(plan: Plan, opts: RunOptions, session: string, graceMs: number, readyTimeoutMs: number, replan?: Replan): Promise<number> {
  const redis = redisProcesses(plan);
  if (redis.length > 0 && !programOnPath(plan, 'redis-server')) {
    throw new FbenchError(
      'redis-server is not installed (not found on PATH)',
      'install it: `sudo apt-get install redis-server` (Debian/Ubuntu), `sudo dnf install redis` (Fedora), `brew install redis` (macOS)',
    );
  }
  const decisions = await Promise.all(redis.map((p) => preflightRedis(p, plan.bench)));
  const adopted = new Map<string, number>();
  redis.forEach((p, i) => {
    const decision = decisions[i]!;
    if (decision.action === 'adopt') adopted.set(p.name, decision.pid);
  });
  const watchdog = new Watchdog();
  try {
    return await superviseWith(watchdog, adopted, plan, opts, session, graceMs, readyTimeoutMs, replan);
  } finally {
    watchdog.close(); // at once when nothing was started (a port held by another Redis, a bad --quiet name)
  }
}

async function superviseWith(
  watchdog: Watchdog,
  /** This bench's Redis servers already running (left by an earlier run): name → pid. */
  adopted: Map<string, number>,
  plan: Plan,
  opts: RunOptions,
  session: string,
  graceMs: number,
  readyTimeoutMs: number,
  replan?: Replan,
): Promise<number> {
  const printer = new Printer(sinkFor(process.stdout), {
    prefix: opts.prefix,
    timestamps: opts.timestamps,
    color: useColor(process.stdout.isTTY === true, process.env, opts.color),
    names: [...plan.processes.map((p) => p.name), ...plan.externals.map((x) => x.url)],
  });
  // A closed terminal turns every write into EIO/EPIPE: keep stopping cleanly, silently.
  process.stdout.on('error', () => {});
  for (const w of plan.warnings) printer.system(`warning: ${formatWarning(w)}`);
  for (const [name, pid] of adopted) {
    printer.system(`${name}: this bench's Redis is already running (pid ${pid}, left by an earlier run); using it instead of starting another`);
  }

  const probeFor = makeProbe(readyTimeoutMs, printer);
  const choices = { graceMs, ...(opts.quiet ? { quiet: opts.quiet } : {}), ...(opts.stdinNull ? { stdinNull: opts.stdinNull } : {}) };
  const services = planServices(plan, probeFor, choices, adopted); // a bad --quiet name stops here, before anything runs
  const sup = new Supervisor(services, { exitOnCrash: opts.exitOnCrash === true, graceMs }, { createProcess: realProcesses(printer, watchdog, graceMs) });
  const checks = checksOf(plan);
  const tasks = opts.tasks && process.stdout.isTTY === true;
  reportToPrinter(sup, printer, { checks, loopWarningAt: DEFAULT_BACKOFF.loopWarningAt, quietStartup: tasks });

  let firstSignalAt = 0;
  const onSignal = (signal: NodeJS.Signals): void => {
    const now = Date.now();
    if (firstSignalAt === 0) {
      firstSignalAt = now;
      printer.system(`${signal === 'SIGHUP' ? 'terminal closed' : signal} received: stopping (again to kill at once)`);
    } else if (now - firstSignalAt < SAME_SIGNAL_MS) {
      return;
    } else {
      printer.system(`${signal} again: killing what is left`);
    }
    void sup.shutdown(Supervisor.signalExitCode(signal));
  };
  for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(s, onSignal);

  const startup = tasks
    ? (await import('./startup-tasks.js')).showStartupTasks(sup, printer, [...plan.externals.map((x) => x.url), ...plan.processes.map((p) => p.name)], checks)
    : null;
  const live = startLive({
    sup,
    printer,
    plan,
    probeFor,
    checks,
    session,
    choices,
    opts,
    ...(replan ? { replan } : {}),
  });
  // Typing into a process at a debugger prompt, from fbench's own terminal. isatty(0), not
  // process.stdin.isTTY: that getter builds a stdin stream (ms for /dev/null) to answer.
  const typed = isatty(0) ? (await import('./debug-input.js')).routeTypedLines(sup, printer, process.stdin) : null;
  sup.start();
  // The Redis client (when a check will PING) loads while Redis boots: right after the spawns,
  // which start() queued as microtasks ahead of this one, and before the first PING can be answered.
  if ([...checks.values()].some((c) => c.kind === 'redis')) queueMicrotask(() => void loadIoredis().catch(() => {}));
  await Promise.race([startup, sup.done]); // a task list must never outlive the run
  const code = await sup.done;
  typed?.close();
  printer.release(); // whatever a task list still held back (a failed start-up's output)
  await live.close();
  for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.off(s, onSignal);
  printer.flush();
  return code;
}
