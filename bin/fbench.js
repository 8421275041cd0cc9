#!/usr/bin/env node
import { existsSync } from 'node:fs';

const main = new URL('../dist/src/cli/main.js', import.meta.url);
if (!existsSync(main)) {
  process.stderr.write('fbench: not built yet; run `npm install` (or `npm run build`) in the fbench folder first\n');
  process.exit(1);
}
await import(main.href);
