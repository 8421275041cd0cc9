import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

let root: string | null = null;

/**
 * fbench's own folder (where package.json, presets/ and sample-bench/ are), found from this
 * module upwards: the same code runs from dist/src (tests) and from the bundle (the CLI).
 */
export function packageRoot(): string {
  if (root) return root;
  for (let dir = path.dirname(fileURLToPath(import.meta.url)); ; dir = path.dirname(dir)) {
    const pkg = path.join(dir, 'package.json');
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'fbench') return (root = dir);
    if (path.dirname(dir) === dir) throw new Error('fbench: cannot find its own package.json');
  }
}

export function packageVersion(): string {
  return (JSON.parse(readFileSync(path.join(packageRoot(), 'package.json'), 'utf8')) as { version: string }).version;
}
