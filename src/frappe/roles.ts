import path from 'node:path';
import type { ProcfileEntry } from '../config/procfile.js';
import { analyzeCommand, optionValue, type CommandShape } from '../config/shell-command.js';
import type { RedisKind } from './site-config.js';

export type Role = 'redis' | 'web' | 'socketio' | 'watch' | 'schedule' | 'worker' | 'admin' | 'other';

/** How a role goes into a production export (bench's supervisor config, systemd, containers). */
export interface RoleExport {
  /** The supervisor group it joins, or null for none. */
  group: 'web' | 'workers' | 'redis' | null;
  /** Start order: Redis (1) before what serves (4) before workers and the rest (5), as bench's supervisor config. */
  priority: 1 | 4 | 5;
  /** bench's own program name for a type of this role: frappe-web, node-socketio, frappe-worker-long. */
  program(type: string): string;
  /** frappe_docker's service name for it: backend, websocket, queue-long; a Redis is named by its kinds. */
  container(type: string): string;
}

/** What a role means wherever a process is planned, supervised, told or exported: one table, every role in it. */
export interface RoleTraits {
  /** Ready when its port listens; named with its port where the bench is said ready. */
  listens: boolean;
  /** Its exit stops the bench under --exit-on-crash, and start-up waits for it (watch is not: `frappe watch` dies on unbuilt assets). */
  critical: boolean;
  /** Replaced new-first when busy (a worker finishes its job in its old code while the new one starts). */
  handsOver: boolean;
  /** Never reads honcho's PORT (its ports come from its arguments and the site config). */
  ignoresPort: boolean;
  /** What follows an exit nobody asked for: a Redis is a server others need, any exit of it is a crash. */
  restart: 'always' | 'on-failure';
  /**
   * Its CPU priority (nice): what the developer waits for gets the CPU first. The asset build
   * burns every core for its first seconds and yields most; workers and the scheduler import
   * Frappe at the same moment as web and yield to it too, less.
   */
  nice: number;
  /** How production runs it, or null: development only (asset watching). */
  export: RoleExport | null;
}

const dashed = (type: string): string => type.replace(/_/g, '-');
const asIs = (type: string): string => dashed(type).toLowerCase();
const fixed = (program: string, container: string, group: RoleExport['group'], priority: RoleExport['priority']): RoleExport => ({
  group,
  priority,
  program: () => program,
  container: () => container,
});

/** The traits of each role. A role added to Role must be added here: the compiler says so. */
export const ROLE_TRAITS: Readonly<Record<Role, RoleTraits>> = {
  redis: {
    listens: false,
    critical: true,
    handsOver: false,
    ignoresPort: true,
    restart: 'always',
    nice: 0,
    export: { group: 'redis', priority: 1, program: dashed, container: dashed },
  },
  web: { listens: true, critical: true, handsOver: false, ignoresPort: true, restart: 'on-failure', nice: 0, export: fixed('frappe-web', 'backend', 'web', 4) },
  socketio: {
    listens: true,
    critical: true,
    handsOver: false,
    ignoresPort: true,
    restart: 'on-failure',
    nice: 0,
    export: fixed('node-socketio', 'websocket', 'web', 4),
  },
  watch: { listens: false, critical: false, handsOver: false, ignoresPort: true, restart: 'on-failure', nice: 10, export: null },
  schedule: {
    listens: false,
    critical: true,
    handsOver: false,
    ignoresPort: true,
    restart: 'on-failure',
    nice: 5,
    export: fixed('frappe-schedule', 'scheduler', 'workers', 5),
  },
  worker: {
    listens: false,
    critical: true,
    handsOver: true,
    ignoresPort: true,
    restart: 'on-failure',
    nice: 5,
    export: { group: 'workers', priority: 5, program: (type) => `frappe-${dashed(type)}`, container: (type) => `queue${dashed(type.replace(/^worker/, ''))}` },
  },
  admin: {
    listens: true,
    critical: true,
    handsOver: false,
    ignoresPort: true,
    restart: 'on-failure',
    nice: 0,
    export: { group: null, priority: 5, program: dashed, container: asIs },
  },
  other: {
    listens: false,
    critical: true,
    handsOver: false,
    ignoresPort: false,
    restart: 'on-failure',
    nice: 0,
    export: { group: 'workers', priority: 5, program: dashed, container: asIs },
  },
};

/**
 * Whether a process may read honcho's PORT variable: Frappe's programs (Redis, bench serve,
 * socketio, workers, the scheduler, watch, the CLI's admin) never do — their ports come from
 * their arguments and the site config —, so its number, which moves with the line's place in
 * the Procfile, is no reason to restart them. Any other program may. Pure.
 */
export function readsPortVariable(role: Role, command: string): boolean {
  return !ROLE_TRAITS[role].ignoresPort || /\$\{?PORT\b/.test(command);
}

/** Every role, in the order a bench's processes are usually listed. */
export const ROLES: readonly Role[] = ['redis', 'web', 'socketio', 'watch', 'schedule', 'worker', 'admin', 'other'];

export interface RoleInfo {
  role: Role;
  /** web: the `--port` of `bench serve`. */
  port?: number;
  /** worker: the queues of `--queue a,b`; undefined means every queue. */
  queues?: string[];
  /** worker: how many RQ workers the one process runs (`worker-pool --num-workers N`, `frappe.runner --job-threads N`). */
  workers?: number;
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

  const module = pythonModule(argv);
  if (module === 'frappe.utils.bench_helper' && argv[argv.indexOf('-m') + 2] === 'frappe') {
    // What `bench <cmd>` runs, and what the new bench CLI writes: `python -m frappe.utils.bench_helper frappe serve …`.
    const role = frappeCommand(argv.slice(argv.indexOf('-m') + 2));
    if (role) return role;
  }
  if (module === 'frappe.realtime.server') return { role: 'socketio' };
  if (module === 'frappe.runner') {
    // Lite mode: web, realtime and jobs in one process; it answers on its port and registers its job threads.
    return { role: 'web', ...portOption(argv), ...queueOption(argv), ...countOption(argv, '--job-threads') };
  }
  if (module === 'admin.backend.run_server') return { role: 'admin', ...portOption(argv) };

  // The new CLI's admin UI as a Vite dev server (`watch_admin_js`): `npm --prefix <cli>/admin/frontend run dev`.
  if (program === 'npm' && /(^|\/)admin\/frontend\/?$/.test(optionValue(argv, '--prefix') ?? '')) return { role: 'admin' };

  if (program === 'bench') {
    const role = frappeCommand(argv);
    if (role) return role;
  }
  return { role: 'other' };
}

/** `bench <cmd> …` or `frappe <cmd> …` (argv[0] is the program): the role its command gives. */
function frappeCommand(argv: readonly string[]): RoleInfo | null {
  switch (benchSubcommand(argv)) {
    case 'serve':
      return { role: 'web', ...portOption(argv) };
    case 'socketio':
      return { role: 'socketio' };
    case 'watch':
      return { role: 'watch' };
    case 'schedule':
      return { role: 'schedule' };
    case 'worker':
      return { role: 'worker', ...queueOption(argv) };
    case 'worker-pool':
      return { role: 'worker', ...queueOption(argv), ...countOption(argv, '--num-workers') };
    default:
      return null;
  }
}

function portOption(argv: readonly string[]): { port?: number } {
  const p = optionValue(argv, '--port');
  return p && /^\d+$/.test(p) ? { port: Number(p) } : {};
}

function queueOption(argv: readonly string[]): { queues?: string[] } {
  const q = optionValue(argv, '--queue', '-q');
  if (!q) return {};
  return {
    queues: q
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
  };
}

function countOption(argv: readonly string[], option: string): { workers?: number } {
  const n = optionValue(argv, option);
  return n && /^\d+$/.test(n) && Number(n) > 0 ? { workers: Number(n) } : {};
}

/** The module of `python -m MODULE …` (any python: env/bin/python, python3.11, …), or null. */
function pythonModule(argv: readonly string[]): string | null {
  if (!/^python[\d.]*$/.test(path.basename(argv[0] ?? ''))) return null;
  const m = argv.indexOf('-m');
  return m > 0 ? (argv[m + 1] ?? null) : null;
}

function benchSubcommand(argv: readonly string[]): string | undefined {
  for (let i = 1; i < argv.length; i++) {
    const a = argv[i]!;
    if (BENCH_VALUE_OPTIONS.has(a)) i++;
    else if (!a.startsWith('-')) return a;
  }
  return undefined;
}
