import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { makeBench } from '../helpers/bench-fixture.js';
import { FBENCH, pidsMatching } from '../helpers/fbench-run.js';
import { freePort } from '../helpers/ports.js';

const cleanups: (() => void)[] = [];
after(() => cleanups.forEach((c) => c()));

const ROOT = process.getuid?.() === 0;

/** Run fbench to its end; as root, optionally as nobody so that file permissions bite. */
function fbench(args: string[], opts: { unprivileged?: boolean } = {}): Promise<{ code: number | null; out: string; ms: number }> {
  const argv = [process.execPath, FBENCH, ...args];
  const [cmd, ...rest] = opts.unprivileged && ROOT ? ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', ...argv] : argv;
  const t0 = Date.now();
  const child = spawn(cmd!, rest, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const kill = setTimeout(() => child.kill('SIGKILL'), 10_000);
  return new Promise((resolve) =>
    child.once('close', (code) => {
      clearTimeout(kill);
      resolve({ code, out, ms: Date.now() - t0 });
    }),
  );
}

/** A small bench of bench's own shape, readable by anyone (the unprivileged cases run as nobody). */
async function bench(config: Record<string, unknown> = {}): Promise<string> {
  const port = await freePort();
  const b = makeBench({
    Procfile: `redis_queue: redis-server config/redis_queue.conf\nweb: bench serve --port 8000\nworker:  bench worker 1>> logs/worker.log 2>> logs/worker.error.log\n`,
    'sites/common_site_config.json': JSON.stringify({ redis_queue: `redis://127.0.0.1:${port}`, redis_cache: `redis://127.0.0.1:${port}`, ...config }),
    'sites/site1/site_config.json': '{"db_name": "x"}',
    'config/redis_queue.conf': `bind 127.0.0.1\nport ${port}\nsave ""\n`,
    'config/pids/.keep': '',
    'logs/.keep': '',
    '.env': 'A=1\n',
  });
  cleanups.push(b.cleanup);
  chmodSync(b.dir, 0o755);
  return b.dir;
}

const MARK = `${process.pid}-${Date.now()}`;
const pwned = (n: number): string => `/tmp/fbench-pwned-${MARK}-${n}`;

interface Case {
  name: string;
  config?: Record<string, unknown>;
  setup?: (dir: string) => void;
  args: (dir: string) => string[];
  /** What the one line must say (the file, key or option). */
  says: RegExp;
  unprivileged?: boolean;
  /** A file the command must not create. */
  notCreated?: string;
}

const inject = (n: number): Record<string, unknown> => ({ workers: { [n % 2 ? `x;touch ${pwned(n)};#` : `$(touch ${pwned(n)})`]: {} } });
const dirInstead = (rel: string) => (dir: string) => {
  rmSync(path.join(dir, rel), { force: true });
  mkdirSync(path.join(dir, rel), { recursive: true });
};
const unreadable = (rel: string) => (dir: string) => chmodSync(path.join(dir, rel), 0o000);

const CASES: Case[] = [
  // Injection through queue names from the config, every path that builds a command.
  ...[1, 2].flatMap((n): Case[] => [
    {
      name: `workers --with-redis with a hostile config queue (${n})`,
      config: inject(n),
      args: (d) => ['workers', '--queues', 'default', '--with-redis', '--bench', d],
      says: /sites\/common_site_config\.json: "workers" has a queue named/,
      notCreated: pwned(n),
    },
    {
      name: `start --preset split-all with a hostile config queue (${n})`,
      config: inject(n),
      args: (d) => ['start', '--preset', 'split-all', '--bench', d],
      says: /sites\/common_site_config\.json: "workers" has a queue named/,
      notCreated: pwned(n),
    },
    {
      name: `export supervisor with a hostile config queue (${n})`,
      config: inject(n),
      args: (d) => ['export', 'supervisor', '--bench', d],
      says: /sites\/common_site_config\.json: "workers" has a queue named/,
      notCreated: pwned(n),
    },
  ]),
  {
    name: 'workers --queues typed hostile',
    args: (d) => ['workers', '--queues', `x;touch ${pwned(3)};#`, '--with-redis', '--bench', d],
    says: /--queues: .* is not a queue name/,
    notCreated: pwned(3),
  },
  // Numbers.
  {
    name: 'export -n abc',
    args: (d) => ['export', 'supervisor', '--queues', 'default', '-n', 'abc', '--bench', d],
    says: /-n must be a whole number from 1 to 64, got "abc"/,
  },
  {
    name: 'export -n -1',
    args: (d) => ['export', 'supervisor', '--queues', 'default', '-n', '-1', '--bench', d],
    says: /-n must be a whole number from 1 to 64, got "-1"/,
  },
  { name: 'plan -p abc (a Procfile that is not there)', args: (d) => ['plan', '-p', 'abc', '--bench', d], says: /abc: does not exist/ },
  {
    name: 'plan -p 5000 (the honcho habit)',
    args: (d) => ['plan', '-p', '5000', '--bench', d],
    says: /-p is the Procfile, as in bench start; for honcho's PORT base use --port 5000/,
  },
  { name: 'plan --port abc', args: (d) => ['plan', '--port', 'abc', '--bench', d], says: /--port must be a port number from 1 to 65535, got "abc"/ },
  { name: 'plan --port 70000', args: (d) => ['plan', '--port', '70000', '--bench', d], says: /--port must be a port number/ },
  { name: 'plan --port -5000', args: (d) => ['plan', '--port', '-5000', '--bench', d], says: /--port must be a port number/ },
  { name: 'start --grace abc', args: (d) => ['start', '--grace', 'abc', '--bench', d], says: /--grace must be a number of seconds/ },
  {
    name: 'webserver_port 70000 in the config',
    config: { webserver_port: 70000 },
    args: (d) => ['plan', '--bench', d],
    says: /sites\/common_site_config\.json: webserver_port must be a port number from 1 to 65535, got 70000/,
  },
  // Counts that would hang or fork without end.
  { name: 'plan -c worker=100000', args: (d) => ['plan', '-c', 'worker=100000', '--bench', d], says: /-c worker must be a whole number from 0 to 64/ },
  {
    name: 'background_workers 100000000 with --preset split',
    config: { background_workers: 100000000 },
    args: (d) => ['plan', '--preset', 'split', '--bench', d],
    says: /common_site_config\.json: background_workers must be a whole number from 0 to 64/,
  },
  {
    name: 'a preset count of 1000000000',
    setup: (d) => {
      mkdirSync(path.join(d, 'config/fbench/presets'), { recursive: true });
      writeFileSync(path.join(d, 'config/fbench/presets/huge.yaml'), 'description: huge\nworkers:\n  - queues: [default]\n    count: 1000000000\n');
    },
    args: (d) => ['start', '--preset', 'huge', '--bench', d],
    says: /config\/fbench\/presets\/huge\.yaml:4:\d+: invalid preset: "count" must be a whole number from 0 to 64/,
  },
  // Files that are folders, or unreadable.
  ...['Procfile', 'sites/common_site_config.json', 'sites/site1/site_config.json', '.env', 'config/redis_queue.conf'].flatMap((rel): Case[] => [
    {
      name: `${rel} is a folder`,
      setup: dirInstead(rel),
      args: (d) => ['start', '--bench', d],
      says: new RegExp(`${rel.replace(/\./g, '\\.')}: is a folder, not a file`),
    },
    {
      name: `${rel} cannot be read`,
      setup: unreadable(rel),
      args: (d) => ['start', '--bench', d],
      says: new RegExp(`${rel.replace(/\./g, '\\.')}: cannot be read \\(permission denied\\)`),
      unprivileged: true,
    },
  ]),
  {
    name: 'config/pids not writable',
    setup: (d) => chmodSync(path.join(d, 'config/pids'), 0o555),
    args: (d) => ['start', '--bench', d],
    says: /config\/pids\/fbench\.pid: cannot be written .* make config\/pids writable/,
    unprivileged: true,
  },
  {
    name: 'a Procfile whose only line is malformed',
    setup: (d) => writeFileSync(path.join(d, 'Procfile'), 'web bench serve\n'),
    args: (d) => ['plan', '--bench', d],
    says: /Procfile:1: the Procfile defines no processes: ignored: not a "name: command" line/,
  },
];

describe('hostile and broken input: one line, non-zero, nothing started, no stack', { timeout: 120_000 }, () => {
  for (const c of CASES) {
    test(c.name, async () => {
      const dir = await bench(c.config);
      c.setup?.(dir);
      const r = await fbench(c.args(dir), { unprivileged: c.unprivileged === true });
      assert.notEqual(r.code, 0, r.out);
      assert.match(r.out, c.says);
      assert.doesNotMatch(r.out, /at .*\.js:\d+|internal error/, 'a stack trace or an internal error');
      assert.doesNotMatch(r.out, /started \(pid|wrote /, 'something was started or written');
      assert.equal(r.out.trim().split('\n').length, 1, `more than one line:\n${r.out}`);
      assert.ok(r.ms < 5000, `took ${r.ms} ms`);
      if (c.notCreated) assert.equal(existsSync(c.notCreated), false, `${c.notCreated} was created: the queue name reached a shell`);
      assert.deepEqual(pidsMatching(dir), [], 'a process of the bench is running');
    });
  }

  test('a preset that is a folder is INVALID in fbench presets, and the others are still listed', async () => {
    const dir = await bench();
    mkdirSync(path.join(dir, 'config/fbench/presets/broken.yaml'), { recursive: true });
    const r = await fbench(['presets', '--bench', dir]);
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, /^broken +config\/fbench\/presets\/broken\.yaml +INVALID: config\/fbench\/presets\/broken\.yaml: is a folder, not a file/m);
    assert.match(r.out, /^split-all +shipped/m);
  });

  test('the control socket is private even under umask 000', async () => {
    const dir = await bench();
    writeFileSync(path.join(dir, 'Procfile'), 'a: sleep 30\n');
    const child = spawn('sh', ['-c', `umask 000; exec "${process.execPath}" "${FBENCH}" start --bench "${dir}"`], { stdio: 'ignore' });
    cleanups.push(() => child.kill('SIGKILL'));
    const sock = path.join(dir, 'config/pids/fbench.sock');
    const end = Date.now() + 5000;
    while (!existsSync(sock) && Date.now() < end) await new Promise((r) => setTimeout(r, 5));
    const { statSync } = await import('node:fs');
    assert.equal(statSync(sock).mode & 0o777, 0o600);
    child.kill('SIGINT');
    await new Promise((r) => child.once('exit', r));
    assert.equal(readFileSync(path.join(dir, 'Procfile'), 'utf8'), 'a: sleep 30\n');
  });
});

describe('a Redis that accepts connections but does not answer', { timeout: 60_000 }, () => {
  test('SIGSTOPped: fbench ps and doctor say so within 3 s; after SIGCONT it is PONG again', async () => {
    const dir = await bench();
    const { FbenchRun } = await import('../helpers/fbench-run.js');
    const run = new FbenchRun(['start', '--bench', dir, 'redis_queue']);
    cleanups.push(() => run.signal('SIGKILL'));
    await run.waitFor(/ready in/);
    const redisPid = run.startedPids().get('redis_queue.1')!;
    const ps = async (): Promise<{ name: string; readiness: string }[]> =>
      JSON.parse((await fbench(['ps', '--json', '--bench', dir])).out) as { name: string; readiness: string }[];
    assert.equal((await ps()).find((p) => p.name === 'redis_queue.1')?.readiness, 'PONG');
    process.kill(redisPid, 'SIGSTOP');
    try {
      const t0 = Date.now();
      const readiness = (await ps()).find((p) => p.name === 'redis_queue.1')?.readiness;
      assert.match(readiness ?? '', /does not answer PING/);
      assert.ok(Date.now() - t0 < 10_000, 'a stopped Redis holds nothing up (a hang is what this catches; speed is for the benchmark)');
      const doctor = await fbench(['doctor', '--bench', dir]);
      assert.equal(doctor.code, 1, doctor.out);
      assert.ok(doctor.ms < 10_000, `doctor took ${doctor.ms} ms`);
      assert.match(doctor.out, /✖ redis_queue: port \d+ is held by your own running fbench .* does not answer PING .*\(stopped or busy\?\)/);
      assert.doesNotMatch(doctor.out, /all clear/);
    } finally {
      process.kill(redisPid, 'SIGCONT');
    }
    assert.equal((await ps()).find((p) => p.name === 'redis_queue.1')?.readiness, 'PONG');
    await run.stop();
  });
});
