import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { pingRedis } from '../../src/health/redis-ping.js';
import { FBENCH, FbenchRun, survivors } from '../helpers/fbench-run.js';
import { freePort, listening } from '../helpers/ports.js';
import { tempSampleBench, type TempBench } from '../helpers/sample-bench.js';

const benches: TempBench[] = [];
const runs: FbenchRun[] = [];
const children: ChildProcess[] = [];
after(() => {
  for (const r of runs) if (r.child.exitCode === null && r.child.signalCode === null) r.signal('SIGKILL');
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  benches.forEach((b) => b.cleanup());
});

/** A temp sample bench with its Procfile replaced. `{cache}`/`{queue}` stand for its Redis ports. */
async function bench(procfile: string, edit?: (dir: string, b: TempBench) => void): Promise<TempBench> {
  const b = await tempSampleBench();
  benches.push(b);
  writeFileSync(path.join(b.dir, 'Procfile'), procfile);
  edit?.(b.dir, b);
  return b;
}

function start(b: TempBench, ...args: string[]): FbenchRun {
  const r = new FbenchRun(['start', '--bench', b.dir, '--no-timestamps', ...args]);
  runs.push(r);
  return r;
}

function own(cmd: string, args: string[], cwd?: string): ChildProcess {
  const c = spawn(cmd, args, { cwd, stdio: 'ignore' });
  children.push(c);
  return c;
}

const REDIS_AND_WORKER = `redis_cache: redis-server config/redis_cache.conf
redis_queue: redis-server config/redis_queue.conf
worker: bench worker
`;

const at = (run: FbenchRun, s: string): number => {
  const i = run.output.indexOf(s);
  assert.ok(i >= 0, `no "${s}" in:\n${run.output}`);
  return i;
};

describe('Redis gating', () => {
  test('a worker that dies without Redis never dies: 20 starts in a row', async () => {
    const b = await bench(REDIS_AND_WORKER);
    for (let i = 0; i < 20; i++) {
      const run = start(b);
      await run.waitFor(/worker\.1 +\| Worker \S+ started/);
      assert.ok(at(run, 'worker.1 started') > at(run, 'redis_queue.1 ready: PONG'), `run ${i}`);
      assert.ok(at(run, 'worker.1 started') > at(run, 'redis_cache.1 ready: PONG'), `run ${i}`);
      const { code } = await run.stop();
      assert.equal(code, 130);
      assert.doesNotMatch(run.output, /worker\.1 exit code|ConnectionError/, `run ${i}:\n${run.output}`);
    }
  });

  test('a slow Redis delays only what depends on it', async () => {
    const b = await bench(`redis_cache: redis-server config/redis_cache.conf
redis_queue: sleep 1.5; redis-server config/redis_queue.conf
watch: bench watch
socketio: node apps/frappe/socketio.js
worker: bench worker
`);
    const run = start(b);
    await run.waitFor(/ready in/);
    const queueHealthy = at(run, 'redis_queue.1 ready: PONG');
    assert.ok(at(run, 'watch.1 started') < queueHealthy);
    assert.ok(at(run, 'redis_cache.1 ready: PONG') < queueHealthy);
    assert.ok(at(run, 'worker.1 started') > queueHealthy);
    assert.ok(at(run, 'socketio.1 started') > queueHealthy);
    await run.stop();
    assert.doesNotMatch(run.output, /exit code [1-9]/);
  });

  test('a Redis reading a big RDB (LOADING) is waited out before its dependents start', async () => {
    const b = await bench(REDIS_AND_WORKER);
    // Make the RDB the queue Redis will load: a million keys take it about a second.
    const maker = own('redis-server', [
      '--port',
      String(b.ports.queue),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--enable-debug-command',
      'yes',
      '--dir',
      path.join(b.dir, 'config', 'pids'),
      '--dbfilename',
      'redis_queue.rdb',
    ]);
    const makerExited = new Promise((r) => maker.once('exit', r));
    const { Redis } = await import('ioredis');
    const c = new Redis({ port: b.ports.queue, retryStrategy: (n) => (n < 50 ? 50 : null) });
    c.on('error', () => {});
    await c.call('DEBUG', 'POPULATE', '1000000', 'key', '64');
    await c.save();
    await c.shutdown('NOSAVE').catch(() => {});
    c.disconnect();
    await makerExited;

    const run = start(b);
    await run.waitFor(/worker\.1 +\| Worker \S+ started/, 60_000);
    const loading = at(run, 'redis_queue.1 is loading its data (LOADING); waiting');
    assert.ok(at(run, 'redis_queue.1 ready: PONG') > loading);
    assert.ok(at(run, 'worker.1 started') > at(run, 'redis_queue.1 ready: PONG'));
    await run.stop();
    assert.doesNotMatch(run.output, /worker\.1 exit code|ConnectionError|LOADING Redis is loading/);
  });

  test('on a terminal, a task list shows the start-up, then hands over to the log stream', async () => {
    const b = await bench(REDIS_AND_WORKER);
    const cmd = `stty cols 160 rows 50; exec ${process.execPath} ${FBENCH} start --bench ${b.dir}`;
    const tty = spawn('script', ['-qfec', cmd, '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
    children.push(tty);
    let out = '';
    tty.stdout!.on('data', (d) => (out += d));
    const deadline = Date.now() + 20_000;
    while (!/ready in \d+ ms/.test(out) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    assert.match(out, /redis_queue\.1: ready \(PONG\) after \d+ ms/);
    assert.match(out, /worker\.1: registered on \S+ after \d+ ms/);
    assert.ok(out.indexOf('worker.1: registered') < out.indexOf('ready in'), 'log stream before the task list ended');
    tty.stdin!.write('\x03'); // Ctrl-C, through the terminal
    await new Promise((r) => tty.once('exit', r));
    assert.match(out, /redis_queue\.1 stopped/);
  });

  test('on a terminal, a start-up failure ends fbench too (the task list never holds it)', async () => {
    const b = await bench(REDIS_AND_WORKER, (dir) => rmSync(path.join(dir, 'config', 'redis_queue.acl')));
    const cmd = `stty cols 160 rows 50; ${process.execPath} ${FBENCH} start --bench ${b.dir}; echo "fbench exited $?"`;
    const tty = spawn('script', ['-qfec', cmd, '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
    children.push(tty);
    let out = '';
    tty.stdout!.on('data', (d) => (out += d));
    const code = await new Promise((r) => tty.once('exit', r));
    assert.equal(code, 0);
    assert.match(out, /Error loading ACLs/);
    assert.match(out, /fbench exited 1/);
  });

  test('a Redis that dies after start-up is restarted, naming what depends on it; its dependents wait for it again', async () => {
    const b = await bench(REDIS_AND_WORKER);
    const run = start(b);
    await run.waitFor(/worker\.1 +\| Worker \S+ started/);
    process.kill(-run.startedPids().get('redis_queue.1')!, 'SIGKILL');
    await run.waitFor(/redis_queue\.1 killed by SIGKILL; restarting in 1 s \(worker\.1 depend on it\)/);
    const from = run.output.length;
    await run.waitFor(/redis_queue\.1 ready: PONG/, 20_000, from);
    await run.waitFor(/worker\.1 +\| Worker \S+ started/, 20_000, from);
    await run.stop();
  });

  test('a foreign listener on a Redis port stops start-up, naming its pid and command', async () => {
    const b = await bench(REDIS_AND_WORKER);
    const holder = own(process.execPath, ['-e', `require('net').createServer().listen(${b.ports.queue}, '127.0.0.1'); setTimeout(() => {}, 60000)`]);
    await listening(b.ports.queue);
    const run = start(b);
    const { code } = await run.exited;
    assert.equal(code, 1);
    assert.match(run.output, new RegExp(`port ${b.ports.queue} is held by pid ${holder.pid} \\(.*node -e`));
    assert.match(run.output, /Nothing was started/);
    assert.doesNotMatch(run.output, /started \(pid/);
  });

  test("another bench's Redis on the port is refused too", async () => {
    const b = await bench(REDIS_AND_WORKER);
    const other = own('redis-server', ['--port', String(b.ports.queue), '--bind', '127.0.0.1', '--save', '', '--dir', '/tmp']);
    await listening(b.ports.queue);
    const run = start(b);
    const { code } = await run.exited;
    assert.equal(code, 1);
    assert.match(
      run.output,
      new RegExp(
        `port ${b.ports.queue} is held by pid ${other.pid} \\(redis-server [^)]*\\), which is not this bench's Redis \\(it works in /tmp, not ${b.dir}/config/pids\\)`,
      ),
    );
  });

  test("this bench's leftover Redis is adopted, gated on, and stopped with the rest", async () => {
    const b = await bench(REDIS_AND_WORKER);
    const leftover = own('redis-server', ['config/redis_queue.conf'], b.dir);
    await listening(b.ports.queue);
    const run = start(b);
    await run.waitFor(/worker\.1 +\| Worker \S+ started/);
    assert.match(run.output, new RegExp(`redis_queue\\.1: this bench's Redis is already running \\(pid ${leftover.pid}`));
    assert.equal((run.output.match(/redis-server config\/redis_queue|redis_queue\.1 started/g) ?? []).length, 0);
    await run.stop();
    assert.deepEqual(await survivors([leftover.pid!], 1000), []);
    // An adopted process has no exit status to tell (it is not fbench's child).
    assert.match(run.output, /redis_queue\.1 stopped$/m);
    assert.doesNotMatch(run.output, /exit code null/);
  });

  test("a Redis that cannot start fails at once with Redis's own message", async () => {
    const b = await bench(REDIS_AND_WORKER, (dir) => rmSync(path.join(dir, 'config', 'redis_queue.acl')));
    const t0 = Date.now();
    const run = start(b, '--ready-timeout', '30');
    const { code } = await run.exited;
    assert.equal(code, 1);
    assert.ok(Date.now() - t0 < 10_000, 'waited for the ready timeout instead of failing fast');
    assert.match(run.output, /error: redis_queue\.1 exited during start-up \(exit code 1\)/);
    assert.match(run.output, /Error loading ACLs, opening file '\.\.\/redis_queue\.acl'/);
    assert.doesNotMatch(run.output, /worker\.1 started/);
  });

  test('an external Redis (no redis lines) is gated on too; unreachable, it names the URL and key', async () => {
    const port = await freePort();
    const b = await bench('worker: bench worker\nschedule: bench schedule\n', (dir) => {
      const conf = path.join(dir, 'sites', 'common_site_config.json');
      const json = JSON.parse(readFileSync(conf, 'utf8'));
      json.redis_cache = json.redis_queue = `redis://127.0.0.1:${port}`;
      writeFileSync(conf, JSON.stringify(json));
    });
    const run = start(b);
    await new Promise((r) => setTimeout(r, 800));
    assert.doesNotMatch(run.output, /worker\.1 started/);
    own('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '']);
    await run.waitFor(/worker\.1 +\| Worker \S+ started/);
    assert.ok(at(run, 'worker.1 started') > at(run, `(external) ready: PONG from redis://127.0.0.1:${port}`));
    await run.stop();
    assert.doesNotMatch(run.output, /ConnectionError/);

    const dead = await freePort();
    const b2 = await bench('worker: bench worker\n', (dir) => {
      const conf = path.join(dir, 'sites', 'common_site_config.json');
      writeFileSync(conf, JSON.stringify({ redis_cache: `redis://127.0.0.1:${dead}`, redis_queue: `redis://127.0.0.1:${dead}` }));
    });
    const run2 = start(b2, '--ready-timeout', '1');
    const r2 = await run2.exited;
    assert.equal(r2.code, 1);
    assert.match(
      run2.output,
      new RegExp(
        `redis_(queue|cache) \\(external\\) not ready after 1 s: redis://127\\.0\\.0\\.1:${dead} \\(from sites/common_site_config\\.json: redis_(queue|cache)\\) is unreachable`,
      ),
    );
    assert.doesNotMatch(run2.output, /worker\.1 started/);
  });

  test('an external Redis that refuses the credentials fails at once, without showing the password', async () => {
    const port = await freePort();
    own('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--requirepass', 'right']);
    await listening(port);
    const b = await bench('worker: bench worker\n', (dir) => {
      writeFileSync(
        path.join(dir, 'sites', 'common_site_config.json'),
        JSON.stringify({ redis_cache: `redis://:wrong@127.0.0.1:${port}`, redis_queue: `redis://:wrong@127.0.0.1:${port}` }),
      );
    });
    const t0 = Date.now();
    const run = start(b);
    const { code } = await run.exited;
    assert.equal(code, 1);
    assert.ok(Date.now() - t0 < 10_000, 'waited for the ready timeout on a credentials error');
    assert.match(
      run.output,
      new RegExp(`error: redis_(queue|cache) \\(external\\) redis://:\\*\\*\\*@127\\.0\\.0\\.1:${port} .*refused the credentials: WRONGPASS`),
    );
    assert.doesNotMatch(run.output, /wrong@/);
  });

  test('a stale node path in the socketio line falls back to the node on PATH', async () => {
    const b = await bench(`redis_queue: redis-server config/redis_queue.conf
socketio: /opt/node-v14.0.0/bin/node apps/frappe/socketio.js
`);
    const run = start(b);
    await run.waitFor(/socketio\.1 ready: listening on :/);
    assert.match(run.output, /warning: Procfile:2: socketio: \/opt\/node-v14\.0\.0\/bin\/node does not exist .*using the node on PATH/);
    await run.stop();
  });

  test("the gate's PING is all it asks of Redis: no CLIENT SETINFO (ioredis's default) before it", async () => {
    const port = await freePort();
    own('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '']);
    await listening(port);
    const r = await pingRedis({ host: '127.0.0.1', port }, 1000, { details: false });
    assert.equal(r.ok, true);
    // What Redis ran (commandstats), and what it refused (errorstats: Redis < 7.2 knows no SETINFO).
    const stats = spawnSync('redis-cli', ['-p', String(port), 'info', 'everything'], { encoding: 'utf8' }).stdout;
    const ran = [...stats.matchAll(/^cmdstat_([\w|]+):calls=(\d+)/gm)].map((m) => `${m[1]}=${m[2]}`);
    assert.deepEqual(ran, ['ping=1']);
    assert.doesNotMatch(stats, /^errorstat_/m);
  });

  test('no redis-server on PATH: one clear error with the install hint', async () => {
    const b = await bench(REDIS_AND_WORKER);
    const run = new FbenchRun(['start', '--bench', b.dir], {
      env: { PATH: path.dirname(process.execPath) === '/usr/bin' ? '/nonexistent' : path.dirname(process.execPath) },
    });
    runs.push(run);
    const { code } = await run.exited;
    assert.equal(code, 1);
    assert.match(
      run.output,
      /redis-server is not found \(not in env\/bin, nor on PATH\); redis_cache\.1, redis_queue\.1 run it → install it: `sudo apt-get install redis-server`/,
    );
  });
});
