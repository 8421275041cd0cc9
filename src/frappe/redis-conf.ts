import { optionValue } from '../config/shell-command.js';

/** The settings of a redis.conf that matter to starting and reaching it. */
export interface RedisConf {
  port?: number;
  bind?: string;
  requirepass?: string;
  aclfile?: string;
  dir?: string;
  pidfile?: string;
  dbfilename?: string;
  /** `save ""` (bench's cache conf, every conf of the new CLI's): nothing is written to disk, a restart starts empty. */
  saveOff?: boolean;
  /** `appendonly yes`: every write is kept on disk. */
  appendonly?: boolean;
  /** Lines where each setting stood, for messages. */
  lines: Partial<Record<keyof Omit<RedisConf, 'lines'>, number>>;
}

const KEYS = ['port', 'bind', 'requirepass', 'aclfile', 'dir', 'pidfile', 'dbfilename'] as const;
type Key = (typeof KEYS)[number];

/** Parse redis.conf text (last occurrence wins, as in Redis). Pure. */
export function parseRedisConf(text: string): RedisConf {
  const conf: RedisConf = { lines: {} };
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const m = /^(\S+)\s+(.*)$/.exec(line);
    if (!m) return;
    const key = m[1]!.toLowerCase() as Key;
    if ((key as string) === 'save') conf.saveOff = /^(""|'')$/.test(m[2]!.trim());
    if ((key as string) === 'appendonly') conf.appendonly = m[2]!.trim().toLowerCase() === 'yes';
    if (!(KEYS as readonly string[]).includes(key)) return;
    set(conf, key, unquote(m[2]!.trim()));
    conf.lines[key] = i + 1;
  });
  return conf;
}

/** `redis-server conf --port 11001` overrides the file's settings. Pure. */
export function applyRedisArgs(conf: RedisConf, args: readonly string[]): RedisConf {
  const out: RedisConf = { ...conf, lines: { ...conf.lines } };
  for (const key of KEYS) {
    const v = optionValue(args, `--${key}`);
    if (v !== undefined) {
      set(out, key, v);
      delete out.lines[key];
    }
  }
  return out;
}

function set(conf: RedisConf, key: Key, value: string): void {
  if (key === 'port') {
    const n = Number(value);
    if (Number.isInteger(n)) conf.port = n;
  } else if (key === 'bind') {
    conf.bind = value.split(/\s+/)[0]!; // first address is the one to reach it on
  } else {
    conf[key] = value;
  }
}

function unquote(v: string): string {
  return /^".*"$/.test(v) || /^'.*'$/.test(v) ? v.slice(1, -1) : v;
}

/** Whether a Redis started from this conf gets its data back after a restart (an RDB or the append-only file). Pure. */
export function keepsData(conf: RedisConf): boolean {
  return conf.appendonly === true || conf.saveOff !== true;
}
