#!/usr/bin/env node
import { existsSync } from 'node:fs';

const main = new URL('../dist/bundle/main.js', import.meta.url);
if (!existsSync(main)) {
  process.stderr.write('fbench: not built yet; run `npm install` (or `npm run build`) in the fbench folder first\n');
  process.exit(1);
}
// `fbench --version` answers without loading the CLI (start-up time is a feature).
const args = process.argv.slice(2);
if (args.length === 1 && (args[0] === '--version' || args[0] === '-V')) {
  const { readFileSync } = await import('node:fs');
  process.stdout.write(`${JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version}\n`);
} else {
  await import(main.href);
}
