/* eslint-disable no-control-regex -- the test reads escape sequences (ESC) off the screen */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { FBENCH, FbenchRun } from '../helpers/fbench-run.js';
import { SYSTEM_PYTHON } from '../helpers/real-programs.js';
import { tempSampleBench } from '../helpers/sample-bench.js';
import { testScope } from '../helpers/scope.js';
import { Terminal } from '../helpers/terminal.js';

const { runs, cleanups } = testScope();

/** 30 redraws with \r over 3 s, then the newline (pip, esbuild and tqdm draw so). */
const PROGRESS =
  "import sys, time\nfor i in range(1, 31):\n    sys.stdout.write(f'\\rbuilding {i}/30')\n    sys.stdout.flush()\n    time.sleep(0.1)\nprint(' done', flush=True)\ntime.sleep(300)\n";
const EXTRA = [
  `prog: ${SYSTEM_PYTHON} -u progress.py`,
  `colors: sh -c 'echo "force=$FORCE_COLOR clicolor=$CLICOLOR_FORCE"; exec sleep 300'`,
  `bad: sh -c 'echo bad says no; exit 3'`,
];

async function bench(): Promise<string> {
  const b = await tempSampleBench((dir) => {
    writeFileSync(path.join(dir, 'progress.py'), PROGRESS);
    writeFileSync(path.join(dir, 'Procfile'), `${readFileSync(path.join(dir, 'Procfile'), 'utf8')}${EXTRA.join('\n')}\n`);
  });
  cleanups.push(b.cleanup);
  return b.dir;
}

/** fbench in a terminal of its own; the pane stays once it exits. */
function terminal(args: string, cols: number, rows: number): Terminal {
  const t = new Terminal(`${process.execPath} ${FBENCH} ${args}`, cols, rows);
  cleanups.push(() => t.close());
  return t;
}

describe('fbench on a real terminal', { timeout: 120_000 }, () => {
  test('a \\r progress bar is one line under its prefix (its state at most once a second, then the final one); warnings yellow, errors red; children told to colour; the Redis banner folded', async () => {
    const dir = await bench();
    const term = terminal(`start --bench ${dir}`, 160, 50);
    const shown = await term.until(
      (s) => /prog\.1 +\| building 30\/30 done/.test(s) && /bad\.1 is crash-looping/.test(s),
      'the progress and the crash loop',
      30_000,
      true,
    );

    const building = shown.split('\n').filter((l) => l.includes('building'));
    for (const l of building) assert.match(l, /^\d\d:\d\d:\d\d prog\.1 +\| building \d+\/30( done)?$/, 'the prefix is never overwritten');
    assert.equal(building.filter((l) => l.endsWith('30/30 done')).length, 1);
    assert.ok(building.length <= 5, `3 s of redraws, at most one line a second:\n${building.join('\n')}`);

    const styled = term.styled();
    assert.match(styled, /\x1b\[33mwarning: bad\.1 is crash-looping \(3 crashes in a row\); it said: bad says no/);
    assert.match(styled, /\x1b\[31m✖\x1b\[39m bad\.1: exited during start-up \(exit code 3\): bad says no/);
    assert.match(styled, /\x1b\[32m✔\x1b\[39m redis_queue\.1: ready \(PONG\)/);
    for (const m of styled.matchAll(/\x1b\[(\d+)m\d\d:\d\d:\d\d (\S+) +\|/g))
      assert.ok(!['31', '33'].includes(m[1]!), `${m[2]} is printed in ${m[1]}: a warning or error colour`);
    assert.match(shown, /colors\.1 +\| force=1 clicolor=1/);

    // Redis's boot banner is folded into its ready row; its overcommit paragraph into one line of fbench's.
    assert.doesNotMatch(shown, /Server initialized|Ready to accept connections|Redis version=|oO0OoO0OoO0Oo|WARNING Memory overcommit/);
    if (readFileSync('/proc/sys/vm/overcommit_memory', 'utf8').trim() === '0')
      assert.equal(shown.match(/warning: vm\.overcommit_memory is 0: Redis may fail to save in the background/g)?.length, 1);
    term.keys('C-c');
    await term.until(() => term.exited, 'fbench exited', 30_000);
    // What the task list showed is in the session's log too.
    const log = readFileSync(path.join(dir, 'logs', 'fbench.log'), 'utf8');
    assert.match(log, /system +\| redis_queue\.1 started \(pid \d+\)/);
    assert.match(log, /system +\| redis_queue\.1 ready: PONG on :\d+/);
  });

  test('under a pipe: no colour, and the children are not told to colour', async () => {
    const dir = await bench();
    const run = new FbenchRun(['start', '--bench', dir, 'colors'], { env: { NO_COLOR: '' } });
    runs.push(run);
    await run.waitFor(/colors\.1 +\| force= clicolor=$/m);
    assert.doesNotMatch(run.output, /\x1b\[/);
    await run.stop();
  });

  test('80×24: -c worker=20 gives a task list that fits (one row per type), no line wider than the screen', async () => {
    const dir = await bench();
    const term = terminal(`start --bench ${dir} -c worker=20`, 80, 24);
    const s = await term.until((x) => /worker \(20\): /.test(x) && /bad\.1: /.test(x), 'the task list', 30_000);
    const rows = s.split('\n').filter((l) => /^[✔✖⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏◼↓] /.test(l));
    assert.ok(rows.length <= 23 && rows.length >= 10, s);
    assert.doesNotMatch(s, /worker\.1\d: /);
    await term.until((x) => /✔ worker \(20\): registered/.test(x), 'the twenty registered', 30_000, true); // with the scrollback: the stream may have scrolled the list away
    term.keys('C-c');
    await term.until(() => term.exited, 'fbench exited', 30_000);
  });

  test('fbench plan fits 80 columns (AFTER and QUEUES left out and said so, then the command cut with …); at 200 it is whole', async () => {
    const dir = await bench();
    const narrow = terminal(`plan --bench ${dir}`, 80, 40);
    const n = await narrow.whenExited('plan printed');
    // The table: from its header to the blank line under it (the notes below are prose, wrapped by the terminal).
    const lines = n.slice(n.indexOf('NAME ')).split('\n\n')[0]!.split('\n');
    assert.ok(lines.length >= 12 && lines.every((l) => [...l].length <= 80), n);
    assert.match(n, /^NAME +ROLE +PORT +COMMAND$/m);
    assert.match(n, /^\(AFTER, QUEUES left out at 80 columns: `--json` has them\)$/m);
    assert.match(n, /^colors\.1 .*…$/m);
    const wide = terminal(`plan --bench ${dir}`, 200, 40);
    const w = await wide.whenExited('plan printed');
    assert.match(w, /^NAME +ROLE +PORT +QUEUES +AFTER +COMMAND$/m);
    assert.match(w, /^colors\.1 .*sh -c 'echo "force=\$FORCE_COLOR clicolor=\$CLICOLOR_FORCE"; exec sleep 300'$/m);
  });
});
