import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { REPO } from '../helpers/sample-bench.js';

/**
 * The folders of src/, bottom to top: a folder may import only from itself and folders below
 * it. Keep in step with the README's Development section.
 */
const STACK = ['.', 'util', 'config', 'health', 'frappe', 'plan', 'output', 'runtime', 'run', 'export', 'doctor', 'ui', 'cli'];

const SRC = path.join(REPO, 'src');

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((e) => {
    const p = path.join(dir, e);
    return statSync(p).isDirectory() ? sources(p) : /\.tsx?$/.test(p) ? [p] : [];
  });
}

/** Every relative import of a file (static, type-only and dynamic), as source paths. */
function imports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/(?:from|import)\s*\(?\s*['"](\.[^'"]+)['"]/g)].map((m) => {
    const target = path.resolve(path.dirname(file), m[1]!.replace(/\.js$/, '.ts'));
    return existsSync(target) ? target : target.replace(/\.ts$/, '.tsx');
  });
}

const folder = (file: string): string => {
  const rel = path.relative(SRC, file).split(path.sep);
  return rel.length === 1 ? '.' : rel[0]!;
};

test('src/ is a one-way stack of folders', { timeout: 10_000 }, () => {
  const wrong: string[] = [];
  for (const file of sources(SRC)) {
    const from = folder(file);
    assert.ok(STACK.includes(from), `${path.relative(SRC, file)}: folder "${from}" is not in the stack; add it where it belongs`);
    for (const target of imports(file)) {
      const to = folder(target);
      if (STACK.indexOf(to) > STACK.indexOf(from)) wrong.push(`${path.relative(SRC, file)} imports ${path.relative(SRC, target)} (${from} → ${to}, upwards)`);
    }
  }
  assert.deepEqual(wrong, []);
});

test('no import cycle between files', { timeout: 10_000 }, () => {
  const graph = new Map(sources(SRC).map((f) => [f, imports(f)]));
  const state = new Map<string, 'visiting' | 'done'>();
  const cycles: string[] = [];
  const visit = (f: string, trail: string[]): void => {
    if (state.get(f) === 'done') return;
    if (state.get(f) === 'visiting') {
      cycles.push([...trail.slice(trail.indexOf(f)), f].map((x) => path.relative(SRC, x)).join(' → '));
      return;
    }
    state.set(f, 'visiting');
    for (const t of graph.get(f) ?? []) visit(t, [...trail, f]);
    state.set(f, 'done');
  };
  for (const f of graph.keys()) visit(f, []);
  assert.deepEqual(cycles, []);
});
