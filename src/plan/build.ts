import { ROLE_TRAITS } from '../frappe/roles.js';
import path from 'node:path';
import { parsePort } from '../config/numbers.js';
import { execForm, ownOutput, shellQuote, type CommandShape } from '../config/shell-command.js';
import { FbenchError, type Warning } from '../errors.js';
import type { BenchModel } from '../frappe/bench-model.js';
import { isLocalHost, redisNeeds } from '../frappe/dependencies.js';
import { processPlace } from '../frappe/layout.js';
import { knownQueues, rqQueueName } from '../frappe/queues.js';
import type { RoleInfo } from '../frappe/roles.js';
import { redactUrl, redisCheck, type RedisKind, type RedisUrl } from '../frappe/site-config.js';
import { forkSafeEnv, startPolicy } from '../frappe/start-policy.js';
import { stopPolicy } from '../frappe/stop-policy.js';
import { DEFAULT_BASE_PORT, expandFormation } from './formation.js';
import { resolveNames } from './lookup.js';
import type { ExternalService, Plan, PlanProcess, Readiness, RedisInfo, RunSpec } from './types.js';

export interface PlanOptions {
  /** `-c name=N`: instances per process type; 0 leaves a type out. */
  concurrency?: Readonly<Record<string, number>>;
  /** What to run, named as every command names processes (instance, type, role, wildcard); their Redis dependencies come along. */
  only?: readonly string[];
  /** `-p N`: base of honcho's PORT numbering. */
  basePort?: number;
  /** false with `--no-dev` (bench start's DEV_SERVER). */
  dev?: boolean;
  /** PATH fbench itself runs with; the bench's env/bin goes in front. */
  inheritedPath?: string;
  /** The system the plan runs on (macOS gives workers their fork-safety variables); default this one. */
  platform?: string;
  /** File existence, injected so planning stays free of I/O. */
  exists?: (absolutePath: string) => boolean;
  /** Where the worker formation came from (a preset file, `--queues`), for a warning about it; default the Procfile. */
  workersFrom?: string;
}

/** A Procfile line of the plan, with what its Redis line says. */
interface Entry {
  type: string;
  command: string;
  line: number;
  shape: CommandShape;
  info: RoleInfo;
  redis: RedisInfo | null;
}

/** The command as fbench runs it: its output redirections owned by fbench, then exec'd so the pid fbench watches is the program. */
export function runSpec(command: string): RunSpec {
  const owned = ownOutput(command);
  return owned
    ? { command: execForm(owned.command), stdout: owned.stdout, stderr: owned.stderr }
    : { command: execForm(command), stdout: 'fbench', stderr: 'fbench' };
}

/**
 * Turn a bench model into the plan of processes to run, in named phases: the Procfile's lines
 * with their Redis, what each needs, what is selected, how each runs, then the processes.
 * Pure (file checks are injected).
 */
export function buildPlan(model: BenchModel, opts: PlanOptions = {}): Plan {
  const warnings: Warning[] = [...model.warnings];
  const procfileRel = path.relative(model.dir, model.procfilePath) || 'Procfile';
  const entries = procfileEntries(model, procfileRel, warnings);
  const byType = new Map(entries.map((e) => [e.type, e]));
  const concurrency = checkedConcurrency(opts.concurrency ?? {}, byType, procfileRel);
  const { deps, externals } = redisDependencies(entries, concurrency, model);
  const selected = selectedTypes(entries, deps, concurrency, opts.only, model.dir);
  const basePort = opts.basePort ?? (model.dotenv.PORT ? parsePort(model.dotenv.PORT, 'PORT', { file: '.env' }) : DEFAULT_BASE_PORT);
  const instances = expandFormation(selected, concurrency, basePort);
  const env = baseEnv(model, opts);
  const runs = new Map(selected.map((t) => [t, howItRuns(byType.get(t)!, model, opts.exists ?? (() => true), warnings, procfileRel)]));

  const usedExternals = new Set<string>();
  const processes: PlanProcess[] = instances.map((inst) => {
    const e = byType.get(inst.type)!;
    const needs = deps.get(e.type) ?? [];
    for (const d of needs) if (!byType.has(d)) usedExternals.add(d);
    const dependsOn = needs.flatMap((d) => (byType.has(d) ? instances.filter((i) => i.type === d).map((i) => i.name) : [d]));
    return planProcess(e, inst, dependsOn, runs.get(e.type)!, env, model, opts.platform ?? process.platform);
  });
  warnings.push(...uncoveredQueues(processes, model, opts.workersFrom ?? procfileRel));

  return {
    bench: model.dir,
    procfile: model.procfilePath,
    env,
    processes,
    externals: [...externals.values()].filter((x) => usedExternals.has(x.name)),
    warnings,
  };
}

/** The Procfile's lines with what each Redis line's conf says; a Redis whose port disagrees with its URL is warned of. */
function procfileEntries(model: BenchModel, procfileRel: string, warnings: Warning[]): Entry[] {
  const entries: Entry[] = model.entries.map((e) => ({
    type: e.name,
    command: e.command,
    line: e.line,
    shape: e.shape,
    info: e.info,
    redis: e.info.role === 'redis' ? redisInfo(model, e.name, e.info) : null,
  }));
  // A Procfile Redis whose port disagrees with the URL of the same name sends clients elsewhere.
  for (const e of entries) {
    const byName = e.info.redisKindByName;
    const url = byName ? model.config.redis[byName] : undefined;
    if (e.redis && byName && url && e.redis.port !== null && url.port !== e.redis.port) {
      warnings.push({
        file: procfileRel,
        line: e.line,
        message: `${e.type} listens on port ${e.redis.port}, but ${url.source} says ${url.url}: Frappe will look for it on ${url.port}`,
      });
    }
  }
  return entries;
}

/** `-c name=N` names types of the Procfile. */
function checkedConcurrency(concurrency: Readonly<Record<string, number>>, byType: ReadonlyMap<string, Entry>, procfileRel: string): Record<string, number> {
  for (const name of Object.keys(concurrency))
    if (!byType.has(name))
      throw new FbenchError(`no process type "${name}" in the Procfile`, `known types: ${[...byType.keys()].join(', ')}`, { file: procfileRel });
  return { ...concurrency };
}

/** The Redis each type needs: a line of the Procfile that runs it, or the URL the config names (an external one). */
function redisDependencies(
  entries: readonly Entry[],
  concurrency: Readonly<Record<string, number>>,
  model: BenchModel,
): { deps: Map<string, string[]>; externals: Map<string, ExternalService> } {
  const { config } = model;
  const dedicatedSocketio = entries.some((e) => e.redis && e.info.redisKindByName === 'socketio');
  const redisFor = (kind: RedisKind): Entry | undefined => entries.find((e) => e.redis?.kinds.includes(kind) && (concurrency[e.type] ?? 1) > 0);
  const deps = new Map<string, string[]>();
  const externals = new Map<string, ExternalService>();
  for (const e of entries) {
    const needs: string[] = [];
    for (const kind of redisNeeds(e.info.role, dedicatedSocketio)) {
      const provider = redisFor(kind);
      if (provider) {
        if (!needs.includes(provider.type)) needs.push(provider.type);
        continue;
      }
      // A custom line waits for the Redis the bench runs, not for one it only names (a plain Procfile has none).
      if (e.info.role === 'other') continue;
      const url = config.redis[kind] ?? config.redis.queue;
      const id = redactUrl(url.url); // names and messages never show a password
      if (!externals.has(id)) externals.set(id, { name: `redis_${kind} (external)`, url: id, source: url.source, health: redisCheck(url, kind, config) });
      const name = externals.get(id)!.name;
      if (!needs.includes(name)) needs.push(name);
    }
    deps.set(e.type, needs);
  }
  return { deps, externals };
}

/** What runs, in Procfile order: the selection (or everything) plus the Redis it depends on, less the types at 0. */
function selectedTypes(
  entries: readonly Entry[],
  deps: ReadonlyMap<string, string[]>,
  concurrency: Readonly<Record<string, number>>,
  only: readonly string[] | undefined,
  bench: string,
): string[] {
  const selected = new Set(only && only.length > 0 ? namedTypes(entries, concurrency, only, bench) : entries.map((e) => e.type));
  for (const t of [...selected]) for (const d of deps.get(t) ?? []) if (entries.some((e) => e.type === d)) selected.add(d);
  return entries.map((e) => e.type).filter((t) => selected.has(t) && (concurrency[t] ?? 1) > 0);
}

/** The environment every process gets: .env, unbuffered Python, DEV_SERVER, env/bin first on PATH. */
function baseEnv(model: BenchModel, opts: PlanOptions): Record<string, string> {
  return {
    ...model.dotenv,
    PYTHONUNBUFFERED: 'true',
    ...(opts.dev === false ? {} : { DEV_SERVER: 'true' }),
    PATH: [path.join(model.dir, 'env', 'bin'), opts.inheritedPath].filter(Boolean).join(path.delimiter),
  };
}

/** How a type runs: where (its folder and the environment of its place), its command as written and as fbench runs it. */
function howItRuns(
  e: Entry,
  model: BenchModel,
  exists: (p: string) => boolean,
  warnings: Warning[],
  procfileRel: string,
): { place: ReturnType<typeof processPlace>; command: string; exec: RunSpec } {
  const place = processPlace(model.layout, e.info, e.shape, model.benchToml?.adminPort ?? null);
  const written = e.info.role === 'socketio' ? nodeFallback(e, exists, warnings, procfileRel) : e.command;
  const command = programFromBench(written, e.shape.argv[0], place.cwd, model.dir);
  return { place, command, exec: runSpec(command) };
}

/** One instance of a type, as the plan runs it. */
function planProcess(
  e: Entry,
  inst: { name: string; type: string; port: number },
  dependsOn: string[],
  run: ReturnType<typeof howItRuns>,
  env: Readonly<Record<string, string>>,
  model: BenchModel,
  platform: string,
): PlanProcess {
  const port = listenPort(e, model);
  // A worker listens to every queue unless told; lite mode's runner (web with jobs) to those it names.
  const queues = e.info.role === 'worker' ? (e.info.queues ?? knownQueues(model.config)) : (e.info.queues ?? null);
  return {
    name: inst.name,
    type: e.type,
    role: e.info.role,
    command: run.command,
    exec: run.exec,
    shape: e.shape,
    cwd: run.place.cwd,
    port,
    queues,
    dependsOn,
    logFiles: e.shape.redirects.map((r) => path.resolve(model.dir, r.file)),
    env: {
      ...env,
      ...(model.lineEnv[e.type] ?? {}),
      ...run.place.env,
      ...forkSafeEnv(platform, e.info.role, queues, e.shape.env),
      PORT: String(inst.port),
    },
    health: readiness(e, port, queues, model),
    critical: ROLE_TRAITS[e.info.role].critical,
    stop: stopPolicy(e.info.role, queues, model.config),
    start: startPolicy(e.info.role, queues),
    redis: e.redis,
  };
}

function redisInfo(model: BenchModel, type: string, info: RoleInfo): RedisInfo {
  const found = model.redisConfs[type];
  const conf = found?.conf ?? null;
  const port = conf ? (conf.port ?? 6379) : null;
  const kinds = (Object.entries(model.config.redis) as [RedisKind, RedisUrl][])
    .filter(([, u]) => port !== null && u.port === port && isLocalHost(u.host))
    .map(([k]) => k);
  if (kinds.length === 0 && info.redisKindByName) kinds.push(info.redisKindByName);
  // Redis chdirs into `dir` while reading its conf, so later relative paths start there.
  const dir = conf?.dir ? path.resolve(model.dir, conf.dir) : null;
  const under = (p: string | undefined): string | null => (p ? path.resolve(dir ?? model.dir, p) : null);
  return { kinds, port, conf: found?.path ?? null, dir, pidfile: under(conf?.pidfile), aclfile: under(conf?.aclfile) };
}

function listenPort(e: Entry, model: BenchModel): number | null {
  switch (e.info.role) {
    case 'redis':
      return e.redis?.port ?? null;
    case 'web':
      return e.info.port ?? model.config.webserverPort;
    case 'socketio':
      return model.config.socketioPort;
    case 'admin':
      return e.info.port ?? null; // the admin UI's dev server (no --port) only talks to it
    case 'watch':
    case 'schedule':
    case 'worker':
    case 'other':
      return null;
  }
}

/** How its readiness is told: PONG for a Redis, its port for web and socketio, registration for an RQ worker. */
function readiness(e: Entry, port: number | null, queues: string[] | null, model: BenchModel): Readiness | null {
  if (e.info.role === 'worker' && queues) {
    const url = model.config.redis.queue;
    return {
      kind: 'rq-worker',
      redis: redisCheck(url, 'queue', model.config),
      queues: queues.map((q) => rqQueueName(model.queues, q)),
      ...(e.info.workers ? { count: e.info.workers } : {}),
    };
  }
  if (port === null) return null;
  if (e.info.role === 'redis') {
    const conf = model.redisConfs[e.type]?.conf;
    const host = conf?.bind && conf.bind !== '0.0.0.0' && conf.bind !== '*' ? conf.bind : '127.0.0.1';
    const kind = e.redis?.kinds.includes('queue') ? 'queue' : (e.redis?.kinds[0] ?? 'cache');
    const password = conf?.requirepass;
    return redisCheck({ host, port, ...(password ? { password } : {}) }, kind, model.config);
  }
  if (ROLE_TRAITS[e.info.role].listens) return { kind: 'port', host: '127.0.0.1', port };
  return null;
}

/** The types of the processes `names` mean, each name read by the one rule against every instance of the formation. */
function namedTypes(entries: readonly Entry[], concurrency: Readonly<Record<string, number>>, names: readonly string[], bench: string): string[] {
  const all = expandFormation(
    entries.map((e) => e.type).filter((t) => (concurrency[t] ?? 1) > 0),
    concurrency,
    DEFAULT_BASE_PORT,
  ).map((i) => ({ name: i.name, type: i.type, role: entries.find((e) => e.type === i.type)!.info.role }));
  const hits = new Set(resolveNames(all, names, { bench, option: 'process' }));
  return [...new Set(all.filter((i) => hits.has(i.name)).map((i) => i.type))];
}

/**
 * A bench queue no worker of the plan listens to: its jobs would wait for ever. Said only when
 * the plan runs workers at all (`fbench start web` leaves them out on purpose). Pure.
 */
function uncoveredQueues(processes: readonly PlanProcess[], model: BenchModel, file: string): Warning[] {
  const workers = processes.filter((p) => p.role === 'worker');
  if (workers.length === 0) return [];
  const covered = new Set(workers.flatMap((p) => p.queues ?? []));
  return knownQueues(model.config)
    .filter((q) => !covered.has(q))
    .map((q) => ({
      file,
      message: `no worker listens to the queue "${q}": its jobs will wait (add a worker for it, e.g. --preset split-all, or \`fbench workers --queues ${q}\`)`,
    }));
}

/** bench bakes an absolute node path into the socketio line; after a node upgrade it is gone (frappe/frappe#25575). */
function nodeFallback(e: Entry, exists: (p: string) => boolean, warnings: Warning[], file: string): string {
  const program = e.shape.argv[0];
  if (!program || !path.isAbsolute(program) || exists(program)) return e.command;
  warnings.push({
    file,
    line: e.line,
    message: `${e.type}: ${program} does not exist (node upgraded?); using the node on PATH instead. Fix for good: bench setup procfile`,
  });
  const i = e.command.indexOf(program);
  return i >= 0 ? `${e.command.slice(0, i)}node${e.command.slice(i + program.length)}` : ['node', ...e.shape.argv.slice(1)].map(shellQuote).join(' ');
}

/**
 * A line's program named relative to the bench (`env/bin/python -m frappe.utils.bench_helper …`)
 * in a line that runs in another folder (sites/): made absolute, as honcho, which runs every line
 * from the Procfile's folder, would find it. Pure.
 */
export function programFromBench(command: string, program: string | undefined, cwd: string, bench: string): string {
  if (!program || cwd === bench || path.isAbsolute(program) || !program.includes('/')) return command;
  const at = new RegExp(`(^|\\s)${program.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?=\\s|$)`).exec(command);
  if (!at) return command;
  const start = at.index + at[1]!.length;
  return `${command.slice(0, start)}${shellQuote(path.join(bench, program))}${command.slice(start + program.length)}`;
}
