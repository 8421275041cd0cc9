// Two builds of fbench side by side, for a change too small for the noise of separate runs:
// `node dist/benchmarks/ab.js OTHER/bin/fbench.cjs [--runs N] [--floors]` times this checkout's
// bin/fbench.cjs and OTHER's, taking turns within each round, on a one-line Procfile (start →
// exit) and on a bench of two Redis (spawn → "ready"). --floors adds, in the same rounds, the
// least a Node manager does for the same work (floors.ts), with and without the parts fbench
// must have: ioredis for the PING (this checkout's bundled build) and a watchdog's fork.
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { FBENCH } from '../test/helpers/fbench-run.js';
import { freePort } from '../test/helpers/ports.js';
import { REPO } from '../test/helpers/sample-bench.js';
import { benchDir, twoRedisBench } from './benches.js';
import { NODE_RUNS_TRUE, nodeReadiesTwoRedis, type ReadyFloor } from './floors.js';

const other = process.argv[2];
if (!other || other.startsWith('--')) {
  process.stderr.write('usage: node dist/benchmarks/ab.js OTHER/bin/fbench.cjs [--runs N]\n');
  process.exit(2);
}
const RUNS = Number(process.argv[process.argv.indexOf('--runs') + 1]) || 21;
const FLOORS = process.argv.includes('--floors');
const IOREDIS = path.join(REPO, 'dist', 'bundle', 'vendor', 'ioredis.cjs');
const builds = [
  { name: 'this checkout', bin: FBENCH },
  { name: path.resolve(other), bin: path.resolve(other) },
];

const now = (): number => Number(process.hrtime.bigint()) / 1e6;

/** ms from spawning node with `args` to its end, or to its first output matching `until` (then stopped with SIGINT and waited for). */
function timed(args: string[], until?: RegExp): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = now();
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'ignore'] });
    const stuck = setTimeout(() => child.kill('SIGINT'), 30_000); // then rejected below: never waits forever
    let out = '';
    let at: number | null = null;
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (until && at === null && until.test(out)) {
        at = now() - t0;
        child.kill('SIGINT');
      }
    });
    child.once('exit', () => clearTimeout(stuck));
    child.once('exit', () => (until && at === null ? reject(new Error(`node ${args[0]}: no ${until} in:\n${out}`)) : resolve(at ?? now() - t0)));
  });
}

interface Subject {
  name: string;
  /** node's arguments for a bench folder (and its two Redis ports). */
  args: (dir: string, ports: number[]) => string[];
}
const fbench = builds.map((b): Subject => ({ name: b.name, args: (dir) => [b.bin, 'start', '--bench', dir, '--no-color'] }));
const readyFloor = (name: string, floor: ReadyFloor): Subject => ({
  name,
  args: (_, ports) => ['-e', nodeReadiesTwoRedis(floor), ...ports.map(String)],
});

const figures: { name: string; subjects: Subject[]; run: (s: Subject) => Promise<number> }[] = [
  {
    name: 'start: one-line Procfile, whole run',
    subjects: [...fbench, ...(FLOORS ? [{ name: 'floor: node running sh -c true', args: () => ['-e', NODE_RUNS_TRUE] }] : [])],
    run: async (s) => {
      const dir = benchDir('a: true\n');
      try {
        return await timed(s.args(dir, []));
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  },
  {
    name: 'time to ready: two Redis',
    subjects: [
      ...fbench,
      ...(FLOORS
        ? [
            readyFloor('floor: raw PING', {}),
            readyFloor('floor: ioredis PING', { ioredis: IOREDIS }),
            readyFloor('floor: ioredis PING and a watchdog fork', { ioredis: IOREDIS, watchdog: true }),
          ]
        : []),
    ],
    run: async (s) => {
      const [cache, queue] = [await freePort(), await freePort()];
      const dir = twoRedisBench(cache, queue);
      try {
        return await timed(s.args(dir, [cache, queue]), /ready in \d+ ms|^ready$/m);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  },
];

const quantile = (xs: number[], q: number): number => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) * q)]!;
delete process.env.NODE_EXTRA_CA_CERTS; // as in run.ts
for (const figure of figures) {
  const times = figure.subjects.map(() => [] as number[]);
  for (let i = 0; i < RUNS; i++) for (const [j, subject] of figure.subjects.entries()) times[j]!.push(await figure.run(subject));
  process.stdout.write(`${figure.name} (${RUNS} rounds)\n`);
  for (const [j, subject] of figure.subjects.entries())
    process.stdout.write(`  median ${quantile(times[j]!, 0.5).toFixed(1)} ms, p25 ${quantile(times[j]!, 0.25).toFixed(1)} ms  ${subject.name}\n`);
}
