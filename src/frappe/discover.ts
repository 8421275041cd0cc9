import path from 'node:path';
import { FbenchError } from '../errors.js';
import { benchLayout } from './layout.js';

/** A bench folder has a sites/ folder and either bench.toml (the new bench CLI) or a Procfile (today's bench). */
export function isBenchDir(dir: string): boolean {
  return benchLayout(dir) !== null;
}

/** `--bench DIR` as given, else the first folder upwards from `from` that is a bench. */
export function findBench(explicit: string | undefined, from: string): string {
  if (explicit !== undefined) {
    const dir = path.resolve(from, explicit);
    if (!isBenchDir(dir)) {
      throw new FbenchError(
        `${dir} is not a bench folder (it needs bench.toml, or a Procfile, and a sites/ folder)`,
        'point --bench at your bench folder (frappe-bench, or benches/<name> of the new bench CLI)',
      );
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
    `no bench found: looked for bench.toml or a Procfile, beside a sites/ folder, in ${looked[0]} and the ${looked.length - 1} folders above it`,
    'run fbench inside your bench folder, or pass --bench DIR',
  );
}
