// Bundle the CLI with esbuild: Node 20 spends ~1 ms per ESM file it loads, and execa,
// ioredis and commander are hundreds of files. Commands stay lazy: each dynamic import()
// becomes its own chunk. tsc still type-checks and builds dist/src for the tests.
import { rmSync } from 'node:fs';
import { build } from 'esbuild';

rmSync('dist/bundle', { recursive: true, force: true }); // no stale chunks

await build({
  entryPoints: { main: 'src/cli/main.ts', 'watchdog-main': 'src/runtime/watchdog-main.ts' },
  outdir: 'dist/bundle',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  chunkNames: '[name]-[hash]',
  // CommonJS dependencies (ioredis) call require(); give the ESM bundle one.
  banner: { js: "import { createRequire as __fbenchRequire } from 'node:module'; const require = __fbenchRequire(import.meta.url);" },
  logLevel: 'warning',
});
