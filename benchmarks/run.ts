// fbench's benchmarks: each figure is the median of several runs, beside its peers on the same
// work and the physical limit, all measured in the same run, and a target that is a ratio to
// something measured in that run (so a noisy machine cannot move it).
// `npm run benchmark` (or `node dist/benchmarks/run.js [--runs N] [--only relay,start,…]`).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import path from 'node:path';
import { pingRedis } from '../src/health/redis-ping.js';
import { benchDir, twoRedisBench } from './benches.js';
import { median, type Cell, type Row } from './row.js';
import { pollTree, watchTree } from './tree.js';
import { viewCost } from './view.js';
import { saveDuringJob } from './save-during-job.js';
import { webFirst } from './web-first.js';
import { NODE_RUNS_TRUE, nodeReadiesTwoRedis } from './floors.js';
import { killTree, processTree, signalPid } from '../src/runtime/process-group.js';
import { which } from '../src/util/which.js';
import { FBENCH, FbenchRun } from '../test/helpers/fbench-run.js';
import { freePort } from '../test/helpers/ports.js';
import { REPO, SAMPLE } from '../test/helpers/sample-bench.js';

const RUNS = Number(process.argv[process.argv.indexOf('--runs') + 1]) || 5;
const LINES = 200_000;
const BIN = path.join(REPO, 'node_modules', '.bin');

/** A process manager measured beside fbench: how it runs a Procfile in a folder. */
interface Peer {
  name: string;
  /** The shell command that runs `dir`'s Procfile with prefixed output, or null when not installed. */
  run: (dir: string) => string | null;
}
const PEERS: Peer[] = [
  { name: 'fbench', run: (dir) => `node ${FBENCH} start --bench ${dir} --no-color` },
  {
    name: 'concurrently',
    // concurrently takes the commands, not a Procfile: the same ones, with the same names.
    run: (dir) => {
      const entries = procfile(dir);
      return `${BIN}/concurrently --no-color -n ${entries.map((e) => e.name).join(',')} ${entries.map((e) => quote(e.command)).join(' ')}`;
    },
  },
  { name: 'node-foreman', run: (dir) => `cd ${dir} && ${BIN}/nf start` },
  { name: 'foreman', run: (dir) => (which('foreman', process.env.PATH ?? '') ? `foreman start -f ${dir}/Procfile -d ${dir}` : null) },
  { name: 'honcho', run: (dir) => (which('honcho', process.env.PATH ?? '') ? `honcho -f ${dir}/Procfile -d ${dir} start` : null) },
];

const quote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;
const ms = (t0: bigint): number => Number(process.hrtime.bigint() - t0) / 1e6;

function procfile(dir: string): { name: string; command: string }[] {
  return readFileSync(path.join(dir, 'Procfile'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => ({ name: l.slice(0, l.indexOf(':')), command: l.slice(l.indexOf(':') + 1).trim() }));
}

/** A peer that never ends (Ruby foreman with processes that exit) is stopped here and said so. */
const LIMIT_S = 60;

/** Run a shell command to its end: wall time and the peak RSS of its biggest process (GNU time). */
function timed(command: string, out = '/dev/null'): { ms: number; mb: number; unfinished: boolean } {
  const rss = path.join(tmpdir(), `fbench-benchmark-rss-${process.pid}`);
  const t0 = process.hrtime.bigint();
  // Its own session, so that what a peer leaves behind (Ruby foreman's master) ends with it.
  const sid = `${rss}.sid`;
  const r = spawnSync(
    '/usr/bin/time',
    ['-f', '%M', '-o', rss, 'timeout', '-k', '5', String(LIMIT_S), 'setsid', 'sh', '-c', `echo $$ > ${sid}; ${command} > ${out} 2>&1`],
    {
      stdio: 'ignore',
    },
  );
  const wall = ms(t0);
  if (existsSync(sid)) {
    // What it left behind: its group, and what descends from it.
    killTree(Number(readFileSync(sid, 'utf8').trim()));
    rmSync(sid, { force: true });
  }
  const kb = Number(readFileSync(rss, 'utf8').trim().split('\n').pop());
  rmSync(rss, { force: true });
  return { ms: wall, mb: kb / 1024, unfinished: r.status === 124 || r.status === 137 };
}

/** One command measured: a shell command, where its output goes, and a check of that output. */
interface Subject {
  name: string;
  command: string;
  out?: string;
  /** A check of its output, told whose it is. */
  check?: (who: string) => string | undefined;
}

/**
 * The median wall time and peak RSS of each subject over `runs` rounds, the subjects taking
 * turns within each round: a machine that slows down for a while slows all of them alike.
 */
function rounds(subjects: Subject[], runs = RUNS): Map<string, Cell> {
  const t = new Map<string, number[]>(subjects.map((s) => [s.name, []]));
  const notes = new Map<string, string>(); // the last check of each (a torn line shows in every run that has one)
  const m = new Map<string, number[]>(subjects.map((s) => [s.name, []]));
  const cells = new Map<string, Cell>();
  for (let i = 0; i < runs; i++) {
    for (const s of subjects) {
      if (cells.has(s.name)) continue; // did not finish: not run again
      const r = timed(s.command, s.out);
      if (r.unfinished) {
        cells.set(s.name, { note: `did not finish in ${LIMIT_S} s` });
        continue;
      }
      t.get(s.name)!.push(r.ms);
      m.get(s.name)!.push(r.mb);
      const note = s.check?.(s.name);
      if (note) notes.set(s.name, note);
    }
  }
  for (const s of subjects) {
    if (cells.has(s.name)) continue;
    const note = notes.get(s.name);
    cells.set(s.name, { ms: median(t.get(s.name)!), mb: median(m.get(s.name)!), ...(note ? { note } : {}) });
  }
  return cells;
}

/** Every installed peer on the Procfile in `dir`, as subjects. */
function peers(dir: string, out?: string, check?: (who: string) => string | undefined): Subject[] {
  return PEERS.flatMap((p) => {
    const command = p.run(dir);
    return command ? [{ name: p.name, command, ...(out ? { out } : {}), ...(check ? { check } : {}) }] : [];
  });
}
/** The cells of the peers among `cells` (the rest are limits). */
const peerCells = (cells: Map<string, Cell>, peers: Subject[]): Map<string, Cell> => new Map(peers.map((p) => [p.name, cells.get(p.name)!]));

// ~50-byte lines "tag:seq:xxx…" from awk: fast enough that the relay, not the writer, is measured.
const gen = (tag: string): string => `awk 'BEGIN{for(i=0;i<${LINES};i++) printf "${tag}:%d:%s\\n", i, "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"}'`;

/** Torn lines (a prefix or another line inside them) and lost ones, whatever the prefix format; fbench's first torn line is shown. */
function integrity(file: string, who: string): string {
  const seen: Record<string, Set<number>> = { a: new Set(), b: new Set() };
  let torn = 0;
  for (const line of readFileSync(file, 'latin1').split('\n')) {
    const m = /(?:^|[\s|\]])([ab]):(\d+):(x*)$/.exec(line);
    if (m && m[3]!.length === 40 && m.index + m[0].length === line.length && !/[ab]:\d+:x*[^x]/.test(line.slice(0, m.index + 1)))
      seen[m[1]!]!.add(Number(m[2]));
    else if (/[ab]:\d/.test(line)) {
      if (torn === 0 && who === 'fbench') process.stderr.write(`benchmark: a torn line in ${file}: ${JSON.stringify(line.slice(0, 300))}\n`);
      torn++;
    }
  }
  return `${torn} torn, ${2 * LINES - seen.a!.size - seen.b!.size} lost`;
}

function relay(): Row {
  const dir = benchDir(`a: ${gen('a')}\nb: ${gen('b')}\n`);
  const out = path.join(dir, 'out.txt');
  const subjects = peers(dir, out, (who) => integrity(out, who));
  const all = rounds([...subjects, { name: 'limit', command: `(${gen('a')} & ${gen('b')}; wait)`, out }]);
  rmSync(dir, { recursive: true, force: true });
  // Time and integrity: the memory under this load is a row of its own.
  const cells = new Map([...peerCells(all, subjects)].map(([k, { mb: _, ...v }]) => [k, v]));
  const f = cells.get('fbench')!;
  const c = cells.get('concurrently')!;
  return {
    figure: `relay: 2 × ${LINES / 1000}k lines, prefixed, to a file`,
    cells,
    limit: `${Math.round(all.get('limit')!.ms!)} ms (raw sh pipe)`,
    target: `≤ 0.8 × concurrently = ${Math.round(0.8 * c.ms!)} ms, 0 torn, 0 lost`,
    pass: f.ms! <= 0.8 * c.ms! && f.note === '0 torn, 0 lost',
  };
}

/** A one-line Procfile that exits at once: the whole run, start-up to exit. */
function oneLine(idle: Cell): Row[] {
  const dir = benchDir('a: true\n');
  const subjects = peers(dir);
  const all = rounds([...subjects, { name: 'node', command: 'node -e 0' }, { name: 'floor', command: `node -e '${NODE_RUNS_TRUE}'` }], RUNS * 2);
  rmSync(dir, { recursive: true, force: true });
  const cells = peerCells(all, subjects);
  const node = all.get('node')!;
  const floor = all.get('floor')!;
  const f = cells.get('fbench')!;
  const memory = new Map([...cells].map(([k, v]) => [k, v.mb === undefined ? v : { mb: v.mb }]));
  return [
    {
      figure: 'start: a one-line Procfile that exits at once, whole run',
      cells: new Map([...cells].map(([k, v]) => [k, v.ms === undefined ? v : { ms: v.ms }])),
      limit: `${Math.round(node.ms!)} ms (node -e 0); ${Math.round(floor.ms!)} ms (the least a Node manager does: node, one spawn of sh -c true)`,
      target: `≤ node -e 0 + 40 = ${Math.round(node.ms! + 40)} ms, below every peer`,
      pass: f.ms! <= node.ms! + 40 && [...cells].every(([name, c]) => name === 'fbench' || c.ms === undefined || f.ms! < c.ms),
    },
    {
      figure: 'peak RSS: the same one-line Procfile',
      cells: memory,
      limit: `${idle.mb!.toFixed(1)} MB (idle node)`,
      target: `≤ idle node + 12 = ${(idle.mb! + 12).toFixed(1)} MB`,
      pass: f.mb! <= idle.mb! + 12,
    },
  ];
}

function plan(): Row {
  const all = rounds(
    [
      { name: 'fbench', command: `node ${FBENCH} plan --json --bench ${SAMPLE}` },
      { name: 'node', command: 'node -e 0' },
    ],
    RUNS * 2,
  );
  const [cell, node] = [all.get('fbench')!, all.get('node')!];
  return {
    figure: 'plan: fbench plan --json on the sample bench',
    cells: new Map([['fbench', { ms: cell.ms! }]]),
    limit: `${Math.round(node.ms!)} ms (node -e 0)`,
    target: `≤ node -e 0 + 40 = ${Math.round(node.ms! + 40)} ms`,
    pass: cell.ms! <= node.ms! + 40,
  };
}

async function ready(): Promise<Row> {
  const times: number[] = [];
  const floors: number[] = [];
  const limits: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const [cache, queue] = [await freePort(), await freePort()];
    const dir = twoRedisBench(cache, queue);
    const t0 = process.hrtime.bigint();
    const run = new FbenchRun(['start', '--bench', dir]);
    await run.waitFor(/ready in \d+ ms/, 30_000);
    times.push(ms(t0));
    await run.stop();
    rmSync(dir, { recursive: true, force: true });

    const ports = [String(await freePort()), String(await freePort())];
    const t1 = process.hrtime.bigint();
    const floor = spawn(process.execPath, ['-e', nodeReadiesTwoRedis(), ...ports], { stdio: ['ignore', 'pipe', 'ignore'] });
    const exited = new Promise((r) => floor.once('exit', r));
    await new Promise<void>((r) => floor.stdout.once('data', () => r()));
    floors.push(ms(t1));
    await exited;

    const port = await freePort();
    const t2 = process.hrtime.bigint();
    const redis = spawn('redis-server', ['--port', String(port), '--save', '', '--bind', '127.0.0.1'], { stdio: 'ignore' });
    while (!(await pingRedis({ host: '127.0.0.1', port }, 500)).ok) await new Promise((r) => setTimeout(r, 1));
    limits.push(ms(t2));
    redis.kill('SIGKILL');
  }
  const value = median(times);
  const limit = median(limits);
  return {
    figure: 'time to ready: a bench of two Redis, spawn → "ready"',
    cells: new Map([['fbench', { ms: value }]]),
    limit: `${Math.round(limit)} ms (bare redis-server, spawn → PONG); ${Math.round(median(floors))} ms (the least a Node manager does: node, two spawns, a PING each)`,
    target: `≤ limit + 100 = ${Math.round(limit + 100)} ms`,
    pass: value <= limit + 100,
  };
}

/** The manager's own peak RSS while 20 processes print: `figure` names the load. */
function memory(figure: string, line: (i: number) => string, idle: Cell, allowMb: number): Row {
  const dir = benchDir(Array.from({ length: 20 }, (_, i) => `p${i}: ${line(i)}\n`).join(''));
  const cells = new Map([...rounds(peers(dir), Math.min(RUNS, 3))].map(([k, c]) => [k, c.mb === undefined ? c : { mb: c.mb }]));
  rmSync(dir, { recursive: true, force: true });
  const f = cells.get('fbench')!;
  return {
    figure,
    cells,
    limit: `${idle.mb!.toFixed(1)} MB (idle node)`,
    target: `≤ idle node + ${allowMb} = ${(idle.mb! + allowMb).toFixed(1)} MB`,
    pass: f.mb! <= idle.mb! + allowMb,
  };
}

/** The `sleep 1000`s among what `pid` started (its group and its descendants). */
function sleepsOf(pid: number): number[] {
  return processTree(pid).filter((p) => {
    try {
      return readFileSync(`/proc/${p}/cmdline`, 'utf8') === 'sleep\x001000\x00';
    } catch {
      return false;
    }
  });
}

/** 10 processes that exit on SIGTERM: SIGINT to the manager → its exit. */
async function shutdown(): Promise<Row> {
  const dir = benchDir(Array.from({ length: 10 }, (_, i) => `p${i}: sleep 1000\n`).join(''));
  const cells = new Map<string, Cell>();
  for (const p of PEERS) {
    const cmd = p.run(dir);
    if (!cmd) continue;
    const times: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      // Its own process group, signalled as a terminal's Ctrl-C signals the foreground group.
      const child = spawn('sh', ['-c', cmd], { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
      const exited = new Promise((r) => child.once('exit', r));
      child.stdout.resume();
      child.stderr.resume();
      // Started: all ten sleeps it started run.
      const deadline = Date.now() + 10_000;
      let sleeps: number[] = [];
      while ((sleeps = sleepsOf(child.pid!)).length < 10 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      const t0 = process.hrtime.bigint();
      process.kill(-child.pid!, 'SIGINT');
      const kill = setTimeout(() => process.kill(-child.pid!, 'SIGKILL'), 10_000);
      await exited;
      clearTimeout(kill);
      times.push(ms(t0));
      for (const pid of sleeps) signalPid(pid, 'SIGKILL'); // what a peer left behind
    }
    cells.set(p.name, { ms: median(times) });
  }
  rmSync(dir, { recursive: true, force: true });
  const f = cells.get('fbench')!;
  return { figure: 'shutdown: SIGINT → exit, 10 compliant processes', cells, limit: '–', target: '≤ 50 ms', pass: f.ms! <= 50 };
}

async function main(): Promise<void> {
  if (!existsSync(FBENCH)) throw new Error('build first: npm run build');
  const chosen = process.argv.includes('--only') ? process.argv[process.argv.indexOf('--only') + 1]!.split(',') : null;
  const want = (name: string): boolean => !chosen || chosen.includes(name);
  // A proxy's CA bundle in NODE_EXTRA_CA_CERTS is parsed by every Node start (here: 40 → 100 ms):
  // measured without it, for fbench and every peer alike.
  const unsetCa = process.env.NODE_EXTRA_CA_CERTS !== undefined;
  delete process.env.NODE_EXTRA_CA_CERTS;
  const idle = rounds([{ name: 'idle', command: `node -e "setTimeout(() => {}, 300)"` }]).get('idle')!;
  const rows: Row[] = [];
  const step = async (name: string, fn: () => Row | Row[] | Promise<Row | Row[]>): Promise<void> => {
    if (!want(name)) return;
    process.stderr.write(`benchmark: ${name}…\n`);
    const r = await fn();
    rows.push(...(Array.isArray(r) ? r : [r]));
  };
  await step('relay', relay);
  await step('start', () => oneLine(idle));
  await step('plan', plan);
  await step('ready', ready);
  await step('web-first', () => webFirst(RUNS));
  await step('save', () => saveDuringJob(Math.min(RUNS, 3)));
  await step('memory', () => [
    // a busy but ordinary bench, then 200k lines each at full speed
    memory(
      'peak RSS: 20 chatty processes (a line each 10 ms)',
      (i) => `i=0; while [ $i -lt 300 ]; do echo "p${i} line $i"; i=$((i+1)); sleep 0.01; done`,
      idle,
      40,
    ),
    memory('peak RSS: 20 processes × 200k lines', (i) => gen(i % 2 ? 'a' : 'b'), idle, 45),
  ]);
  await step('shutdown', shutdown);
  await step('watch', watchTree);
  await step('poll', pollTree);
  await step('ui', viewCost);

  const names = PEERS.map((p) => p.name).filter((n) => rows.some((r) => r.cells.has(n)));
  const fmt = (c: Cell | undefined): string =>
    !c
      ? '–'
      : c.ms === undefined && c.mb === undefined && c.cpu === undefined
        ? (c.note ?? '–')
        : `${[c.ms !== undefined ? `${Math.round(c.ms)} ms` : '', c.mb !== undefined ? `${c.mb.toFixed(1)} MB` : '', c.cpu !== undefined ? `${c.cpu.toFixed(2)} % CPU` : ''].filter(Boolean).join(', ')}${c.note ? ` (${c.note})` : ''}`;
  const table = [
    `| figure | ${names.join(' | ')} | limit | target | |`,
    `|---|${names.map(() => '---|').join('')}---|---|---|`,
    ...rows.map((r) => `| ${r.figure} | ${names.map((n) => fmt(r.cells.get(n))).join(' | ')} | ${r.limit} | ${r.target} | ${r.pass ? '✔' : '✖'} |`),
  ];
  const missing = PEERS.filter((p) => !rows.some((r) => r.cells.has(p.name))).map((p) => p.name);
  process.stdout.write(
    `${table.join('\n')}\n\nMedian of ${RUNS} (start and plan: ${RUNS * 2}); ${new Date().toISOString().slice(0, 10)}, ${cpus().length} cores, node ${process.version}, \`npm run benchmark\`` +
      `${missing.length ? `; not on PATH, so not measured: ${missing.join(', ')}` : ''}` +
      `${unsetCa ? '; NODE_EXTRA_CA_CERTS unset for every command' : ''}; each round runs every command in turn\n`,
  );
}

await main();
