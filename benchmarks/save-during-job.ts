// A `.py` save while a worker runs a 20 s job (Debian's RQ): save → a worker with the new code
// registered, new-first (the default) beside stop-first (`--reload-wait`), in one run.
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { median, type Row } from './row.js';
import { FbenchRun } from '../test/helpers/fbench-run.js';
import { enqueue, rqBench } from '../test/helpers/real-programs.js';

const JOB_S = 20;

async function saveToNewWorker(extra: string[]): Promise<number> {
  const b = await rqBench();
  try {
    const run = new FbenchRun(['start', '--bench', b.dir, '--no-tasks', ...extra]);
    await run.waitFor(/watching apps\//, 30_000);
    const out = path.join(b.dir, 'job');
    enqueue(b.dir, 'default', 'slow', [out, JOB_S]);
    while (!existsSync(`${out}.pid`)) await new Promise((r) => setTimeout(r, 10));
    const mark = run.output.length;
    const t0 = process.hrtime.bigint();
    writeFileSync(path.join(b.dir, 'apps', 'app', 'app', 'hooks.py'), '# saved\n');
    await run.waitFor(/worker\.1 ready: registered/, 60_000, mark);
    const took = Number(process.hrtime.bigint() - t0) / 1e6;
    await run.stop();
    return took;
  } finally {
    b.cleanup();
  }
}

export async function saveDuringJob(runs: number): Promise<Row> {
  const newFirst: number[] = [];
  const stopFirst: number[] = [];
  for (let i = 0; i < runs; i++) {
    newFirst.push(await saveToNewWorker([]));
    stopFirst.push(await saveToNewWorker(['--reload-wait']));
  }
  const value = median(newFirst);
  return {
    figure: `a .py save while a ${JOB_S} s job runs → a worker with the new code registered (Debian's RQ)`,
    cells: new Map([['fbench', { ms: value }]]),
    limit: `${Math.round(median(stopFirst))} ms (stop first, then start: --reload-wait)`,
    target: '≤ 3000 ms, the job finishing in the old worker',
    pass: value <= 3000,
  };
}
