import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { REPO } from '../helpers/sample-bench.js';

/**
 * The folders of src/, bottom to top: a folder may import only from itself and folders below
 * it. Keep in step with the README's Development section.
 */
const STACK = ['.', 'util', 'config', 'health', 'frappe', 'plan', 'output', 'runtime', 'session', 'client', 'export', 'doctor', 'ui', 'mcp', 'cli'];

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

/** The code of a source file, its comments taken out (they may name an example: "a Redis"). */
const code = (file: string): string =>
  readFileSync(file, 'utf8')
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/(^|[^:'"`\\])\/\/.*$/gm, '$1');

test('the generic runtime, output and utilities know nothing of Redis, RQ or pdb (that is frappe/)', { timeout: 10_000 }, () => {
  const found = ['runtime', 'output', 'util'].flatMap((dir) =>
    sources(path.join(SRC, dir)).flatMap((f) => [...code(f).matchAll(/\b(redis|ioredis|rq|pdb)\b/gi)].map((m) => `${path.relative(SRC, f)}: ${m[0]}`)),
  );
  assert.deepEqual(found, []);
});

/** Every file of the project that is code or a script (not node_modules, dist or the bench renders). */
function projectFiles(dir = REPO): string[] {
  return readdirSync(dir).flatMap((e) => {
    if (['node_modules', 'dist', '.git'].includes(e)) return [];
    const p = path.join(dir, e);
    return statSync(p).isDirectory() ? projectFiles(p) : [p];
  });
}

test('no start-up machinery and nothing that acts on processes by name', { timeout: 10_000 }, () => {
  const files = projectFiles();
  assert.deepEqual(
    files.filter((f) => /\.(wat|wasm)$/.test(f)).map((f) => path.relative(REPO, f)),
    [],
    'a hand-written WebAssembly module',
  );
  const scripts = files.filter((f) => /\.(ts|tsx|mjs|cjs|js|sh)$/.test(f) || path.basename(f) === 'run');
  const wrong = scripts.flatMap((f) => {
    const text = f.endsWith('architecture.test.ts') ? '' : readFileSync(f, 'utf8');
    return [
      // V8 flags set at run time, a code cache of our own, a dependency's text edited before it runs
      ...(/setFlagsFromString|v8\.Script|cachedData/.test(text) ? ['V8 machinery'] : []),
      ...(/readFileSync\([^)]*node_modules[^)]*\)[\s\S]{0,80}\.replace\(/.test(text) ? ['a dependency edited as text'] : []),
      // other work runs on the machine: processes are ended by pid or group, never by name
      ...(/\b(pkill|pgrep|killall)\b/.test(text) ? ['pkill/pgrep/killall'] : []),
    ].map((what) => `${path.relative(REPO, f)}: ${what}`);
  });
  assert.deepEqual(wrong, []);
});
