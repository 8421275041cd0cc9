import { parse, TomlError } from 'smol-toml';
import { FbenchError } from '../errors.js';

/** One `[[workers]]` group of bench.toml: `count` workers listening to `queues`. */
export interface TomlWorkerGroup {
  queues: string[];
  count: number;
}

/**
 * What fbench reads of a `bench.toml` (the new bench CLI's source of truth, frappe/pilot);
 * its defaults are the CLI's own (pilot/config/bench.py) for a key that is missing.
 */
export interface BenchToml {
  name: string;
  httpPort: number;
  socketioPort: number;
  socketioBackend: 'node' | 'python';
  reloadPython: boolean;
  watchAppsJs: boolean;
  watchAdminJs: boolean;
  redis: { cachePort: number; queuePort: number };
  workers: TomlWorkerGroup[];
  adminPort: number;
  /** `[admin] timeout`: seconds, passed to the admin's `--timeout`. */
  adminTimeout: number;
  /** `[gunicorn] malloc_arena_max`: MALLOC_ARENA_MAX of the Python workers (0: unset). */
  mallocArenaMax: number;
  production: boolean;
  /** `[production] process_manager` ("" when undeployed): systemd runs the workers as one worker-pool. */
  processManager: string;
  /** `[production] use_companion_manager`: web and the admin only. */
  useCompanionManager: boolean;
}

/** The ports bench.toml holds, by their dotted key: what `ports --reassign` may rewrite. */
export const TOML_PORT_KEYS = ['bench.http_port', 'bench.socketio_port', 'redis.cache_port', 'redis.queue_port', 'admin.port'] as const;
export type TomlPortKey = (typeof TOML_PORT_KEYS)[number];

/** Parse bench.toml. A broken file is one FbenchError at `bench.toml:LINE:COL`. Pure. */
export function parseBenchToml(text: string, file = 'bench.toml'): BenchToml {
  let doc: Record<string, unknown>;
  try {
    doc = parse(text) as Record<string, unknown>;
  } catch (err) {
    if (err instanceof TomlError) {
      const what = err.message.split('\n')[0]!.replace(/^Invalid TOML document: /, '');
      throw new FbenchError(what, 'fix bench.toml (TOML syntax: https://toml.io)', { file, line: err.line, column: err.column });
    }
    throw err;
  }
  const table = (key: string): Record<string, unknown> => {
    const t = doc[key];
    if (t === undefined) return {};
    if (typeof t !== 'object' || t === null || Array.isArray(t)) throw new FbenchError(`[${key}] must be a table`, `write it as [${key}]`, { file });
    return t as Record<string, unknown>;
  };
  const bench = table('bench');
  const redis = table('redis');
  const admin = table('admin');
  const production = table('production');
  const gunicorn = table('gunicorn');
  const whole = (t: Record<string, unknown>, section: string, key: string, fallback: number): number => {
    const v = t[key];
    if (v === undefined) return fallback;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0)
      throw new FbenchError(`${section}.${key} is ${JSON.stringify(v)}: it must be a whole number`, `set ${key} = <number> under [${section}]`, { file });
    return v;
  };
  const port = (t: Record<string, unknown>, section: string, key: string, fallback: number): number => {
    const v = t[key];
    if (v === undefined) return fallback;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > 65535) {
      throw new FbenchError(`${section}.${key} is ${JSON.stringify(v)}: a port is a whole number from 1 to 65535`, `set ${key} = <port> under [${section}]`, {
        file,
      });
    }
    return v;
  };
  const flag = (t: Record<string, unknown>, section: string, key: string, fallback: boolean): boolean => {
    const v = t[key];
    if (v === undefined) return fallback;
    if (typeof v !== 'boolean')
      throw new FbenchError(`${section}.${key} is ${JSON.stringify(v)}: it must be true or false`, `set ${key} = true or false under [${section}]`, { file });
    return v;
  };
  const backend = bench.socketio_backend ?? 'node';
  if (backend !== 'node' && backend !== 'python') {
    throw new FbenchError(
      `bench.socketio_backend is ${JSON.stringify(backend)}: it must be "node" or "python"`,
      'set socketio_backend = "node" or "python" under [bench]',
      { file },
    );
  }
  return {
    name: typeof bench.name === 'string' ? bench.name : '',
    httpPort: port(bench, 'bench', 'http_port', 8000),
    socketioPort: port(bench, 'bench', 'socketio_port', 9000),
    socketioBackend: backend,
    reloadPython: flag(bench, 'bench', 'reload_python', true),
    watchAppsJs: flag(bench, 'bench', 'watch_apps_js', true),
    watchAdminJs: flag(bench, 'bench', 'watch_admin_js', false),
    redis: { cachePort: port(redis, 'redis', 'cache_port', 13000), queuePort: port(redis, 'redis', 'queue_port', 11000) },
    workers: workerGroups(doc.workers, file),
    adminPort: port(admin, 'admin', 'port', 7000),
    adminTimeout: whole(admin, 'admin', 'timeout', 180),
    mallocArenaMax: whole(gunicorn, 'gunicorn', 'malloc_arena_max', 2),
    production: flag(production, 'production', 'enabled', false),
    processManager: typeof production.process_manager === 'string' ? production.process_manager.trim().toLowerCase() : '',
    useCompanionManager: flag(production, 'production', 'use_companion_manager', false),
  };
}

/** `[[workers]]`: the CLI's default is one worker on default, short and long. */
function workerGroups(raw: unknown, file: string): TomlWorkerGroup[] {
  if (raw === undefined || (Array.isArray(raw) && raw.length === 0)) return [{ queues: ['default', 'short', 'long'], count: 1 }];
  if (!Array.isArray(raw))
    throw new FbenchError('workers must be an array of tables', 'write each group as [[workers]] with queues = [...] and count = N', { file });
  return raw.map((g, i) => {
    const group = (typeof g === 'object' && g !== null ? g : {}) as Record<string, unknown>;
    const queues = group.queues ?? [group.queue ?? 'default'];
    if (!Array.isArray(queues) || queues.length === 0 || !queues.every((q) => typeof q === 'string' && q !== '')) {
      throw new FbenchError(`workers[${i}].queues must be a non-empty list of queue names`, 'write queues = ["default", "short"]', { file });
    }
    const count = group.count ?? 1;
    if (typeof count !== 'number' || !Number.isInteger(count) || count < 1) {
      throw new FbenchError(`workers[${i}].count is ${JSON.stringify(count)}: it must be a whole number of 1 or more`, 'write count = 1', { file });
    }
    return { queues: queues as string[], count };
  });
}

/**
 * bench.toml with some values replaced in place: each `key = value` line of its table is
 * rewritten, everything else (comments, order, spacing) kept. Keys that are missing are added
 * at the end of their table (or in a new table). Pure.
 */
export function editBenchToml(text: string, values: Partial<Record<TomlPortKey, number> & { 'bench.name': string }>): string {
  const lines = text.split('\n');
  const pending = new Map(
    (Object.entries(values) as [TomlPortKey, number | string][]).map(([k, v]) => [k, typeof v === 'string' ? JSON.stringify(v) : String(v)]),
  );
  let section = '';
  // Where each table ends (the index of its last key line), to add a missing key there.
  const lastLineOf = new Map<string, number>();
  lines.forEach((line, i) => {
    const header = /^\s*\[([A-Za-z0-9_.-]+)\]\s*(#.*)?$/.exec(line);
    if (header) {
      section = header[1]!;
      lastLineOf.set(section, i);
      return;
    }
    if (/^\s*\[\[/.test(line)) {
      section = '';
      return;
    }
    const kv = /^(\s*)([A-Za-z0-9_-]+)(\s*=\s*)([^#\s]+)(.*)$/.exec(line);
    if (!kv || !section) return;
    lastLineOf.set(section, i);
    const key = `${section}.${kv[2]}` as TomlPortKey;
    const v = pending.get(key);
    if (v === undefined) return;
    lines[i] = `${kv[1]}${kv[2]}${kv[3]}${v}${kv[5]}`;
    pending.delete(key);
  });
  // Added from the bottom up, so earlier insert positions stay right.
  const adds = [...pending].map(([key, v]) => ({ section: key.slice(0, key.indexOf('.')), line: `${key.slice(key.indexOf('.') + 1)} = ${v}` }));
  for (const add of adds.filter((a) => lastLineOf.has(a.section)).sort((a, b) => lastLineOf.get(b.section)! - lastLineOf.get(a.section)!)) {
    lines.splice(lastLineOf.get(add.section)! + 1, 0, add.line);
  }
  const fresh = adds.filter((a) => !lastLineOf.has(a.section));
  for (const s of new Set(fresh.map((a) => a.section))) {
    if (lines.length && lines[lines.length - 1] === '') lines.pop();
    lines.push('', `[${s}]`, ...fresh.filter((a) => a.section === s).map((a) => a.line), '');
  }
  return lines.join('\n');
}
