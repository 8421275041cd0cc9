// What `fbench ui` costs: its CPU over 10 s on an idle bench of 20 processes, and how soon a
// key shows on the screen, idle and while a process prints 10,000 lines a second.
import { TICKS_PER_SECOND, usageOf } from '../src/runtime/process-group.js';
import { makeBench } from '../test/helpers/bench-fixture.js';
import { FBENCH, FbenchRun } from '../test/helpers/fbench-run.js';
import { Terminal } from '../test/helpers/terminal.js';
import { median, type Row } from './row.js';

const IDLE_S = 10;
const PRESSES = 7;
/** 100 lines every 10 ms. */
const FLOOD =
  "import sys, time\nn = 0\nwhile True:\n    sys.stdout.write(''.join(f'flood line {n + i} xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\\n' for i in range(100)))\n    sys.stdout.flush()\n    n += 100\n    time.sleep(0.01)\n";

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** The row of the selection (inverse video) on the screen. */
function selectedRow(term: Terminal): number {
  return term
    .styled()
    .split('\n')
    .findIndex((l) => l.includes('\x1b[7m'));
}

/** Milliseconds from a key (j, then k) to the selection moving on the screen, median of PRESSES. */
async function keyLatency(term: Terminal): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < PRESSES; i++) {
    const before = selectedRow(term);
    const t0 = performance.now();
    term.keys(i % 2 ? 'k' : 'j');
    while (selectedRow(term) === before && performance.now() - t0 < 5000) await sleep(2);
    times.push(performance.now() - t0);
    await sleep(200);
  }
  return median(times);
}

async function session(procfile: string, files: Record<string, string> = {}): Promise<{ stop: () => Promise<void>; term: Terminal }> {
  const b = makeBench({ Procfile: procfile, ...files });
  const run = new FbenchRun(['start', '--bench', b.dir]);
  await run.waitFor(/ready in/, 30_000);
  const term = new Terminal(`${process.execPath} ${FBENCH} ui --bench ${b.dir}`, 160, 50);
  await term.until((s) => /fbench ui · \d+ processes, 0 not ready/.test(s), 'the view', 20_000);
  await sleep(2000); // its first polls and the backlog
  return {
    term,
    stop: async () => {
      term.close();
      await run.stop();
      b.cleanup();
    },
  };
}

export async function viewCost(): Promise<Row> {
  const idle = await session(Array.from({ length: 20 }, (_, i) => `p${i}: sleep 1000\n`).join(''));
  const pid = idle.term.pid;
  const before = usageOf([pid]).cpuTicks;
  await sleep(IDLE_S * 1000);
  const cpu = ((usageOf([pid]).cpuTicks - before) / TICKS_PER_SECOND / IDLE_S) * 100;
  const quiet = await keyLatency(idle.term);
  await idle.stop();

  const flood = await session(`${Array.from({ length: 19 }, (_, i) => `p${i}: sleep 1000\n`).join('')}flood: python3 -u flood.py\n`, { 'flood.py': FLOOD });
  const busy = await keyLatency(flood.term);
  await flood.stop();
  return {
    figure: `ui: CPU over ${IDLE_S} s idle (20 processes); a key → the screen, idle / while a process prints 10,000 lines/s`,
    cells: new Map([['fbench', { cpu, note: `key ${Math.round(quiet)} ms idle, ${Math.round(busy)} ms under the flood` }]]),
    limit: '–',
    target: '≤ 2 % of a core; a key ≤ 250 ms under the flood',
    pass: cpu <= 2 && busy <= 250,
  };
}
