#!/usr/bin/env node
// fbench's launcher. It compiles the bundled CLI (dist/bundle/) with V8's code cache, as
// Node 22's module.enableCompileCache() would: after the first run of a command, the code it
// ran is not parsed or compiled again, which was most of fbench's own start-up. The cache is
// an optimisation only: failing to read or write it changes nothing else.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { Script } = require('node:vm');
const { createRequire, wrap } = require('node:module');

const BUNDLE = path.join(__dirname, '..', 'dist', 'bundle');
const MAIN = path.join(BUNDLE, 'fbench.cjs');
if (!fs.existsSync(MAIN)) {
  process.stderr.write('fbench: not built yet; run `npm install` (or `npm run build`) in the fbench folder first\n');
  process.exit(1);
}

/** Where caches live: beside the bundle (a rebuild removes them), else in the user's cache folder; null: nowhere. */
function cacheDir() {
  try {
    fs.accessSync(BUNDLE, fs.constants.W_OK);
    return path.join(BUNDLE, 'v8-cache');
  } catch {
    try {
      const home = process.env.XDG_CACHE_HOME || path.join(require('node:os').homedir(), '.cache');
      return path.join(home, 'fbench', encodeURIComponent(BUNDLE));
    } catch {
      return null; // no home folder: run uncached (never a shared folder: a planted cache would be run)
    }
  }
}
const CACHE = cacheDir();
// Each command has its own caches, holding the code that command ran.
const COMMAND = /^[a-z]{1,16}$/.test(process.argv[2] ?? '') ? process.argv[2] : 'cli';
/** Caches kept in all: more means typos or old builds, and they go. */
const MAX_CACHES = 64;

const loaded = new Map();

/** Run a bundle file as CommonJS, its compiled code from the cache when the cache is for exactly this file and Node. */
function load(file) {
  if (loaded.has(file)) return loaded.get(file).exports;
  const source = fs.readFileSync(file, 'latin1'); // esbuild writes ASCII
  // V8 checks a cache against the source's length only: the name holds the exact build.
  const stat = fs.statSync(file);
  const key = `${path.basename(file)}-${COMMAND}-${process.version}-${process.arch}-${stat.size}-${Math.trunc(stat.mtimeMs)}-${stat.ino}`;
  const cacheFile = CACHE && path.join(CACHE, `${key}.v8cache`);
  let cachedData;
  try {
    cachedData = cacheFile ? fs.readFileSync(cacheFile) : undefined;
  } catch {
    cachedData = undefined;
  }
  const script = new Script(wrap(source), { filename: file, cachedData });
  // Written at exit, so it holds the functions this run compiled, not only the top level.
  if (cacheFile && (!cachedData || script.cachedDataRejected)) process.once('exit', () => saveCache(script, cacheFile));
  const mod = { exports: {} };
  loaded.set(file, mod);
  const nodeRequire = createRequire(file);
  const bundleRequire = (id) => (id.startsWith('./vendor/') ? load(path.join(BUNDLE, id)) : nodeRequire(id));
  script.runInThisContext()(mod.exports, bundleRequire, mod, file, path.dirname(file));
  return mod.exports;
}

function saveCache(script, cacheFile) {
  try {
    const data = script.createCachedData();
    fs.mkdirSync(CACHE, { recursive: true, mode: 0o700 });
    const others = fs.readdirSync(CACHE);
    if (others.length >= MAX_CACHES) for (const old of others) fs.rmSync(path.join(CACHE, old), { force: true });
    const tmp = `${cacheFile}.${process.pid}`;
    fs.writeFileSync(tmp, data, { mode: 0o600 });
    fs.renameSync(tmp, cacheFile); // whole or absent for a concurrent reader
  } catch {
    // a read-only install and no cache folder: run uncached
  }
}

load(MAIN);
