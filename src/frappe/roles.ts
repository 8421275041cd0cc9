import path from 'node:path';
import type { ProcfileEntry } from '../config/procfile.js';
import { analyzeCommand, optionValue, type CommandShape } from '../config/shell-command.js';
import type { RedisKind } from './site-config.js';

export type Role = 'redis' | 'web' | 'socketio' | 'watch' | 'schedule' | 'worker' | 'other';

export interface RoleInfo {
  role: Role;
  /** web: the `--port` of `bench serve`. */
  port?: number;
  /** worker: the queues of `--queue a,b`; undefined means every queue. */
  queues?: string[];
  /** redis: the kind its Procfile name says (redis_cache → cache), before ports are compared. */
  redisKindByName?: RedisKind;
}

/** A Procfile line read as sh would read it, and classified: done once, when the bench is read. */
export interface BenchEntry extends ProcfileEntry {
  shape: CommandShape;
  info: RoleInfo;
}

export function classifyEntry(e: ProcfileEntry): BenchEntry {
  const shape = analyzeCommand(e.command);
  return { ...e, shape, info: classify(e.name, shape) };
}

/** bench's global options that take a value and may stand before the subcommand. */
const BENCH_VALUE_OPTIONS = new Set(['--site']);

/** Read a Procfile entry's role the way a Frappe developer would. Pure. */
export function classify(name: string, shape: CommandShape): RoleInfo {
  const argv = shape.argv;
  const program = path.basename(argv[0] ?? '');

  if (program === 'redis-server') {
    const kind = (['cache', 'queue', 'socketio'] as const).find((k) => name === `redis_${k}` || name.endsWith(`_${k}`));
    return { role: 'redis', ...(kind ? { redisKindByName: kind } : {}) };
  }
  if (argv.some((a) => a.endsWith('socketio.js'))) return { role: 'socketio' };

  if (program === 'bench') {
    const sub = benchSubcommand(argv);
    switch (sub) {
      case 'serve': {
        const p = optionValue(argv, '--port');
        return { role: 'web', ...(p && /^\d+$/.test(p) ? { port: Number(p) } : {}) };
      }
      case 'socketio':
        return { role: 'socketio' };
      case 'watch':
        return { role: 'watch' };
      case 'schedule':
        return { role: 'schedule' };
      case 'worker': {
        const q = optionValue(argv, '--queue', '-q');
        return {
          role: 'worker',
          ...(q
            ? {
                queues: q
                  .split(',')
                  .map((s) => s.trim())
                  .filter(Boolean),
              }
            : {}),
        };
      }
    }
  }
  return { role: 'other' };
}

function benchSubcommand(argv: readonly string[]): string | undefined {
  for (let i = 1; i < argv.length; i++) {
    const a = argv[i]!;
    if (BENCH_VALUE_OPTIONS.has(a)) i++;
    else if (!a.startsWith('-')) return a;
  }
  return undefined;
}
