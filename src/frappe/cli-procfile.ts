import path from 'node:path';
import type { BenchToml } from '../config/bench-toml.js';

/**
 * What the new bench CLI (frappe/pilot) runs for a bench, from its bench.toml alone: the CLI
 * writes its `config/Procfile` anew from bench.toml on every `bench start`
 * (`ProcessManager.write_config`, the dev lines of `ProcessDefinitionBuilder.process_definitions`),
 * so an edit of bench.toml is what its next start runs. fbench renders the same lines itself
 * (a pure function, no Python started), so a re-plan follows bench.toml as it is edited.
 */

/** Where the CLI's programs are, as it finds them. */
export interface CliPlaces {
  /** The bench folder (`<cli root>/benches/<name>`). */
  bench: string;
  /** The CLI's checkout: its admin's virtualenv and frontend live there. */
  cliRoot: string;
  /** redis-server as the CLI finds it on PATH (absolute), or the bare name. */
  redisServer: string;
}

/** A Procfile line the CLI writes, and the variables its process gets on top (the Procfile cannot carry them). */
export interface CliLine {
  name: string;
  argv: string[];
  env: Record<string, string>;
}

/** Python's shlex.quote: a word of safe characters as it is, anything else in single quotes. Pure. */
export function shlexQuote(word: string): string {
  if (word === '') return "''";
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", `'"'"'`)}'`;
}

/** The CLI's slug of a worker group's queues (`default,short` → `default_short`). Pure. */
function slug(queues: string): string {
  return queues.replace(/[^A-Za-z0-9]+/g, '_').replace(/^_+|_+$/g, '') || 'default';
}

/** The lines of the CLI's dev runner, in its order. Pure. */
export function cliLines(toml: BenchToml, at: CliPlaces): CliLine[] {
  const python = path.join(at.bench, 'env', 'bin', 'python');
  const frappe = (...args: string[]): string[] => [python, '-m', 'frappe.utils.bench_helper', 'frappe', ...args];
  const memory: Record<string, string> = toml.mallocArenaMax > 0 ? { MALLOC_ARENA_MAX: String(toml.mallocArenaMax) } : {};
  const web: CliLine = {
    name: 'web',
    argv: [...frappe('serve', '--port', String(toml.httpPort)), ...(toml.reloadPython ? [] : ['--noreload'])],
    env: { DEV_SERVER: '1' },
  };
  const socketio: CliLine =
    toml.socketioBackend === 'python'
      ? { name: 'socketio', argv: [python, '-m', 'frappe.realtime.server'], env: memory }
      : { name: 'socketio', argv: ['node', path.join(at.bench, 'apps', 'frappe', 'socketio.js')], env: {} };
  const admin: CliLine = {
    name: 'admin',
    argv: [
      path.join(at.cliRoot, '.admin-venv', 'bin', 'python'),
      '-m',
      'admin.backend.run_server',
      '--bench-root',
      at.bench,
      '--port',
      String(toml.adminPort),
      '--timeout',
      String(toml.adminTimeout),
      toml.watchAdminJs ? '--dev' : '--no-timeout',
    ],
    env: {},
  };
  const all = toml.workers.map((g) => g.queues.join(','));
  const workers: CliLine[] =
    toml.processManager === 'systemd'
      ? [
          {
            name: 'worker_pool',
            argv: frappe('worker-pool', '--num-workers', String(toml.workers.reduce((n, g) => n + g.count, 0)), '--queue', all.join(',')),
            env: memory,
          },
        ]
      : toml.workers.flatMap((g) =>
          Array.from({ length: g.count }, (_, i) => ({
            name: `worker_${slug(g.queues.join(','))}_${i + 1}`,
            argv: frappe('worker', '--queue', g.queues.join(',')),
            env: memory,
          })),
        );
  const redis = (name: string): CliLine => ({ name, argv: [at.redisServer, path.join(at.bench, 'config', `${name}.conf`)], env: {} });
  return [
    ...(toml.useCompanionManager ? [web, admin] : [web, socketio, admin, ...workers]),
    redis('redis_cache'),
    redis('redis_queue'),
    ...(toml.watchAppsJs ? [{ name: 'watch', argv: frappe('watch'), env: {} }] : []),
    // Its VITE_ADMIN_PORT and the admin's PYTHONPATH come with where they run (layout.ts processPlace), as for a Procfile given by hand.
    ...(toml.watchAdminJs ? [{ name: 'admin-ui', argv: ['npm', '--prefix', path.join(at.cliRoot, 'admin', 'frontend'), 'run', 'dev'], env: {} }] : []),
  ];
}

/** The lines as the CLI writes them into config/Procfile (`name: shlex.join(argv)`). Pure. */
export function cliProcfile(lines: readonly CliLine[]): string {
  return lines.map((l) => `${l.name}: ${l.argv.map(shlexQuote).join(' ')}\n`).join('');
}
