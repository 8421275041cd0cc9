import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import type { CommandShape } from '../config/shell-command.js';
import type { RoleInfo } from './roles.js';

/**
 * The two kinds of bench, and everything that differs between them in where things live.
 * - `procfile`: today's bench (frappe/bench): `Procfile` and `sites/` at the top, Redis and
 *   fbench's session files in `config/pids/`.
 * - `bench-toml`: the new bench CLI (frappe/pilot): `bench.toml` at the top is the source of
 *   truth, `config/Procfile` is generated from it, pid files in `pids/` (`bench.pid` is the
 *   runner's, `<name>.pid` each process's); fbench's own session files in `pids/fbench/`, where
 *   the CLI's admin, which lists every `pids/*.pid` as a process, does not look.
 */
export type LayoutKind = 'procfile' | 'bench-toml';

export interface BenchLayout {
  kind: LayoutKind;
  dir: string;
  /** The Procfile fbench runs by default (absolute). */
  procfile: string;
  /** bench.toml (absolute) on the new layout. */
  benchToml: string | null;
  /** Where fbench keeps its session's pid file and socket. */
  pidsDir: string;
  /** Where the runner announces itself to the new CLI (`bench.pid`, `<name>.pid`); null on today's benches. */
  runnerPids: string | null;
  /** The command that writes the Procfile again. */
  regenerate: string;
  /** The bench's own commands for the fixes fbench names, in its CLI's words (run inside the bench). */
  commands: BenchCommands;
  /** Both files were there: bench.toml won (said once, as a warning). */
  alsoHasProcfile: boolean;
}

export interface BenchCommands {
  /** Makes the virtualenv and installs the apps into it. */
  setupEnv: string;
  /** Installs each app of this bench's apps/ into its env/ (editable), as the bench's CLI does. */
  reinstallApps: string;
  /** Writes the Redis confs again. */
  setupRedis: string;
}

/** Today's bench (frappe/bench). */
const BENCH_COMMANDS: BenchCommands = {
  setupEnv: '`bench setup env`, then `bench setup requirements`',
  // What bench itself runs: env/bin/python's pip (env/bin/pip's shebang may name another bench's Python).
  reinstallApps: '`env/bin/python -m pip install -e apps/<app>` for each app',
  setupRedis: '`bench setup redis`',
};

/** The new bench CLI (frappe/pilot): no `setup env`, no `setup redis`; `setup requirements` installs each app with `uv pip install --python env/bin/python -e`. */
const CLI_COMMANDS: BenchCommands = {
  setupEnv: '`bench setup requirements`',
  reinstallApps: '`bench setup requirements`',
  setupRedis: '`bench setup config`',
};

const isDir = (p: string): boolean => {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
};

/** The layout of a bench folder, or null when the folder is no bench. bench.toml wins where both are. */
export function benchLayout(dir: string): BenchLayout | null {
  if (!isDir(path.join(dir, 'sites'))) return null;
  const toml = path.join(dir, 'bench.toml');
  const classic = path.join(dir, 'Procfile');
  if (existsSync(toml)) {
    return {
      kind: 'bench-toml',
      dir,
      procfile: path.join(dir, 'config', 'Procfile'),
      benchToml: toml,
      pidsDir: path.join(dir, 'pids', 'fbench'),
      runnerPids: path.join(dir, 'pids'),
      regenerate: 'bench setup config',
      commands: CLI_COMMANDS,
      alsoHasProcfile: existsSync(classic),
    };
  }
  if (!existsSync(classic)) return null;
  return {
    kind: 'procfile',
    dir,
    procfile: classic,
    benchToml: null,
    pidsDir: path.join(dir, 'config', 'pids'),
    runnerPids: null,
    regenerate: 'bench setup procfile',
    commands: BENCH_COMMANDS,
    alsoHasProcfile: false,
  };
}

/** What a layout adds to how a Procfile line runs: its working folder and variables. */
export interface ProcessPlace {
  cwd: string;
  env: Record<string, string>;
}

/**
 * Where a line runs, as the bench's own runner would run it. Frappe's commands
 * (`python -m frappe.utils.bench_helper frappe …`) need `sites/` as their working folder on
 * either layout (`bench …` changes to it itself); the new CLI also runs node's socketio there
 * and its admin with the CLI's folder on PYTHONPATH. Everything else runs in the bench. Pure.
 */
export function processPlace(layout: Pick<BenchLayout, 'kind' | 'dir'>, info: RoleInfo, shape: CommandShape, adminPort: number | null): ProcessPlace {
  const sites = path.join(layout.dir, 'sites');
  if (isFrappeHelper(shape.argv)) return { cwd: sites, env: {} };
  if (layout.kind !== 'bench-toml') return { cwd: layout.dir, env: {} };
  if (info.role === 'socketio' && shape.argv.some((a) => a.endsWith('socketio.js'))) return { cwd: sites, env: {} };
  if (info.role === 'admin') {
    // Its Vite dev server is told the admin's port; the admin itself imports from the CLI's
    // folder (benches are <cli root>/benches/<name>).
    if (path.basename(shape.argv[0] ?? '') === 'npm') return { cwd: layout.dir, env: adminPort !== null ? { VITE_ADMIN_PORT: String(adminPort) } : {} };
    return { cwd: layout.dir, env: { PYTHONPATH: path.dirname(path.dirname(layout.dir)) } };
  }
  return { cwd: layout.dir, env: {} };
}

/**
 * A Frappe command as this kind of bench runs it: `bench --site x console` on today's bench
 * (bench changes to sites/ itself); on the new CLI's, which has no `bench --site`, what its
 * `bench frappe -- --site x console` runs: the bench's Python with Frappe's helper, in sites/. Pure.
 */
export function frappeCommand(layout: Pick<BenchLayout, 'kind' | 'dir'>, args: readonly string[]): { argv: string[]; cwd: string } {
  if (layout.kind !== 'bench-toml') return { argv: ['bench', ...args], cwd: layout.dir };
  return { argv: [path.join(layout.dir, 'env', 'bin', 'python'), '-m', 'frappe.utils.bench_helper', 'frappe', ...args], cwd: path.join(layout.dir, 'sites') };
}

/** `python -m frappe.utils.bench_helper frappe …`: what `bench <cmd>` runs, and what the new CLI writes directly. */
export function isFrappeHelper(argv: readonly string[]): boolean {
  const m = argv.indexOf('-m');
  return m > 0 && argv[m + 1] === 'frappe.utils.bench_helper';
}
