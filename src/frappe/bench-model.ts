import { existsSync, readdirSync, statSync } from 'node:fs';
import { readBounded } from '../util/safe-file.js';
import { which } from '../util/which.js';
import { cliLines, cliProcfile } from './cli-procfile.js';
import path from 'node:path';
import { parseBenchToml, type BenchToml } from '../config/bench-toml.js';
import { parseDotenv } from '../config/dotenv.js';
import { parseJson } from '../config/json-file.js';
import { parseProcfile } from '../config/procfile.js';
import { readTextFile } from '../config/read-file.js';
import { FbenchError, type Warning } from '../errors.js';
import { benchLayout, type BenchLayout } from './layout.js';
import { applyRedisArgs, parseRedisConf, type RedisConf } from './redis-conf.js';
import { benchId, frappeMajor, type QueueNaming } from './queues.js';
import { classifyEntry, type BenchEntry } from './roles.js';
import { resolveSiteConfig, type ResolvedSiteConfig } from './site-config.js';
import { realPath } from '../util/real-path.js';

export interface Site {
  name: string;
  /** common_site_config.json with the site's own site_config.json over it. */
  config: Record<string, unknown>;
}

/** Everything read from a bench folder: the input of the (pure) plan builder. */
export interface BenchModel {
  dir: string;
  /** Which kind of bench this is, and where its files live. */
  layout: BenchLayout;
  /** bench.toml, read, on the new bench CLI's layout. */
  benchToml: BenchToml | null;
  procfilePath: string;
  entries: BenchEntry[];
  /** Variables a line's process gets that its Procfile line cannot carry (the new CLI's MALLOC_ARENA_MAX, DEV_SERVER), by line name. */
  lineEnv: Record<string, Record<string, string>>;
  dotenv: Record<string, string>;
  config: ResolvedSiteConfig;
  sites: Site[];
  /** Per Procfile entry that runs redis-server: its conf with command-line overrides; null if the conf is missing. */
  redisConfs: Record<string, { path: string | null; conf: RedisConf | null }>;
  /** The bench's path as Frappe sees it: symlinks resolved, or FRAPPE_BENCH_ROOT. */
  realDir: string;
  /** Frappe's version in apps/frappe, when there is one. */
  frappeVersion: string | null;
  /** How Frappe names this bench's RQ queues. */
  queues: QueueNaming;
  warnings: Warning[];
}

export interface LoadOptions {
  /** `-e FILE[,FILE]`; default: `.env` at the bench root when it exists. */
  envFiles?: string[];
  /** The environment fbench runs in (for FRAPPE_* overrides). */
  env?: Readonly<Record<string, string | undefined>>;
  procfile?: string;
}

/** Read a bench folder, in phases: its layout, its process lines, .env, the site config, the Redis confs. All file access of the bench model happens here. */
export function loadBench(dir: string, opts: LoadOptions = {}): BenchModel {
  const warnings: Warning[] = [];
  const layout = benchLayout(dir);
  if (!layout)
    throw new FbenchError(`${dir} is not a bench folder (it needs bench.toml, or a Procfile, and a sites/ folder)`, 'point --bench at your bench folder');
  const benchToml = layout.benchToml
    ? parseBenchToml(readTextFile(layout.benchToml, 'bench.toml', 'restore it, or run fbench in a bench made by `bench new`'), 'bench.toml')
    : null;
  if (layout.alsoHasProcfile) {
    warnings.push({
      file: 'Procfile',
      message: 'ignored: this folder also has bench.toml, which wins (the new bench CLI runs config/Procfile); remove the old Procfile, or pass -p Procfile',
    });
  }
  const { procfilePath, procfile, lineEnv } = processLines(dir, layout, benchToml, opts, warnings);
  const dotenv = readDotenvFiles(dir, opts, warnings);

  const cscPath = path.join(dir, 'sites', 'common_site_config.json');
  const cscFile = rel(dir, cscPath);
  let common: unknown = {};
  if (existsSync(cscPath)) common = parseJson(readTextFile(cscPath, cscFile, 'restore it (`bench setup config` writes a new one)'), cscFile);
  else warnings.push({ file: cscFile, message: "missing: using bench's defaults (ports 8000/9000, Redis on 13000/11000)" });
  const resolved = resolveSiteConfig(common, { ...opts.env, ...dotenv }, cscFile);
  warnings.push(...resolved.warnings);
  if (benchToml) warnings.push(...tomlDisagreements(benchToml, resolved.config, cscFile, layout.regenerate));

  const entries = procfile.entries.map(classifyEntry);
  const redisConfs = readRedisConfs(dir, entries, layout, procfilePath, warnings);
  const realDir = opts.env?.FRAPPE_BENCH_ROOT || realPath(dir);
  const frappeVersion = readFrappeVersion(dir);
  const major = frappeVersion === null ? null : frappeMajor(frappeVersion);
  // v13 and before named queues plainly; unknown (no apps/frappe): today's naming.
  const queues = { prefixed: major === null || major >= 14, benchId: benchId(resolved.config, realDir) };
  return {
    dir,
    layout,
    benchToml,
    procfilePath,
    entries,
    lineEnv,
    dotenv,
    config: resolved.config,
    sites: readSites(dir, common),
    redisConfs,
    realDir,
    frappeVersion,
    queues,
    warnings,
  };
}

/**
 * The process lines: the Procfile as written, or on the new CLI's bench what bench.toml says.
 * The new CLI runs what bench.toml says: it writes config/Procfile from it at every start. A
 * config/Procfile as new as bench.toml is the CLI's own rendering (whatever its version adds);
 * an older one is stale, and fbench renders bench.toml as the CLI would. -p wins over both.
 * What the CLI's runner gives each process besides its line (MALLOC_ARENA_MAX, DEV_SERVER) comes from bench.toml either way.
 */
function processLines(
  dir: string,
  layout: BenchLayout,
  benchToml: BenchToml | null,
  opts: LoadOptions,
  warnings: Warning[],
): { procfilePath: string; procfile: ReturnType<typeof parseProcfile>; lineEnv: Record<string, Record<string, string>> } {
  const procfilePath = path.resolve(dir, opts.procfile ?? layout.procfile);
  const procfileRel = rel(dir, procfilePath);
  const cli =
    benchToml && !opts.procfile ? cliLines(benchToml, { bench: dir, cliRoot: path.dirname(path.dirname(dir)), redisServer: redisServer(opts.env) }) : null;
  const stale = cli !== null && mtime(procfilePath) < mtime(layout.benchToml!);
  const procfile = stale
    ? parseProcfile(cliProcfile(cli), 'bench.toml')
    : parseProcfile(
        readTextFile(procfilePath, procfileRel, opts.procfile ? 'check the -p/--procfile option' : `run \`${layout.regenerate}\` to create it`),
        procfileRel,
      );
  warnings.push(...procfile.warnings);
  if (stale && existsSync(procfilePath)) {
    warnings.push({
      file: procfileRel,
      message: `older than bench.toml: fbench runs what bench.toml says, as the CLI's \`bench start\` would (it writes ${procfileRel} again first; \`${layout.regenerate}\` does it now)`,
    });
  }
  const lineEnv = Object.fromEntries((cli ?? []).filter((l) => Object.keys(l.env).length).map((l) => [l.name, l.env]));
  return { procfilePath, procfile, lineEnv };
}

/** The .env files, read as honcho reads them (later files win). */
function readDotenvFiles(dir: string, opts: LoadOptions, warnings: Warning[]): Record<string, string> {
  const dotenv: Record<string, string> = {};
  const envFiles = opts.envFiles ?? (existsSync(path.join(dir, '.env')) ? ['.env'] : []);
  for (const f of envFiles) {
    const p = path.resolve(dir, f);
    const parsed = parseDotenv(
      readTextFile(p, rel(dir, p), opts.envFiles ? 'check the -e option' : 'fix or remove .env (fbench reads it as honcho does)'),
      rel(dir, p),
    );
    Object.assign(dotenv, parsed.values);
    warnings.push(...parsed.warnings);
  }
  return dotenv;
}

/** Each Redis line's conf, with the options its command line adds; a conf that is missing is warned of. */
function readRedisConfs(dir: string, entries: readonly BenchEntry[], layout: BenchLayout, procfilePath: string, warnings: Warning[]): BenchModel['redisConfs'] {
  const redisConfs: BenchModel['redisConfs'] = {};
  for (const entry of entries) {
    if (entry.info.role !== 'redis') continue;
    const argv = entry.shape.argv;
    const confArg = argv[1] !== undefined && !argv[1].startsWith('--') ? argv[1] : null;
    const args = argv.slice(confArg ? 2 : 1);
    if (confArg === null) {
      redisConfs[entry.name] = { path: null, conf: applyRedisArgs({ lines: {} }, args) };
      continue;
    }
    const confPath = path.resolve(dir, confArg);
    if (!existsSync(confPath)) {
      warnings.push({
        file: rel(dir, procfilePath),
        line: entry.line,
        message: `${entry.name}: ${confArg} does not exist; redis-server will refuse to start (run ${layout.commands.setupRedis})`,
      });
      redisConfs[entry.name] = { path: confPath, conf: null };
      continue;
    }
    const text = readTextFile(confPath, rel(dir, confPath), `run ${layout.commands.setupRedis} to write it again`);
    redisConfs[entry.name] = { path: confPath, conf: applyRedisArgs(parseRedisConf(text), args) };
  }
  return redisConfs;
}

/**
 * The new CLI writes common_site_config.json from bench.toml; Frappe reads the JSON. Ports that
 * differ mean bench.toml was edited since: say so, with the command that writes it again. Pure.
 */
function tomlDisagreements(toml: BenchToml, config: ResolvedSiteConfig, file: string, regenerate: string): Warning[] {
  const pairs: [string, number, string, number][] = [
    ['http_port', toml.httpPort, 'webserver_port', config.webserverPort],
    ['socketio_port', toml.socketioPort, 'socketio_port', config.socketioPort],
    ['redis.cache_port', toml.redis.cachePort, 'redis_cache', config.redis.cache.port],
    ['redis.queue_port', toml.redis.queuePort, 'redis_queue', config.redis.queue.port],
  ];
  return pairs
    .filter(([, a, , b]) => a !== b)
    .map(([tk, a, ck, b]) => ({
      file,
      message: `${ck} says ${b} but bench.toml's ${tk} is ${a}: Frappe uses ${b} (run \`${regenerate}\` to write bench.toml's values)`,
    }));
}

function mtime(p: string): number {
  try {
    return statSync(p).mtimeMs;
  } catch {
    return Infinity;
  }
}

function readFrappeVersion(dir: string): string | null {
  try {
    return (
      /^__version__\s*=\s*["']([^"']+)["']/m.exec(
        readBounded(path.join(dir, 'apps', 'frappe', 'frappe', '__init__.py'), { maxBytes: 64 * 1024, cut: true }).toString('utf8'),
      )?.[1] ?? null
    );
  } catch {
    return null;
  }
}

/** A folder under sites/ is a site when it holds site_config.json. */
function readSites(dir: string, common: unknown): Site[] {
  const sitesDir = path.join(dir, 'sites');
  const sites: Site[] = [];
  for (const d of readdirSync(sitesDir, { withFileTypes: true })) {
    if (!d.isDirectory()) continue;
    const p = path.join(sitesDir, d.name, 'site_config.json');
    if (!existsSync(p)) continue;
    const own = parseJson(readTextFile(p, rel(dir, p), `fix it, or move sites/${d.name} away if it is not a site`), rel(dir, p));
    sites.push({ name: d.name, config: { ...(common as object), ...(own as object) } });
  }
  return sites.sort((a, b) => a.name.localeCompare(b.name));
}

function rel(dir: string, p: string): string {
  const r = path.relative(dir, p);
  return r.startsWith('..') ? p : r;
}

/**
 * Where the developer opens the site: `http://<site>:<webserver_port>` (`*.localhost` names resolve
 * to this machine; Frappe picks the site by the Host header), or `http://localhost:<port>` for
 * the default site when its name would need /etc/hosts. Null without one site to name. Pure.
 */
/** The site a request without a Host header goes to: the default site, or the only one. Pure. */
function siteName(model: Pick<BenchModel, 'sites' | 'config'>): string | null {
  return model.config.defaultSite ?? (model.sites.length === 1 ? model.sites[0]!.name : null);
}

export function siteUrl(model: Pick<BenchModel, 'sites' | 'config'>): string | null {
  const port = model.config.webserverPort;
  const name = siteName(model);
  if (!name) return null;
  if (name === 'localhost' || name.endsWith('.localhost')) return `http://${name}:${port}`;
  return model.config.defaultSite ? `http://localhost:${port}` : `http://${name}:${port}`;
}

/** redis-server (or Valkey's) as the new CLI finds it on PATH: its Procfile names the absolute path. */
function redisServer(env: Readonly<Record<string, string | undefined>> = process.env): string {
  const pathVar = env.PATH ?? process.env.PATH ?? '';
  return which('redis-server', pathVar) ?? which('valkey-server', pathVar) ?? 'redis-server';
}
