import path from 'node:path';

/** Roles restarted when Python code changes: `bench serve` reloads itself, workers don't (frappe/frappe#16263). */
export const DEFAULT_RELOAD_ROLES = ['worker', 'schedule'] as const;

const SKIP_DIRS = new Set(['node_modules', '.git', '__pycache__', 'dist', 'build', '.venv', 'env']);

/** Paths under apps/ that a code watcher never needs to enter or report. Pure. */
export function ignoredForReload(appsDir: string, p: string): boolean {
  const rel = path.relative(appsDir, p);
  if (rel === '' || rel.startsWith('..')) return false;
  const parts = rel.split(path.sep);
  if (parts.some((x) => SKIP_DIRS.has(x) || (x.startsWith('.') && x.length > 1))) return true;
  // built assets: apps/<app>/<app>/public/dist and friends
  const pub = parts.indexOf('public');
  return pub !== -1 && (parts[pub + 1] === 'dist' || parts[pub + 1] === 'node_modules');
}

/** A change that means Python code changed. */
export function isCodeChange(p: string): boolean {
  return p.endsWith('.py');
}
