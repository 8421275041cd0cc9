import type { BenchToml } from '../config/bench-toml.js';

/** Roles restarted when Python code changes: `bench serve` reloads itself, workers don't (frappe/frappe#16263). */
export const DEFAULT_RELOAD_ROLES = ['worker', 'schedule'] as const;

/**
 * What a .py save restarts, in waves: the workers (and any other role asked for) first, the
 * scheduler once they are ready again — it enqueues into them, and started together on real
 * Frappe the worker registers seconds later. Only roles the bench has. Nothing where bench.toml
 * sets `reload_python = false`: its web serves with --noreload, and one version of the code
 * runs everywhere (`off` says why). Pure.
 */
export function reloadWaves(
  requested: readonly string[],
  present: readonly string[],
  toml: Pick<BenchToml, 'reloadPython'> | null,
): { waves: string[][]; off?: string } {
  if (toml && !toml.reloadPython) return { waves: [], off: 'bench.toml sets reload_python = false' };
  const roles = requested.filter((r) => present.includes(r));
  return { waves: [roles.filter((r) => r !== 'schedule'), roles.filter((r) => r === 'schedule')].filter((w) => w.length > 0) };
}

/** Folders that never hold an app's Python code, whatever app they are in. */
const NEVER_CODE = new Set(['node_modules', '__pycache__', 'dist', 'build', 'public', 'env', 'venv', 'assets']);

/**
 * Whether a folder under apps/ can hold Python code a worker imports: decided by its name
 * alone, before anything under it is read (a node_modules of 50,000 files costs nothing).
 * Hidden folders (.git, .venv, .github) and *.egg-info are never code. Pure.
 */
export function mayHoldCode(folderName: string): boolean {
  return !(NEVER_CODE.has(folderName) || folderName.startsWith('.') || folderName.endsWith('.egg-info'));
}

/** A change that means Python code changed. */
export function isCodeChange(fileName: string): boolean {
  return fileName.endsWith('.py');
}
