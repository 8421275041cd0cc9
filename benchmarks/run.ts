// fbench's benchmarks: each figure is the median of several runs, next to its physical limit
// measured in the same run. `npm run benchmark` (or `node dist/benchmarks/run.js [--runs N]`).
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pingRedis } from '../src/health/redis-ping.js';
import { FBENCH, FbenchRun } from '../test/helpers/fbench-run.js';
import { freePort } from '../test/helpers/ports.js';
import { tempSampleBench } from '../test/helpers/sample-bench.js';

const RUNS = Number(process.argv[process.argv.indexOf('--runs') + 1]) || 5;
const LINES = 200_000;

interface Row {
  figure: string;
  value: number;
  limit: number | null;
  unit: string;
  target: string;
  pass: boolean;
  note?: string;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const ms = (t0: bigint): number => Number(process.hrtime.bigint() - t0) / 1e6;

function tempDir(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'fbench-benchmark-'));
  execFileSync('mkdir', ['-p', path.join(dir, 'sites')]);
  for (const [f, t] of Object.entries(files)) writeFileSync(path.join(dir, f), t);
  return dir;
}

// ~50-byte lines "tag:seq:xxx…" from awk: fast enough that the relay, not the writer, is measured.
const gen = (tag: string): string => `awk 'BEGIN{for(i=0;i<${LINES};i++) printf "${tag}:%d:%s\\n", i, "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"}'`;

/** Lines of each tag that are missing, repeated, out of order or torn. */
function integrity(file: string): { torn: number; lost: number } {
  const seen: Record<string, number> = { a: 0, b: 0 };
  let torn = 0;
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const m = /^(?:\d\d:\d\d:\d\d )?(?:[ab]\.1 +\| )?([ab]):(\d+):x{40}$/.exec(line);
    if (!m) {
      if (/[ab]:\d/.test(line)) torn++;
      continue;
    }
    if (Number(m[2]) === seen[m[1]!]) seen[m[1]!]!++;
    else torn++;
  }
  return { torn, lost: 2 * LINES - seen.a! - seen.b! };
}

function relay(): Row {
  const dir = tempDir({ Procfile: `a: ${gen('a')}\nb: ${gen('b')}\n` });
  const out = path.join(dir, 'out.txt');
  const times: number[] = [];
  const limits: number[] = [];
  let torn = 0;
  let lost = 0;
  for (let i = 0; i < RUNS; i++) {
    let t0 = process.hrtime.bigint();
    spawnSync('sh', ['-c', `node ${FBENCH} start --bench ${dir} --exit-on-crash --no-color > ${out}`]);
    times.push(ms(t0));
    const r = integrity(out);
    torn += r.torn;
    lost += r.lost;
    t0 = process.hrtime.bigint();
    spawnSync('sh', ['-c', `(${gen('a')} & ${gen('b')}; wait) > ${out}`]);
    limits.push(ms(t0));
  }
  rmSync(dir, { recursive: true, force: true });
  const value = median(times);
  return {
    figure: `log relay: 2 × ${LINES / 1000}k lines to a file`,
    value,
    limit: median(limits),
    unit: 'ms',
    target: '≤ 400 ms, 0 torn/lost',
    pass: value <= 400 && torn === 0 && lost === 0,
    note: `${torn} torn, ${lost} lost in ${RUNS} runs`,
  };
}

async function timeToReady(): Promise<Row[]> {
  const times: number[] = [];
  const redisOnly: number[] = [];
  const limits: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const b = await tempSampleBench();
    let t0 = process.hrtime.bigint();
    let run = new FbenchRun(['start', '--bench', b.dir]);
    await run.waitFor(/ready in \d+ ms/, 30_000);
    times.push(ms(t0));
    await run.stop();
    // The same bench with only its two Redis: fbench's own share of the time to ready.
    t0 = process.hrtime.bigint();
    run = new FbenchRun(['start', '--bench', b.dir, 'redis_cache', 'redis_queue']);
    await run.waitFor(/ready in \d+ ms/, 30_000);
    redisOnly.push(ms(t0));
    await run.stop();
    b.cleanup();

    const port = await freePort();
    const t1 = process.hrtime.bigint();
    const redis = spawn('redis-server', ['--port', String(port), '--save', '', '--bind', '127.0.0.1'], { stdio: 'ignore' });
    // The same check fbench makes (TCP, then PING), so the difference is fbench's own cost.
    for (;;) {
      const r = await pingRedis({ kind: 'redis', host: '127.0.0.1', port }, 500);
      if (r.ok) break;
      await new Promise((res) => setTimeout(res, 1));
    }
    limits.push(ms(t1));
    redis.kill('SIGKILL');
  }
  const value = median(times);
  const limit = median(limits);
  const own = median(redisOnly);
  return [
    {
      figure: 'time to ready: sample bench, spawn → "ready"',
      value,
      limit,
      unit: 'ms',
      target: '≤ limit + 150 ms',
      pass: value <= limit + 150,
      note: '"ready" also waits for the web and socketio stand-ins, Node processes that boot and connect to Redis',
    },
    {
      figure: 'time to ready: its two Redis only',
      value: own,
      limit,
      unit: 'ms',
      target: '≤ limit + 150 ms',
      pass: own <= limit + 150,
      note: "fbench's own share: Node's start, loading, spawn, PING",
    },
  ];
}

async function shutdown(): Promise<Row> {
  const dir = tempDir({ Procfile: Array.from({ length: 10 }, (_, i) => `p${i}: sleep 1000\n`).join('') });
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const run = new FbenchRun(['start', '--bench', dir]);
    await run.waitFor(/ready in/);
    const t0 = process.hrtime.bigint();
    run.signal('SIGINT');
    await run.exited;
    times.push(ms(t0));
  }
  rmSync(dir, { recursive: true, force: true });
  const value = median(times);
  return { figure: 'shutdown: SIGINT → exit, 10 compliant processes', value, limit: null, unit: 'ms', target: '≤ 150 ms', pass: value <= 150 };
}

function cliStart(): Row[] {
  const time = (args: string[]): number => {
    const xs: number[] = [];
    for (let i = 0; i < RUNS * 2; i++) {
      const t0 = process.hrtime.bigint();
      spawnSync(process.execPath, args, { stdio: 'ignore' });
      xs.push(ms(t0));
    }
    return median(xs);
  };
  const node = time(['-e', '0']);
  const version = time([FBENCH, '--version']);
  const plan = time([FBENCH, 'plan', '--bench', path.join(path.dirname(FBENCH), '..', 'sample-bench')]);
  return [
    { figure: 'CLI start: fbench --version', value: version, limit: node, unit: 'ms', target: '≤ 60 ms', pass: version <= 60 },
    { figure: 'CLI start: fbench plan --bench sample-bench', value: plan, limit: node, unit: 'ms', target: '≤ 120 ms', pass: plan <= 120 },
  ];
}

async function memory(): Promise<Row> {
  const dir = tempDir({ Procfile: Array.from({ length: 20 }, (_, i) => `p${i}: while :; do echo "p${i} line $(date +%s%N)"; sleep 0.01; done\n`).join('') });
  const peaks: number[] = [];
  for (let i = 0; i < Math.min(RUNS, 3); i++) {
    const run = new FbenchRun(['start', '--bench', dir]);
    await run.waitFor(/ready in/);
    await new Promise((r) => setTimeout(r, 3000));
    const status = readFileSync(`/proc/${run.child.pid}/status`, 'utf8');
    peaks.push(Number(/VmHWM:\s+(\d+)/.exec(status)![1]) / 1024);
    await run.stop();
  }
  rmSync(dir, { recursive: true, force: true });
  const value = median(peaks);
  return { figure: 'memory: peak RSS with 20 chatty processes', value, limit: null, unit: 'MB', target: '≤ 60 MB', pass: value <= 60 };
}

async function reload(): Promise<Row> {
  const b = await tempSampleBench();
  const run = new FbenchRun(['start', '--bench', b.dir, '--no-timestamps']);
  await run.waitFor(/ready in/);
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    await new Promise((r) => setTimeout(r, 1500));
    const from = run.output.length;
    const t0 = process.hrtime.bigint();
    writeFileSync(path.join(b.dir, 'apps', 'frappe', 'frappe', 'tasks.py'), `def tick():\n    return ${i}\n`);
    await run.waitFor(/worker\.1 started \(pid \d+\)/, 10_000, from);
    times.push(ms(t0));
  }
  await run.stop();
  b.cleanup();
  const value = median(times);
  return { figure: 'reload: .py save → new worker pid', value, limit: null, unit: 'ms', target: '≤ 500 ms', pass: value <= 500 };
}

async function main(): Promise<void> {
  statSync(FBENCH);
  const rows: Row[] = [];
  const step = async (name: string, fn: () => Row | Row[] | Promise<Row | Row[]>): Promise<void> => {
    process.stderr.write(`bench: ${name}…\n`);
    const r = await fn();
    rows.push(...(Array.isArray(r) ? r : [r]));
  };
  const only = process.argv.includes('--only') ? process.argv[process.argv.indexOf('--only') + 1]!.split(',') : null;
  const steps: [string, () => Row | Row[] | Promise<Row | Row[]>][] = [
    ['relay', relay],
    ['ready', timeToReady],
    ['shutdown', shutdown],
    ['cli', cliStart],
    ['memory', memory],
    ['reload', reload],
  ];
  for (const [name, fn] of steps) if (!only || only.includes(name)) await step(name, fn);

  const fmt = (r: Row, v: number | null): string => (v === null ? '–' : `${r.unit === 'MB' ? v.toFixed(1) : Math.round(v)} ${r.unit}`);
  const lines = [
    `| figure | median of ${RUNS} | limit | target | |`,
    '|---|---|---|---|---|',
    ...rows.map((r) => `| ${r.figure} | ${fmt(r, r.value)} | ${fmt(r, r.limit)} | ${r.target} | ${r.pass ? '✔' : '✖'}${r.note ? ` ${r.note}` : ''} |`),
  ];
  process.stdout.write(`${lines.join('\n')}\n\n${new Date().toISOString().slice(0, 10)}, node ${process.version}, \`npm run bench\`\n`);
}

await main();
