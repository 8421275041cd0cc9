// Run the project's tests with Node's own runner, the same way on Node 20, 22 and 24: the test
// files are named one by one (Node 21+ reads a folder argument as a glob pattern, Node 20 does
// not take patterns), listed from the sources in test/ so that a test deleted there is never run
// from a stale dist/. Usage: node scripts/test.mjs FOLDER [node --test options…]
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import path from 'node:path';

const [folder = 'test', ...options] = process.argv.slice(2);

/** The `*.test.ts` files below `dir`, sorted. */
function tests(dir) {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? tests(path.join(dir, e.name)) : e.name.endsWith('.test.ts') ? [path.join(dir, e.name)] : []))
    .sort();
}

const files = tests(folder).map((f) => path.join('dist', f.replace(/\.ts$/, '.js')));
if (files.length === 0) {
  console.error(`no *.test.ts files under ${folder}`);
  process.exit(1);
}
const run = spawnSync(process.execPath, ['--test', ...options, ...files], { stdio: 'inherit' });
process.exit(run.status ?? 1);
