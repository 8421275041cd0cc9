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

for (const name of VENDOR) await build({ ...common, stdin: { contents: `export * from '${name}';`, resolveDir: '.' }, outfile: `${OUT}/vendor/${name}.cjs` });

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
