import { parseCount, parsePort } from '../config/numbers.js';
import { FbenchError, type Warning } from '../errors.js';
import type { RedisCheck, RedisTarget } from '../health/types.js';

/** What a queue name may be: it becomes part of a Procfile name (worker_<queue>) and of a command. */
export const QUEUE_NAME = /^[A-Za-z0-9_-]+$/;

/** One custom queue from the `workers` key of common_site_config.json. */
export interface CustomQueueConfig {
  timeout?: number;
  background_workers?: number;
}

/** A Redis URL with where it came from, so errors can name the key to fix. */
export interface RedisUrl extends RedisTarget {
  url: string;
  /** `common_site_config.json: redis_queue`, `FRAPPE_REDIS_QUEUE`, or `bench default`. */
  source: string;
}

export type RedisKind = 'cache' | 'queue' | 'socketio';

/** common_site_config.json with bench's defaults filled in and env overrides applied. */
export interface ResolvedSiteConfig {
  webserverPort: number;
  socketioPort: number;
  fileWatcherPort: number;
  backgroundWorkers: number;
  gunicornWorkers: number;
  redis: Partial<Record<RedisKind, RedisUrl>> & { cache: RedisUrl; queue: RedisUrl };
  workers: Record<string, CustomQueueConfig>;
  dbHost: string;
  dbPort: number;
  dbType: string;
  /** FRAPPE_DB_HOST / FRAPPE_DB_PORT: they win over every site's own config. */
  dbFromEnv: { host?: string; port?: number };
  useRqAuth: boolean;
  rqUsername?: string;
  rqPassword?: string;
  benchId?: string;
  defaultSite?: string;
  /** The file's own keys, for anything not modelled above. */
  raw: Record<string, unknown>;
}

// bench's own defaults (bench/config/common_site_config.py) for a key that is missing.
export const BENCH_DEFAULTS = {
  webserver_port: 8000,
  socketio_port: 9000,
  file_watcher_port: 6787,
  background_workers: 1,
  gunicorn_workers: 2,
  redis_cache: 'redis://127.0.0.1:13000',
  redis_queue: 'redis://127.0.0.1:11000',
  db_host: '127.0.0.1',
} as const;

const ENV_OVERRIDES: Record<string, string> = {
  redis_cache: 'FRAPPE_REDIS_CACHE',
  redis_queue: 'FRAPPE_REDIS_QUEUE',
  db_host: 'FRAPPE_DB_HOST',
  db_port: 'FRAPPE_DB_PORT',
};

/** Apply bench's defaults and the FRAPPE_* environment overrides. Pure. */
export function resolveSiteConfig(
  raw: unknown,
  env: Readonly<Record<string, string | undefined>>,
  file = 'sites/common_site_config.json',
): { config: ResolvedSiteConfig; warnings: Warning[] } {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new FbenchError('must hold a JSON object', 'write it as { "key": value, ... }', { file });
  }
  const obj = raw as Record<string, unknown>;
  const warnings: Warning[] = [];

  const pick = (key: string): { value: unknown; source: string } => {
    const envName = ENV_OVERRIDES[key];
    if (envName && env[envName]) return { value: env[envName], source: envName };
    if (obj[key] !== undefined && obj[key] !== null && obj[key] !== '') return { value: obj[key], source: `${file}: ${key}` };
    return { value: (BENCH_DEFAULTS as Record<string, unknown>)[key], source: `bench default for ${key}` };
  };
  // Numbers are checked where they are read: the key (or variable) and the file are named.
  const where = (source: string): { what: string; loc?: { file: string } } =>
    source.startsWith(file) ? { what: source.slice(file.length + 2), loc: { file } } : { what: source.replace(/^bench default for /, '') };
  const port = (key: string, fallback: number): number => {
    const { value, source } = pick(key);
    if (value === undefined) return fallback;
    const w = where(source);
    return parsePort(value, w.what, w.loc);
  };
  const count = (key: string, fallback: number): number => {
    const { value, source } = pick(key);
    if (value === undefined) return fallback;
    const w = where(source);
    return parseCount(value, w.what, w.loc);
  };
  const redisUrl = (key: string): RedisUrl | undefined => {
    const { value, source } = pick(key);
    if (value === undefined) return undefined;
    return parseRedisUrl(String(value), source);
  };

  const workers: Record<string, CustomQueueConfig> = {};
  if (obj.workers !== undefined) {
    if (typeof obj.workers !== 'object' || obj.workers === null || Array.isArray(obj.workers)) {
      throw new FbenchError('"workers" must be an object of queue names', 'write it as "workers": { "email": { "timeout": 600, "background_workers": 1 } }', {
        file,
      });
    }
    for (const [queue, conf] of Object.entries(obj.workers as Record<string, unknown>)) {
      // A queue name becomes a process type (worker_<queue>) and a word of a command line.
      if (!QUEUE_NAME.test(queue)) {
        throw new FbenchError(
          `"workers" has a queue named ${JSON.stringify(queue)}: queue names may use only letters, digits, "_" and "-"`,
          'rename the queue (Frappe passes it to RQ and bench to a command line)',
          { file },
        );
      }
      const c = (typeof conf === 'object' && conf !== null ? conf : {}) as Record<string, unknown>;
      if (c.timeout !== undefined && (typeof c.timeout !== 'number' || !(c.timeout > 0))) {
        throw new FbenchError(`workers.${queue}.timeout must be a number of seconds, got ${JSON.stringify(c.timeout)}`, `for example "timeout": 600`, { file });
      }
      workers[queue] = {
        ...(typeof c.timeout === 'number' ? { timeout: c.timeout } : {}),
        ...(c.background_workers !== undefined
          ? { background_workers: parseCount(c.background_workers, `workers.${queue}.background_workers`, { file }) }
          : {}),
      };
    }
  }

  const dbType = typeof obj.db_type === 'string' ? obj.db_type : 'mariadb';
  const socketio = obj.redis_socketio !== undefined ? redisUrl('redis_socketio') : undefined;
  const config: ResolvedSiteConfig = {
    webserverPort: port('webserver_port', BENCH_DEFAULTS.webserver_port),
    socketioPort: port('socketio_port', BENCH_DEFAULTS.socketio_port),
    fileWatcherPort: port('file_watcher_port', BENCH_DEFAULTS.file_watcher_port),
    backgroundWorkers: count('background_workers', BENCH_DEFAULTS.background_workers),
    gunicornWorkers: count('gunicorn_workers', BENCH_DEFAULTS.gunicorn_workers),
    redis: {
      cache: redisUrl('redis_cache')!,
      queue: redisUrl('redis_queue')!,
      ...(socketio ? { socketio } : {}),
    },
    workers,
    dbHost: String(pick('db_host').value),
    dbPort: port('db_port', dbType === 'postgres' ? 5432 : 3306),
    dbType,
    dbFromEnv: {
      ...(env.FRAPPE_DB_HOST ? { host: env.FRAPPE_DB_HOST } : {}),
      ...(env.FRAPPE_DB_PORT ? { port: parsePort(env.FRAPPE_DB_PORT, 'FRAPPE_DB_PORT') } : {}),
    },
    useRqAuth: obj.use_rq_auth === true,
    ...(typeof obj.rq_username === 'string' ? { rqUsername: obj.rq_username } : {}),
    ...(typeof obj.rq_password === 'string' ? { rqPassword: obj.rq_password } : {}),
    ...(typeof obj.bench_id === 'string' ? { benchId: obj.bench_id } : {}),
    ...(typeof obj.default_site === 'string' ? { defaultSite: obj.default_site } : {}),
    raw: obj,
  };
  return { config, warnings };
}

/**
 * How to talk to one of the bench's Redis, as Frappe does: the URL's own credentials, or for
 * the queue Redis with use_rq_auth set, rq_username/rq_password (what RQ connects with).
 * The one place plan, start and doctor get a Redis client's options from.
 */
export function redisCheck(url: RedisTarget, kind: RedisKind, config: Pick<ResolvedSiteConfig, 'useRqAuth' | 'rqUsername' | 'rqPassword'>): RedisCheck {
  const rqAuth = kind === 'queue' && config.useRqAuth && config.rqPassword !== undefined;
  const username = rqAuth ? config.rqUsername : url.username;
  const password = rqAuth ? config.rqPassword : url.password;
  return { kind: 'redis', host: url.host, port: url.port, ...(username ? { username } : {}), ...(password ? { password } : {}) };
}

/** Where a site's database is: FRAPPE_DB_* first, then the site's own config over the common one. */
export function siteDatabase(
  site: Readonly<Record<string, unknown>>,
  config: ResolvedSiteConfig,
): { host: string; port: number; kind: 'mariadb' | 'postgres' } {
  const kind = (site.db_type ?? config.dbType) === 'postgres' ? 'postgres' : 'mariadb';
  const host = config.dbFromEnv.host ?? (typeof site.db_host === 'string' && site.db_host ? site.db_host : config.dbHost);
  const port =
    config.dbFromEnv.port ??
    (site.db_port !== undefined && site.db_port !== ''
      ? parsePort(site.db_port, 'db_port')
      : kind === 'postgres' && config.dbType !== 'postgres'
        ? 5432
        : config.dbPort);
  return { host, port, kind };
}

/** The URL with its password masked, for names and messages. */
export function redactUrl(url: string): string {
  return url.replace(/^(rediss?:\/\/[^:@/]*:)[^@/]+@/, '$1***@');
}

/** Parse `redis://[user:pass@]host:port[/db]`. */
export function parseRedisUrl(url: string, source: string): RedisUrl {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new FbenchError(`not a Redis URL: ${JSON.stringify(url)} (from ${source})`, 'write it as redis://127.0.0.1:11000');
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') {
    throw new FbenchError(`not a Redis URL: ${JSON.stringify(url)} (from ${source})`, 'write it as redis://127.0.0.1:11000');
  }
  return {
    url,
    host: u.hostname || '127.0.0.1',
    port: u.port ? Number(u.port) : 6379,
    ...(u.username ? { username: decodeURIComponent(u.username) } : {}),
    ...(u.password ? { password: decodeURIComponent(u.password) } : {}),
    source,
  };
}
