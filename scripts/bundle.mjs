// Bundle the CLI with esbuild: one CommonJS file for the commands (dist/bundle/fbench.cjs), the
// heavy packages as files of their own under vendor/, loaded only by the commands that use
// them (ioredis by start, yaml by presets and export, …), the full-screen view with Ink and
// React as one ES module (ui.mjs: Ink's layout engine starts with a top-level await), the MCP
// server with its SDK (mcp.cjs), and the
// watchdog's cleanup, which outlives fbench. tsc type-checks and builds dist/src for the tests.
import { rmSync } from 'node:fs';
import { build } from 'esbuild';

const OUT = 'dist/bundle';
const VENDOR = ['ioredis', 'execa', 'yaml', 'listr2', 'chokidar'];

rmSync(OUT, { recursive: true, force: true }); // no stale files

const common = { bundle: true, platform: 'node', target: 'node20', logLevel: 'warning', minifyWhitespace: true, minifySyntax: true };

/** `import 'ioredis'` → ./vendor/ioredis.cjs beside the bundle; the view → ./ui.mjs. */
const externals = {
  name: 'externals',
  setup(b) {
    b.onResolve({ filter: new RegExp(`^(${VENDOR.join('|')})$`) }, (args) => ({ path: `./vendor/${args.path}.cjs`, external: true }));
    b.onResolve({ filter: /\/ui\/view\.js$/ }, () => ({ path: './ui.mjs', external: true }));
    b.onResolve({ filter: /\/mcp\/server\.js$/ }, () => ({ path: './mcp.cjs', external: true }));
  },
};

await build({
  ...common,
  format: 'cjs',
  entryPoints: ['src/cli/main.ts'],
  outfile: `${OUT}/fbench.cjs`,
  plugins: [externals],
  // The few modules that find files next to themselves (package.json, the watchdog) ask
  // import.meta.url: in this bundle that is the bundle's own address.
  define: { 'import.meta.url': '__fbenchBundleUrl' },
  banner: { js: 'const __fbenchBundleUrl = require("node:url").pathToFileURL(__filename).href;' },
});

for (const name of VENDOR) {
  await build({ ...common, format: 'cjs', stdin: { contents: `export * from '${name}';`, resolveDir: '.' }, outfile: `${OUT}/vendor/${name}.cjs` });
}

/** Ink connects to React's devtools only when DEV=true; the view never does, and does not ship them. */
const noDevtools = {
  name: 'no-devtools',
  setup(b) {
    b.onResolve({ filter: /^react-devtools-core$/ }, () => ({ path: 'react-devtools-core', namespace: 'no-devtools' }));
    b.onLoad({ filter: /.*/, namespace: 'no-devtools' }, () => ({ contents: 'export default { initialize() {}, connectToDevTools() {} };', loader: 'js' }));
  },
};

/**
 * Ink's text caches keep every text ever drawn (ink/build/wrap-text.js, measure-text.js): the
 * view uses src/ui/ink-text-cache.ts in their place, the same results from bounded caches.
 */
const boundedInkCaches = {
  name: 'bounded-ink-caches',
  setup(b) {
    const ours = { 'wrap-text': 'wrapText', 'measure-text': 'measureText' };
    b.onResolve({ filter: /^\.\/(wrap|measure)-text\.js$/ }, (args) =>
      /[\\/]ink[\\/]build$/.test(args.resolveDir) ? { path: args.path.slice(2, -3), namespace: 'bounded-ink-caches' } : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: 'bounded-ink-caches' }, (args) => ({
      contents: `export { ${ours[args.path]} as default } from ${JSON.stringify(new URL('../src/ui/ink-text-cache.ts', import.meta.url).pathname)};`,
      loader: 'js',
      resolveDir: '.',
    }));
  },
};

await build({
  ...common,
  format: 'esm',
  entryPoints: ['src/ui/view.tsx'],
  outfile: `${OUT}/ui.mjs`,
  jsx: 'automatic',
  // React's production build: no development checks or warnings on the user's screen.
  define: { 'process.env.NODE_ENV': '"production"' },
  plugins: [noDevtools, boundedInkCaches],
  // CommonJS inside (React) asks for require: give it Node's.
  banner: { js: 'import { createRequire as __fbenchRequire } from "node:module"; const require = __fbenchRequire(import.meta.url);' },
});

// fbench mcp: the MCP SDK and zod, loaded only by that command. The modules it shares with the
// CLI (the control client, the plan, doctor) are built into it as well: one file, no cycle.
await build({
  ...common,
  format: 'cjs',
  entryPoints: ['src/mcp/server.ts'],
  outfile: `${OUT}/mcp.cjs`,
  plugins: [
    {
      name: 'vendor',
      setup: (b) => b.onResolve({ filter: new RegExp(`^(${VENDOR.join('|')})$`) }, (args) => ({ path: `./vendor/${args.path}.cjs`, external: true })),
    },
  ],
  define: { 'import.meta.url': '__fbenchBundleUrl' },
  banner: { js: 'const __fbenchBundleUrl = require("node:url").pathToFileURL(__filename).href;' },
});

await build({ ...common, format: 'esm', entryPoints: ['src/runtime/watchdog-main.ts'], outfile: `${OUT}/watchdog-main.js` });
