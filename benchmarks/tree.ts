// Start → "watching apps/" on a bench whose apps/ is real-sized, beside a bench with a tiny one:
// what watching costs grows with the folders that can hold code, not with every file.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { makeAppTree } from '../test/helpers/app-tree.js';
import { makeBench } from '../test/helpers/bench-fixture.js';
import { FbenchRun } from '../test/helpers/fbench-run.js';
import { median, type Row } from './row.js';

const RUNS = 3;

/** fbench's peak RSS so far (MB), from /proc. */
const peakMb = (pid: number): number => Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;

/** fbench's CPU time so far (s), from /proc. */
const cpuSeconds = (pid: number): number => {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(f[11]) + Number(f[12])) / 100;
};

async function startToWatching(dir: string): Promise<{ ms: number; mb: number }> {
  const t0 = performance.now();
  // A custom line restarted on code changes: the watching is measured, not a worker's start.
  const run = new FbenchRun(['start', '--bench', dir, '--reload', 'other']);
  await run.waitFor(/watching apps\/ for \.py changes/, 60_000);
  const ms = performance.now() - t0;
  await new Promise((r) => setTimeout(r, 500));
  const mb = peakMb(run.child.pid!);
  await run.stop();
  return { ms, mb };
}

/**
 * The same tree polled (a mounted folder, where edits made outside raise no event): fbench's CPU
 * while idle over IDLE_S, and how long a saved .py takes to restart what reloads on code.
 */
const IDLE_S = 30;
async function polled(dir: string, py: string): Promise<{ cpu: number; mb: number; seenMs: number }> {
  const run = new FbenchRun(['start', '--bench', dir, '--reload', 'other', '--poll']);
  await run.waitFor(/watching apps\/ for \.py changes/, 60_000);
  await new Promise((r) => setTimeout(r, 1000));
  const c0 = cpuSeconds(run.child.pid!);
  await new Promise((r) => setTimeout(r, IDLE_S * 1000));
  const cpu = ((cpuSeconds(run.child.pid!) - c0) / IDLE_S) * 100;
  const from = run.output.length;
  const t0 = performance.now();
  writeFileSync(py, `# saved ${Date.now()}\n`);
  await run.waitFor(/file0\.py changed/, 60_000, from);
  const seenMs = performance.now() - t0;
  const mb = peakMb(run.child.pid!);
  await run.stop();
  return { cpu, mb, seenMs };
}

export async function pollTree(): Promise<Row> {
  const big = makeBench({ Procfile: 'w: sleep 1000\n' });
  const tree = makeAppTree(path.join(big.dir, 'apps'), { apps: 5, modules: 40, doctypes: 28, perFolder: 8, nodeModules: 3000 });
  const runs: { cpu: number; mb: number; seenMs: number }[] = [];
  for (let i = 0; i < RUNS; i++) runs.push(await polled(big.dir, tree.pyFiles[(i * 997) % tree.pyFiles.length]!));
  big.cleanup();
  const [cpu, mb, seen] = [median(runs.map((r) => r.cpu)), median(runs.map((r) => r.mb)), median(runs.map((r) => r.seenMs))];
  return {
    figure: `watch --poll (a mounted apps/): ${Math.round(tree.files / 1000)}k files in ${tree.codeFolders} code folders; CPU idle over ${IDLE_S} s, peak RSS, a save → restart`,
    cells: new Map([['fbench', { cpu, mb, note: `save seen in ${(seen / 1000).toFixed(1)} s` }]]),
    limit: 'one poll round per 2–30 s, by folders',
    target: '≤ 5 % of a core, save seen ≤ 30 s',
    pass: cpu <= 5 && seen <= 30_000,
  };
}

export async function watchTree(): Promise<Row> {
  const small = makeBench({ Procfile: 'w: sleep 1000\n' });
  const big = makeBench({ Procfile: 'w: sleep 1000\n' });
  makeAppTree(path.join(small.dir, 'apps'), { apps: 1, modules: 1, doctypes: 1, perFolder: 3, nodeModules: 0 });
  // 5 apps × 40 modules × 28 doctypes × 8 files, and 3,000 files of node_modules per app: ~60,000 files, ~6,000 code folders.
  const tree = makeAppTree(path.join(big.dir, 'apps'), { apps: 5, modules: 40, doctypes: 28, perFolder: 8, nodeModules: 3000 });
  const s: { ms: number; mb: number }[] = [];
  const b: { ms: number; mb: number }[] = [];
  for (let i = 0; i < RUNS; i++) {
    s.push(await startToWatching(small.dir));
    b.push(await startToWatching(big.dir));
  }
  small.cleanup();
  big.cleanup();
  const [ms, mb, smallMs, smallMb] = [median(b.map((x) => x.ms)), median(b.map((x) => x.mb)), median(s.map((x) => x.ms)), median(s.map((x) => x.mb))];
  return {
    figure: `watch: start → "watching apps/", ${Math.round(tree.files / 1000)}k files in ${tree.codeFolders} code folders; peak RSS`,
    cells: new Map([['fbench', { ms, mb }]]),
    limit: `${Math.round(smallMs)} ms, ${smallMb.toFixed(1)} MB (a 3-file apps/)`,
    target: `≤ 1500 ms, ≤ ${(smallMb + 30).toFixed(1)} MB (the small one + 30)`,
    pass: ms <= 1500 && mb <= smallMb + 30,
  };
}
