import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { before, describe, test } from 'node:test';

import { tempSampleBench, type TempBench } from '../helpers/sample-bench.js';
import { testScope } from '../helpers/scope.js';

const { cleanups, finished } = testScope();
const fbench = (args: string[], cwd?: string): Promise<{ code: number | null; out: string }> => finished(args, cwd ? { cwd } : {});

/** Every command, as `fbench --help` lists them. */
const COMMANDS = [
  'start',
  'workers',
  'run',
  'plan',
  'doctor',
  'ps',
  'restart',
  'stop',
  'logs',
  'attach',
  'debug',
  'ui',
  'ports',
  'ls',
  'jobs',
  'errors',
  'mcp',
  'export',
  'presets',
];

describe('messages', { timeout: 60_000 }, () => {
  let b: TempBench;
  before(async () => {
    b = await tempSampleBench();
    cleanups.push(b.cleanup);
  });

  test('bare fbench prints the help and exits 0; every command is listed, and every --help has examples', async () => {
    const bare = await fbench([]);
    assert.equal(bare.code, 0);
    for (const c of COMMANDS) assert.match(bare.out, new RegExp(`^  ${c} `, 'm'), c);
    for (const c of COMMANDS) {
      const h = await fbench([c, '--help']);
      assert.equal(h.code, 0);
      assert.match(h.out, /^Examples:\n {2}\$ fbench /m, `fbench ${c} --help has examples`);
    }
  });

  test('a mistake on the command line is one line: what is wrong, where to look', async () => {
    const cases: [string[], RegExp][] = [
      [['strt'], /^fbench: unknown command 'strt' \(Did you mean start\?\) → see `fbench --help`\n$/],
      [['start', '--nope'], /^fbench: unknown option '--nope'.* → see `fbench start --help`\n$/],
      [['start', '--bench', b.dir, '-c', 'worker=abc'], /^fbench: -c worker must be a whole number from 0 to 64, got "abc" → for example -c worker=2\n$/],
      [['logs', '--since', 'soon', '--bench', b.dir], /^fbench: --since.*"soon".* → .*\n$/],
      [['restart'], /^fbench: missing required argument 'name' → see `fbench restart --help`\n$/],
    ];
    for (const [args, re] of cases) {
      const r = await fbench(args);
      assert.equal(r.code, 1, args.join(' '));
      assert.match(r.out, re, args.join(' '));
      assert.doesNotMatch(r.out, /COMMAND|\n {4}at /);
    }
  });

  test("bench's -m is accepted by plan, export and workers as by start (one line saying it is ignored)", async () => {
    for (const args of [['plan'], ['export', 'procfile']]) {
      const r = await fbench([args[0]!, '-m', 'honcho', '--bench', b.dir, ...args.slice(1)]);
      assert.equal(r.code, 0, `${args.join(' ')}: ${r.out}`);
      assert.match(r.out, /^fbench: -m honcho ignored: fbench is the process manager$/m);
    }
    // No Redis runs for this bench: workers stops there, having taken -m.
    const w = await fbench(['workers', '-m', 'honcho', '--bench', b.dir, '--queues', 'default']);
    assert.match(w.out, /^fbench: -m honcho ignored: fbench is the process manager$/m);
    assert.doesNotMatch(w.out, /unknown option/);
  });

  test('outside a bench: one line saying where it looked and what to do', async () => {
    const empty = mkdtempSync(path.join(tmpdir(), 'fbench-nobench-'));
    cleanups.push(() => rmSync(empty, { recursive: true, force: true }));
    for (const c of ['start', 'plan', 'doctor', 'ps', 'logs']) {
      const r = await fbench([c], empty);
      assert.equal(r.code, 1);
      assert.match(
        r.out,
        /^fbench: no bench found: looked for bench.toml or a Procfile, beside a sites\/ folder, in .* → run fbench inside your bench folder, or pass --bench DIR\n$/,
      );
    }
    const none = await fbench(['ps', '--bench', b.dir]);
    assert.equal(none.code, 1);
    assert.match(none.out, /^fbench: no fbench session is running for .* → start one with `fbench start`/);
  });
});
