/** Roles restarted when Python code changes: `bench serve` reloads itself, workers don't (frappe/frappe#16263). */
export const DEFAULT_RELOAD_ROLES = ['worker', 'schedule'] as const;

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
