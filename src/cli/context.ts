import { parseSeconds, parseWhole } from '../config/numbers.js';
import { parseConcurrency } from '../plan/formation.js';
import type { PlanRequest } from '../session/planning.js';
import type { OutputChoices, SupervisionChoices } from '../session/session.js';

/** Options every command that reads a bench accepts. */
export interface BenchOptions {
  bench?: string;
  env?: string;
  /** -p/--procfile (bench's flag); `f` is honcho's -f, the same. */
  procfile?: string;
  f?: string;
  /** -m/--man: bench start's choice of manager, accepted and ignored. */
  man?: string;
}

/** Options that shape the formation (plan, start, export). */
export interface FormationOptions extends BenchOptions {
  preset?: string;
  concurrency?: string[];
  port?: number;
  dev?: boolean;
}

/** How `start` and `workers` run, supervise and print. */
export interface RunOptions {
  exitOnCrash?: boolean;
  grace?: number;
  readyTimeout: number;
  prefix: boolean;
  timestamps: boolean;
  color: boolean;
  tasks: boolean;
  reload: string | false;
  reloadWait?: boolean;
  poll?: boolean;
  stdinNull?: string;
  quiet?: string;
  followLogs: boolean;
  ui?: boolean;
}

const list = (s: string | undefined): string[] | undefined =>
  s
    ?.split(',')
    .map((x) => x.trim())
    .filter(Boolean);

/** What the command line says about which bench and which files: the request, from parsed options. */
export function benchRequest(opts: BenchOptions): PlanRequest {
  const procfile = opts.procfile ?? opts.f;
  return { ...(opts.bench ? { bench: opts.bench } : {}), ...(procfile ? { procfile } : {}), ...(opts.env ? { envFiles: opts.env.split(',') } : {}) };
}

/** The whole plan request of `plan` and `start`. */
export function formationRequest(opts: FormationOptions, only: readonly string[] = []): PlanRequest {
  return {
    ...benchRequest(opts),
    ...(opts.preset ? { preset: opts.preset } : {}),
    concurrency: parseConcurrency(opts.concurrency ?? []),
    only,
    ...(opts.port !== undefined ? { basePort: opts.port } : {}),
    dev: opts.dev !== false,
  };
}

/**
 * How the session runs: the options, and the environment's FBENCH_GRACE (what `bench start -m
 * fbench` users can set: bench passes no option of its own) when --grace is not given.
 */
export function supervisionChoices(opts: RunOptions, env: Readonly<Record<string, string | undefined>>): SupervisionChoices {
  const grace = opts.grace ?? (env.FBENCH_GRACE ? parseSeconds(env.FBENCH_GRACE, 'FBENCH_GRACE') : undefined);
  const maxWatches = env.FBENCH_MAX_WATCHES ? parseWhole(env.FBENCH_MAX_WATCHES, 'FBENCH_MAX_WATCHES', 0, 10_000_000) : undefined;
  const quiet = list(opts.quiet);
  const stdinNull = list(opts.stdinNull);
  return {
    exitOnCrash: opts.exitOnCrash === true,
    ...(grace !== undefined ? { graceS: grace } : {}),
    readyTimeoutS: opts.readyTimeout,
    ...(quiet ? { quiet } : {}),
    ...(stdinNull ? { stdinNull } : {}),
    reload: opts.reload === false ? false : (list(opts.reload) ?? []),
    ...(opts.reloadWait ? { reloadWait: true } : {}),
    ...(opts.poll !== undefined ? { poll: opts.poll } : {}),
    followLogs: opts.followLogs,
    tasks: opts.tasks,
    ...(maxWatches !== undefined ? { maxWatches } : {}),
    ...(opts.ui ? { ui: true } : {}),
  };
}

export function outputChoices(opts: RunOptions): OutputChoices {
  return { prefix: opts.prefix, timestamps: opts.timestamps, color: opts.color };
}

/** `-m X` from bench's habit: fbench is the manager. */
export function noteManager(opts: BenchOptions): void {
  if (opts.man !== undefined) process.stderr.write(`fbench: -m ${opts.man} ignored: fbench is the process manager\n`);
}
