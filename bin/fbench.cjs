#!/usr/bin/env node
// fbench's launcher: the bundled CLI (dist/bundle/), compiled through Node's own compile cache
// where the running Node has one (22.1 and later).
'use strict';
const path = require('node:path');
const fs = require('node:fs');
const main = path.join(__dirname, '..', 'dist', 'bundle', 'fbench.cjs');
if (!fs.existsSync(main)) {
  process.stderr.write('fbench: not built yet: run `npm start` (or `npm run build`) in the fbench folder first\n');
  process.exit(1);
}
require('node:module').enableCompileCache?.();
require(main);
