import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

let own: { root: string; version: string } | null = null;

/**
 * fbench's own folder (where package.json, presets/ and sample-bench/ are), found from this
 * module upwards: the same code runs from dist/src (tests) and from the bundle (the CLI).
 */
export function packageRoot(): string {
  return ownPackage().root;
}

export function packageVersion(): string {
  return ownPackage().version;
}

/** fbench's package.json, read once. */
function ownPackage(): { root: string; version: string } {
  if (own) return own;
  for (let dir = path.dirname(fileURLToPath(import.meta.url)); ; dir = path.dirname(dir)) {
    const pkg = path.join(dir, 'package.json');
    if (existsSync(pkg)) {
      const json = JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string; version?: string };
      if (json.name === 'fbench') return (own = { root: dir, version: json.version ?? '0.0.0' });
    }
    if (path.dirname(dir) === dir) throw new Error('fbench: cannot find its own package.json');
  }
}
