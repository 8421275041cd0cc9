import path from 'node:path';
import { editBenchToml, type TomlPortKey } from '../config/bench-toml.js';
import { jsonMembers, setJsonMembers } from '../config/json-file.js';
import type { BenchToml } from '../config/bench-toml.js';
import type { BenchModel } from './bench-model.js';
import type { ResolvedSiteConfig } from './site-config.js';

/** The ports a bench is set up with, by the key bench names them with in common_site_config.json (the new CLI's admin: admin_port). */
export type PortKey = 'webserver_port' | 'socketio_port' | 'file_watcher_port' | 'redis_cache' | 'redis_queue' | 'redis_socketio' | 'admin_port';
export const PORT_KEYS: readonly PortKey[] = [
  'webserver_port',
  'socketio_port',
  'file_watcher_port',
  'redis_cache',
  'redis_queue',
  'redis_socketio',
  'admin_port',
];

/** Where bench.toml holds each port (it is the source of truth of a new CLI's bench; common_site_config.json is written from it). */
const TOML_KEYS: Partial<Record<PortKey, TomlPortKey>> = {
  webserver_port: 'bench.http_port',
  socketio_port: 'bench.socketio_port',
  redis_cache: 'redis.cache_port',
  redis_queue: 'redis.queue_port',
  admin_port: 'admin.port',
};

/** One port of the bench and every place it is set. */
export interface BenchPort {
  key: PortKey;
  port: number;
  /** `sites/common_site_config.json:12`, `config/redis_queue.conf:5`, `Procfile:3`, or `bench default`. */
  where: string[];
}

const CSC = path.join('sites', 'common_site_config.json');

/** The line of a text an offset is on. */
const lineOf = (text: string, offset: number): number => text.slice(0, offset).split('\n').length;

/** The ports of a config, by key (a Redis URL's port; redis_socketio only when set; the admin's on a bench.toml bench). Pure. */
export function configPorts(config: ResolvedSiteConfig, toml: Pick<BenchToml, 'adminPort'> | null = null): Partial<Record<PortKey, number>> {
  return {
    ...(toml ? { admin_port: toml.adminPort } : {}),
    webserver_port: config.webserverPort,
    socketio_port: config.socketioPort,
    file_watcher_port: config.fileWatcherPort,
    redis_cache: config.redis.cache.port,
    redis_queue: config.redis.queue.port,
    ...(config.redis.socketio ? { redis_socketio: config.redis.socketio.port } : {}),
  };
}

/** The Procfile Redis line and conf that serve a Redis key, if the bench starts that Redis. */
function redisLineOf(model: BenchModel, key: PortKey): { name: string; line: number; conf: string | null; confLine: number | null } | null {
  const port = configPorts(model.config)[key];
  for (const e of model.entries) {
    const found = model.redisConfs[e.name];
    if (!found?.conf || found.conf.port !== port) continue;
    return { name: e.name, line: e.line, conf: found.path, confLine: found.conf.lines.port ?? null };
  }
  return null;
}

/**
 * Every port of the bench with the places it is set, as read from its files (`csc`: the text
 * of common_site_config.json; `toml`: of bench.toml). Pure.
 */
export function benchPorts(model: BenchModel, csc: string | null, toml: string | null = null): BenchPort[] {
  const members = csc ? jsonMembers(csc) : [];
  const inCsc = (key: string): string[] => {
    const m = members.find((x) => x.key === key);
    return m ? [`${CSC}:${lineOf(csc!, m.valueStart)}`] : [];
  };
  const inToml = (key: PortKey): string[] => {
    const dotted = TOML_KEYS[key];
    if (!toml || !dotted) return [];
    const [table, name] = dotted.split('.');
    const at = new RegExp(`^\\[${table}\\][^]*?^\\s*${name}\\s*=`, 'm').exec(toml);
    return at ? [`bench.toml:${lineOf(toml, at.index + at[0].length)}`] : [];
  };
  const ports = configPorts(model.config, model.benchToml);
  const procfileRel = path.relative(model.dir, model.procfilePath);
  const web = model.entries.find((e) => e.info.role === 'web' && e.info.port !== undefined);
  const admin = model.entries.find((e) => e.info.role === 'admin' && e.info.port !== undefined);
  return PORT_KEYS.filter((k) => ports[k] !== undefined).map((key) => {
    const where = [...inToml(key), ...inCsc(key)];
    if (key === 'webserver_port' && web) where.push(`${procfileRel}:${web.line}`);
    if (key === 'admin_port' && admin) where.push(`${procfileRel}:${admin.line}`);
    const redis = key.startsWith('redis_') ? redisLineOf(model, key) : null;
    if (redis?.conf) where.push(`${path.relative(model.dir, redis.conf)}${redis.confLine ? `:${redis.confLine}` : ''}`);
    return { key, port: key === 'webserver_port' && web ? web.info.port! : ports[key]!, where: where.length ? where : ['bench default'] };
  });
}

/** A port moved by `fbench ports --reassign`. */
export interface PortMove {
  key: PortKey;
  from: number;
  to: number;
}

/**
 * New ports for a copied bench, by bench's own rule for a new bench: each one more than the
 * highest its key has among the sibling benches, then the next that nothing else uses
 * (`taken`: held by another program, or a running fbench session's). A port that clashes with
 * nothing stays. Redis URLs that share a port (one Redis: socketio on the cache in v14+, on
 * the queue in v15's bench) keep sharing it: they move together. Pure.
 */
export function choosePorts(mine: readonly BenchPort[], siblings: readonly Partial<Record<PortKey, number>>[], taken: (port: number) => boolean): PortMove[] {
  const siblingPorts = new Set(siblings.flatMap((s) => Object.values(s)));
  const chosen = new Set<number>();
  const moves: PortMove[] = [];
  const isRedis = (p: BenchPort): boolean => p.key.startsWith('redis_');
  // The first Redis key on a port speaks for the others there.
  const leaderOf = (p: BenchPort): BenchPort => (isRedis(p) ? mine.find((q) => isRedis(q) && q.port === p.port)! : p);
  for (const p of mine) {
    if (leaderOf(p) !== p) continue;
    const clash = siblingPorts.has(p.port) || taken(p.port) || chosen.has(p.port) || mine.some((q) => leaderOf(q) !== p && q.port === p.port);
    if (!clash) {
      chosen.add(p.port);
      continue;
    }
    let to = Math.max(p.port, ...siblings.map((s) => s[p.key] ?? 0)) + 1;
    while (siblingPorts.has(to) || chosen.has(to) || taken(to) || mine.some((q) => q.port === to)) to++;
    chosen.add(to);
    moves.push({ key: p.key, from: p.port, to });
  }
  for (const p of mine) {
    const leader = leaderOf(p);
    const moved = leader !== p ? moves.find((m) => m.key === leader.key) : undefined;
    if (moved) moves.push({ key: p.key, from: p.port, to: moved.to });
  }
  return moves;
}

/** One file rewritten: its text before and after, and what changed in it, in words. */
export interface FileEdit {
  file: string;
  before: string;
  after: string;
  changes: string[];
}

/** A Redis URL with another port, its scheme, credentials, host and database kept. Pure. */
export function withPort(url: string, port: number): string {
  const m = /^(rediss?:\/\/(?:[^@/]*@)?(?:\[[^\]]*\]|[^:/]*))(?::\d+)?(.*)$/.exec(url);
  return m ? `${m[1]}:${port}${m[2]}` : url;
}

export interface ReassignFacts {
  /** The text of each file, by absolute path (missing: not there). */
  read: (file: string) => string | null;
  /** Whether a folder is a bench (bench.toml or a Procfile, and sites/), for paths a copied conf or Procfile still points into. */
  isBench: (dir: string) => boolean;
}

/** The other bench an absolute path points into (a copy's confs and Procfile still do), or null. */
export function otherBenchOf(value: string, bench: string, isBench: (dir: string) => boolean): string | null {
  if (!path.isAbsolute(value) || !path.relative(bench, value).startsWith('..')) return null;
  // The path itself may be that bench (the CLI's admin line: `--bench-root <bench>`).
  for (let dir = value; dir !== path.dirname(dir); dir = path.dirname(dir)) {
    if (isBench(dir)) return dir;
  }
  return null;
}

/** An absolute path into another bench, re-pointed at this one (its part after that bench's folder kept); null when it is not one. */
function repoint(value: string, bench: string, facts: ReassignFacts): string | null {
  const other = otherBenchOf(value, bench, facts.isBench);
  return other === null ? null : path.join(bench, path.relative(other, value));
}

/**
 * The files to rewrite for these moves: common_site_config.json (the ports, and the Redis URLs
 * with their scheme, host and credentials kept), each Redis conf (`port`, and `dir`, `pidfile`,
 * `aclfile` that point into another bench re-pointed at this one), the Procfile's `--port`s.
 * Only the changed values; every other byte stays. Pure (files read through `facts`).
 */
export function reassignEdits(model: BenchModel, moves: readonly PortMove[], facts: ReassignFacts): FileEdit[] {
  const edits: FileEdit[] = [];
  for (const edit of [siteConfigEdit, redisConfEdits, benchTomlEdit, procfileEdit]) edits.push(...edit(model, moves, facts));
  return edits;
}

/** common_site_config.json: the ports, and the Redis URLs (scheme, host and credentials kept). */
function siteConfigEdit(model: BenchModel, moves: readonly PortMove[], facts: ReassignFacts): FileEdit[] {
  const edits: FileEdit[] = [];
  const moved = new Map(moves.map((m) => [m.from, m.to]));
  const byKey = new Map(moves.map((m) => [m.key, m]));
  const cscFile = path.join(model.dir, CSC);
  const csc = facts.read(cscFile);
  if (csc !== null) {
    const values: Record<string, string> = {};
    const changes: string[] = [];
    for (const m of moves) {
      if (m.key === 'admin_port') continue; // bench.toml's alone
      if (m.key.startsWith('redis_')) {
        const url = model.config.redis[m.key.slice('redis_'.length) as 'cache' | 'queue' | 'socketio'];
        const raw = model.config.raw[m.key];
        const base = typeof raw === 'string' ? raw : (url?.url ?? `redis://127.0.0.1:${m.from}`);
        values[m.key] = JSON.stringify(withPort(base, m.to));
      } else values[m.key] = String(m.to);
      changes.push(`${m.key} ${m.from} → ${m.to}`);
    }
    // Another Redis URL on a moved port (redis_socketio set apart from a cache that moved) follows it.
    for (const key of ['redis_socketio'] as const) {
      const raw = model.config.raw[key];
      if (typeof raw !== 'string' || byKey.has(key)) continue;
      const port = Number(/:(\d+)(?:\/|$)/.exec(raw)?.[1]);
      if (moved.has(port)) {
        values[key] = JSON.stringify(withPort(raw, moved.get(port)!));
        changes.push(`${key} ${port} → ${moved.get(port)}`);
      }
    }
    if (changes.length) edits.push({ file: cscFile, before: csc, after: setJsonMembers(csc, values), changes });
  }

  return edits;
}

/** Each Redis conf: `port`, and `dir`, `pidfile`, `aclfile` that point into another bench re-pointed at this one. */
function redisConfEdits(model: BenchModel, moves: readonly PortMove[], facts: ReassignFacts): FileEdit[] {
  const edits: FileEdit[] = [];
  const moved = new Map(moves.map((m) => [m.from, m.to]));
  for (const [name, found] of Object.entries(model.redisConfs)) {
    if (!found.path) continue;
    // A copy's Procfile names the original's confs: the copy's own are edited (the Procfile is re-pointed at them below), never the original's.
    const file = repoint(found.path, model.dir, facts) ?? found.path;
    const text = facts.read(file);
    if (text === null) continue;
    const changes: string[] = [];
    const lines = text.split('\n').map((line) => {
      const m = /^(\s*)(port|dir|pidfile|aclfile)(\s+)(\S+)(.*)$/i.exec(line);
      if (!m) return line;
      const key = m[2]!.toLowerCase();
      const value = m[4]!.replace(/^"(.*)"$/, '$1');
      let next: string | null = null;
      if (key === 'port' && moved.has(Number(value))) next = String(moved.get(Number(value)));
      else if (key !== 'port') next = repoint(value, model.dir, facts);
      if (next === null) return line;
      changes.push(`${key} ${value} → ${next}`);
      return `${m[1]}${m[2]}${m[3]}${next}${m[5]}`;
    });
    if (changes.length) edits.push({ file, before: text, after: lines.join('\n'), changes: changes.map((c) => `${name}: ${c}`) });
  }

  return edits;
}

/** bench.toml: its ports, and the bench's name after its folder. */
function benchTomlEdit(model: BenchModel, moves: readonly PortMove[], facts: ReassignFacts): FileEdit[] {
  const edits: FileEdit[] = [];
  const tomlFile = model.layout.benchToml;
  const toml = tomlFile ? facts.read(tomlFile) : null;
  if (tomlFile && toml !== null) {
    const values: Parameters<typeof editBenchToml>[1] = {};
    for (const m of moves) {
      const key = TOML_KEYS[m.key];
      if (key) values[key] = m.to;
    }
    const changes = moves.filter((m) => TOML_KEYS[m.key]).map((m) => `${TOML_KEYS[m.key]} ${m.from} → ${m.to}`);
    // The new CLI names a bench by its folder (benches/<name>): a copy named as its original would list twice under one name.
    const folderName = path.basename(model.dir);
    if (model.benchToml && model.benchToml.name && model.benchToml.name !== folderName) {
      values['bench.name'] = folderName;
      changes.push(`bench.name ${model.benchToml.name} → ${folderName}`);
    }
    if (changes.length) edits.push({ file: tomlFile, before: toml, after: editBenchToml(toml, values), changes });
  }

  return edits;
}

/** The Procfile: web's and admin's `--port`, a Redis line's, and absolute paths into another bench. */
function procfileEdit(model: BenchModel, moves: readonly PortMove[], facts: ReassignFacts): FileEdit[] {
  const edits: FileEdit[] = [];
  const moved = new Map(moves.map((m) => [m.from, m.to]));
  const byKey = new Map(moves.map((m) => [m.key, m]));
  const procfile = facts.read(model.procfilePath);
  if (procfile !== null) {
    const changes: string[] = [];
    const portKey: Partial<Record<string, PortKey>> = { web: 'webserver_port', admin: 'admin_port' };
    const after = procfile
      .split('\n')
      .map((line, i) => {
        const entry = model.entries.find((e) => e.line === i + 1);
        if (!entry) return line;
        // The new CLI writes absolute paths: a copy's still point into the bench it was copied from.
        const repointed = line.replace(/(^|\s)(\/[^\s'"]+)/g, (all, space: string, word: string) => {
          const next = repoint(word, model.dir, facts);
          if (next === null) return all;
          changes.push(`${entry.name}: ${word} → ${next}`);
          return `${space}${next}`;
        });
        if (entry.info.role !== 'web' && entry.info.role !== 'redis' && entry.info.role !== 'admin') return repointed;
        return repointed.replace(/(--port[= ])(\d+)/, (all, flag: string, port: string) => {
          const key = portKey[entry.info.role];
          const to = key ? byKey.get(key)?.to : moved.get(Number(port));
          if (to === undefined) return all;
          changes.push(`${entry.name} --port ${port} → ${to}`);
          return `${flag}${to}`;
        });
      })
      .join('\n');
    if (changes.length) edits.push({ file: model.procfilePath, before: procfile, after, changes });
  }
  return edits;
}
