// Bundle the CLI with esbuild into CommonJS files that bin/fbench.cjs compiles with V8's code
// cache: Node 20 has no compile cache for ES modules, and parsing plus linking the module
// graph was most of fbench's own start-up. Commands stay lazy: a dynamic import() becomes a
// module initialised on first use. The heavy packages are files of their own under vendor/,
// read only by the commands that use them (ioredis by start, yaml by export, …).
// tsc still type-checks and builds dist/src for the tests.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { build } from 'esbuild';
import loadWabt from 'wabt';

const OUT = 'dist/bundle';
const VENDOR = ['ioredis', 'execa', 'yaml', 'listr2', 'chokidar'];

rmSync(OUT, { recursive: true, force: true }); // no stale files or caches

const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  logLevel: 'warning',
  // A third less source to read and hold on every start (each fresh page of memory counts on a
  // small VM); names are kept, so profiles and errors still name their functions.
  minifyWhitespace: true,
  minifySyntax: true,
  // import() becomes a require() the launcher serves; a vm.Script has no ES module loader.
  supported: { 'dynamic-import': false },
};

/** `import 'ioredis'` → require('./vendor/ioredis.cjs'), beside the bundle. */
const vendorFiles = {
  name: 'vendor-files',
  setup(b) {
    b.onResolve({ filter: new RegExp(`^(${VENDOR.join('|')})$`) }, (args) => ({ path: `./vendor/${args.path}.cjs`, external: true }));
  },
};

await build({
  ...common,
  entryPoints: ['src/cli/main.ts'],
  outfile: `${OUT}/fbench.cjs`,
  plugins: [vendorFiles],
  // The few modules that find files next to themselves (package.json, the watchdog) ask
  // import.meta.url: in this bundle that is the bundle's own address.
  define: { 'import.meta.url': '__fbenchBundleUrl' },
  banner: { js: 'const __fbenchBundleUrl = require("node:url").pathToFileURL(__filename).href;' },
});

/**
 * Edits to ioredis's own files that change only how long it takes to load, on fbench's way to
 * the first PING. Each is made where its text is found; a newer ioredis that changed the text
 * is built as is, with a warning.
 * - Its ~480 command methods are added one by one to a prototype V8 keeps in fast mode, where
 *   each addition copies every property before it (20 ms and 4 MB of garbage). A prototype in
 *   dictionary mode takes them in 1 ms, and V8 makes it fast again at its first use.
 * - Redis Cluster support (and the dns module it loads) is a third of the rest; fbench never
 *   uses it. It loads at the first use of Redis.Cluster or the Cluster export.
 */
const LAZY_CLUSTER = 'let clusterModule;\nconst cluster_1 = { get default() { return (clusterModule ??= require("./cluster")).default; } };';
const IOREDIS_EDITS = [
  {
    file: 'utils/Commander.js',
    find: 'commands.forEach(function (commandName) {',
    before: 'Commander.prototype.__fbench = 0; delete Commander.prototype.__fbench;\n',
  },
  { file: 'Redis.js', find: 'const cluster_1 = require("./cluster");', replace: LAZY_CLUSTER },
  {
    file: 'Redis.js',
    find: 'Redis.Cluster = cluster_1.default;',
    replace: 'Object.defineProperty(Redis, "Cluster", { configurable: true, enumerable: true, get: () => cluster_1.default });',
  },
  { file: 'index.js', find: 'var cluster_1 = require("./cluster");', replace: LAZY_CLUSTER },
];
const ioredisEdits = {
  name: 'ioredis-edits',
  setup(b) {
    b.onLoad({ filter: /ioredis[\\/]built[\\/](utils[\\/]Commander|Redis|index)\.js$/ }, (args) => {
      let contents = readFileSync(args.path, 'utf8');
      const warnings = [];
      for (const edit of IOREDIS_EDITS.filter((e) => args.path.replaceAll('\\', '/').endsWith(`/built/${e.file}`))) {
        if (!contents.includes(edit.find)) warnings.push({ text: `${edit.file}: "${edit.find}" not found: that part of ioredis loads at its own speed` });
        else contents = contents.replace(edit.find, edit.replace ?? edit.before + edit.find);
      }
      return { contents, warnings };
    });
  },
};

/**
 * Node modules ioredis requires at load but uses only for TLS, Lua scripts and a few asserts:
 * loading them is a third of its load time. Each is a stand-in that requires the real module
 * at its first use.
 */
const LAZY_BUILTINS = ['crypto', 'tls', 'assert'];
const lazyBuiltins = {
  name: 'lazy-builtins',
  setup(b) {
    b.onResolve({ filter: new RegExp(`^(node:)?(${LAZY_BUILTINS.join('|')})$`) }, (args) =>
      // The stand-in's own require is of the real module.
      args.namespace === 'lazy-builtin' ? { path: args.path, external: true } : { path: args.path.replace(/^node:/, ''), namespace: 'lazy-builtin' },
    );
    b.onLoad({ filter: /.*/, namespace: 'lazy-builtin' }, (args) => ({
      contents: `let real;
const load = () => (real ??= require('node:${args.path}'));
module.exports = new Proxy(() => {}, {
  get: (_, key) => load()[key],
  has: (_, key) => key in load(),
  apply: (_, self, args) => Reflect.apply(load(), self, args),
});`,
      loader: 'js',
    }));
  },
};

for (const name of VENDOR) {
  const plugins = name === 'ioredis' ? [ioredisEdits, lazyBuiltins] : [];
  await build({ ...common, stdin: { contents: `export * from '${name}';`, resolveDir: '.' }, outfile: `${OUT}/vendor/${name}.cjs`, plugins });
}

// The relay's WebAssembly, beside the module that loads it: in the bundle and in dist/src.
const wabt = await loadWabt();
const wat = 'src/output/prefix-lines.wat';
const wasm = wabt.parseWat(wat, readFileSync(wat, 'utf8'), { bulk_memory: true });
wasm.validate();
const { buffer } = wasm.toBinary({});
for (const dir of [OUT, 'dist/src/output']) {
  mkdirSync(dir, { recursive: true });
  writeFileSync(`${dir}/prefix-lines.wasm`, buffer);
}

// The watchdog is its own process and outlives fbench: a small file of its own.
await build({ ...common, entryPoints: ['src/runtime/watchdog-main.ts'], outfile: `${OUT}/watchdog-main.js`, format: 'esm' });
