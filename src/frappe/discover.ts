import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { FbenchError } from '../errors.js';

/** A bench folder is one with a Procfile and a sites/ folder. */
export function isBenchDir(dir: string): boolean {
  try {
    return existsSync(path.join(dir, 'Procfile')) && statSync(path.join(dir, 'sites')).isDirectory();
  } catch {
    return false;
  }
}

/** `--bench DIR` as given, else the first folder upwards from `from` that is a bench. */
export function findBench(explicit: string | undefined, from: string): string {
  if (explicit !== undefined) {
    const dir = path.resolve(from, explicit);
    if (!isBenchDir(dir)) {
      throw new FbenchError(`${dir} is not a bench folder (it needs a Procfile and a sites/ folder)`, 'point --bench at your frappe-bench folder');
    }
    return dir;
  }
  const looked: string[] = [];
  for (let dir = path.resolve(from); ; dir = path.dirname(dir)) {
    looked.push(dir);
    if (isBenchDir(dir)) return dir;
    if (path.dirname(dir) === dir) break;
  }
  throw new FbenchError(
    `no bench found: looked for a Procfile and a sites/ folder in ${looked[0]} and the ${looked.length - 1} folders above it`,
    'run fbench inside your frappe-bench folder, or pass --bench DIR',
  );
}
