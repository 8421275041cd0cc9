import path from 'node:path';
import { parsePort } from '../config/numbers.js';
import { analyzeCommand, shellQuote, type CommandShape } from '../config/shell-command.js';
import { FbenchError, type Warning } from '../errors.js';
import type { BenchModel } from '../frappe/bench-model.js';
import { isLocalHost, redisNeeds } from '../frappe/dependencies.js';
import { knownQueues } from '../frappe/queues.js';
import { classify, type RoleInfo } from '../frappe/roles.js';
import { redactUrl, redisCheck, type RedisKind, type RedisUrl } from '../frappe/site-config.js';
import { DEFAULT_BASE_PORT, expandFormation } from './formation.js';
import type { ExternalService, HealthCheck, Plan, PlanProcess, RedisInfo } from './types.js';

export interface PlanOptions {
  /** `-c name=N`: instances per process type; 0 leaves a type out. */
  concurrency?: Readonly<Record<string, number>>;
  /** Positional process types to run (their Redis dependencies come along). */
  only?: readonly string[];
  /** `-p N`: base of honcho's PORT numbering. */
  basePort?: number;
  /** false with `--no-dev` (bench start's DEV_SERVER). */
  dev?: boolean;
  /** PATH fbench itself runs with; the bench's env/bin goes in front. */
  inheritedPath?: string;
  /** File existence, injected so planning stays free of I/O in tests. */
  exists?: (absolutePath: string) => boolean;
}

interface Entry {
  type: string;
  command: string;
  line: number;
  shape: CommandShape;
  info: RoleInfo;
  redis: RedisInfo | null;
}

/** Turn a bench model into the plan of processes to run. Pure (file checks are injected). */
export function buildPlan(model: BenchModel, opts: PlanOptions = {}): Plan {
  const warnings: Warning[] = [...model.warnings];
  const procfileRel = path.relative(model.dir, model.procfilePath) || 'Procfile';
  const exists = opts.exists ?? (() => true);
  const { config } = model;

  const entries: Entry[] = model.entries.map((e) => {
    const shape = analyzeCommand(e.command);
    const info = classify(e.name, shape);
    return { type: e.name, command: e.command, line: e.line, shape, info, redis: info.role === 'redis' ? redisInfo(model, e.name, info) : null };
  });

  // A Procfile Redis whose port disagrees with the URL of the same name sends clients elsewhere.
  for (const e of entries) {
    const byName = e.info.redisKindByName;
    const url = byName ? config.redis[byName] : undefined;
    if (e.redis && byName && url && e.redis.port !== null && url.port !== e.redis.port) {
      warnings.push({
        file: procfileRel,
        line: e.line,
        message: `${e.type} listens on port ${e.redis.port}, but ${url.source} says ${url.url}: Frappe will look for it on ${url.port}`,
      });
    }
  }

  const byType = new Map(entries.map((e) => [e.type, e]));
  const concurrency = { ...opts.concurrency };
  for (const name of [...Object.keys(concurrency), ...(opts.only ?? [])]) {
    if (!byType.has(name)) {
      throw new FbenchError(`no process type "${name}" in the Procfile`, `known types: ${entries.map((e) => e.type).join(', ')}`, { file: procfileRel });
    }
  }

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
      const url = config.redis[kind] ?? config.redis.queue;
      const id = redactUrl(url.url); // names and messages never show a password
      if (!externals.has(id)) externals.set(id, { url: id, source: url.source, health: redisCheck(url, kind, config) });
      if (!needs.includes(id)) needs.push(id);
    }
    deps.set(e.type, needs);
  }

  // What runs: the selection (or everything) plus the Redis it depends on, in Procfile order.
  let selected = new Set(opts.only && opts.only.length > 0 ? opts.only : entries.map((e) => e.type));
  for (const t of [...selected]) for (const d of deps.get(t) ?? []) if (byType.has(d)) selected.add(d);
  selected = new Set(entries.map((e) => e.type).filter((t) => selected.has(t) && (concurrency[t] ?? 1) > 0));

  const basePort = opts.basePort ?? (model.dotenv.PORT ? parsePort(model.dotenv.PORT, 'PORT', { file: '.env' }) : DEFAULT_BASE_PORT);
  const instances = expandFormation([...selected], concurrency, basePort);
  const instanceNames = (type: string): string[] => instances.filter((i) => i.type === type).map((i) => i.name);
  const baseEnv: Record<string, string> = {
    ...model.dotenv,
    PYTHONUNBUFFERED: '1',
    ...(opts.dev === false ? {} : { DEV_SERVER: 'true' }),
    PATH: [path.join(model.dir, 'env', 'bin'), opts.inheritedPath].filter(Boolean).join(path.delimiter),
  };

  const commands = new Map(
    [...selected].map((t) => {
      const e = byType.get(t)!;
      return [t, e.info.role === 'socketio' ? nodeFallback(e, exists, warnings, procfileRel) : e.command];
    }),
  );
  const usedExternals = new Set<string>();
  const processes: PlanProcess[] = instances.map((inst) => {
    const e = byType.get(inst.type)!;
    const dependsOn = (deps.get(e.type) ?? []).flatMap((d) => (byType.has(d) ? instanceNames(d) : [d]));
    dependsOn.filter((d) => externals.has(d)).forEach((d) => usedExternals.add(d));
    const command = commands.get(e.type)!;
    const port = listenPort(e, model);
    return {
      name: inst.name,
      type: e.type,
      role: e.info.role,
      command,
      cwd: model.dir,
      port,
      queues: e.info.role === 'worker' ? (e.info.queues ?? knownQueues(config)) : null,
      dependsOn,
      logFiles: e.shape.redirects.map((r) => path.resolve(model.dir, r.file)),
      env: { ...baseEnv, PORT: String(inst.port) },
      health: health(e, port, model),
      critical: e.info.role !== 'watch',
      redis: e.redis,
    };
  });

  return {
    bench: model.dir,
    procfile: model.procfilePath,
    processes,
    externals: [...externals.values()].filter((x) => usedExternals.has(x.url)),
    warnings,
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
    default:
      return null;
  }
}

function health(e: Entry, port: number | null, model: BenchModel): HealthCheck | null {
  if (port === null) return null;
  if (e.info.role === 'redis') {
    const conf = model.redisConfs[e.type]?.conf;
    const host = conf?.bind && conf.bind !== '0.0.0.0' && conf.bind !== '*' ? conf.bind : '127.0.0.1';
    const kind = e.redis?.kinds.includes('queue') ? 'queue' : (e.redis?.kinds[0] ?? 'cache');
    const password = conf?.requirepass;
    return redisCheck({ host, port, ...(password ? { password } : {}) }, kind, model.config);
  }
  if (e.info.role === 'web' || e.info.role === 'socketio') return { kind: 'port', host: '127.0.0.1', port };
  return null;
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
