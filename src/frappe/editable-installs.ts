import { readdirSync } from 'node:fs';
import { readBounded } from '../util/safe-file.js';
import path from 'node:path';
import { realPath } from '../util/real-path.js';
import { otherBenchOf } from './bench-ports.js';
import { isBenchDir } from './discover.js';
import type { BenchLayout } from './layout.js';

/** An app installed in editable mode from another bench's apps/: this bench runs that bench's code. */
export interface ForeignEditable {
  /** The file in site-packages that says so. */
  file: string;
  /** Where it points. */
  target: string;
  /** The bench it points into. */
  bench: string;
}

/**
 * `bench init` installs each app with `pip install -e apps/<app>`: a copied bench's env/ still
 * imports the original's apps/ (its worker registers under the original's bench_id, a save of
 * this bench's code changes nothing). Found from what pip leaves in site-packages: `.pth` lines
 * (flit, setuptools' compat mode), `__editable__` finders' mappings (setuptools' strict mode) and
 * `.egg-link` files (older pip). Reads only those small files.
 */
export function foreignEditables(bench: string): ForeignEditable[] {
  const out: ForeignEditable[] = [];
  const self = realPath(bench);
  for (const site of sitePackages(bench)) {
    let names: string[];
    try {
      names = readdirSync(site);
    } catch {
      continue;
    }
    for (const name of names) {
      if (!/\.(pth|egg-link)$/.test(name) && !/^__editable__.*_finder\.py$/.test(name)) continue;
      const file = path.join(site, name);
      let text: string;
      try {
        text = readBounded(file, { maxBytes: 64 * 1024, cut: true }).toString('utf8');
      } catch {
        continue;
      }
      const targets = name.endsWith('.py') ? [...text.matchAll(/['"](\/[^'"\n]+)['"]/g)].map((m) => m[1]!) : text.split('\n').filter((l) => l.startsWith('/'));
      for (const target of targets) {
        const other = otherBenchOf(target.trim(), self, isBenchDir);
        if (other !== null && realPath(other) !== self && !out.some((o) => o.target === target.trim()))
          out.push({ file: path.relative(bench, file), target: target.trim(), bench: other });
      }
    }
  }
  return out;
}

/** env/lib/python3.X/site-packages, for each Python the virtualenv has. */
function sitePackages(bench: string): string[] {
  const lib = path.join(bench, 'env', 'lib');
  try {
    return readdirSync(lib)
      .filter((n) => n.startsWith('python'))
      .map((n) => path.join(lib, n, 'site-packages'));
  } catch {
    return [];
  }
}

/** What to run so that this bench runs its own apps, in its CLI's words. */
export function editableFix(layout: Pick<BenchLayout, 'commands'>): string {
  return `install this bench's apps into its env/: ${layout.commands.reinstallApps}`;
}
