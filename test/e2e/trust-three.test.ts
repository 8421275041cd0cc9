import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { lstatSync, mkdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { createDeflate } from 'node:zlib';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { Redis } from 'ioredis';
import { loadBench } from '../../src/frappe/bench-model.js';
import { rqQueueName } from '../../src/frappe/queues.js';
import { makeBench } from '../helpers/bench-fixture.js';
import { alive, FBENCH, survivors } from '../helpers/fbench-run.js';
import { tempSampleBench } from '../helpers/sample-bench.js';
import { rqBench } from '../helpers/real-programs.js';
import { until } from '../helpers/until.js';
import { freePort, listening } from '../helpers/ports.js';
import { testScope } from '../helpers/scope.js';

const { cleanups, fbench, finished } = testScope();

/** A bench of bench's shape whose processes stand in for Frappe's: a worker that takes seconds to stop on SIGTERM. */
async function bench(): Promise<{ dir: string; port: number }> {
  const port = await freePort();
  const b = makeBench({
    Procfile: `redis_queue: redis-server config/redis_queue.conf\nslow: sh -c 'trap "sleep 2; exit 0" TERM; while :; do sleep 0.1; done'\n`,
    'sites/common_site_config.json': JSON.stringify({ redis_queue: `redis://127.0.0.1:${port}`, redis_cache: `redis://127.0.0.1:${port}`, bench_id: 'trust' }),
    'sites/site1/site_config.json': '{"db_name": "x"}',
    'config/redis_queue.conf': `bind 127.0.0.1\nport ${port}\nsave ""\n`,
    'config/pids/.keep': '',
    'logs/.keep': '',
  });
  cleanups.push(b.cleanup);
  return { dir: b.dir, port };
}

/** mkfifo: a file that blocks whoever opens it to read until somebody writes. */
function fifo(file: string): void {
  execFileSync('mkfifo', [file]);
}

describe('files another program put where fbench reads and writes', { timeout: 120_000 }, () => {
  test('a FIFO at the pid file: fbench ps answers at once, fbench start replaces it and runs; Ctrl-C ends it', async () => {
    const { dir } = await bench();
    fifo(path.join(dir, 'config', 'pids', 'fbench.pid'));
    const ps = await finished(['ps', '--bench', dir]);
    assert.match(ps.out, /no fbench session is running/);
    const run = fbench(['start', '--bench', dir, '--no-timestamps']);
    await run.waitFor(/ready in/, 30_000);
    assert.ok(lstatSync(path.join(dir, 'config', 'pids', 'fbench.pid')).isFile(), 'a pid file of its own in place of the FIFO');
    run.signal('SIGINT');
    assert.equal((await run.exited).code, 130, run.output);
  });

  test('links planted where fbench writes (the watchdog record, the session log) are never followed; the record is 0600', async () => {
    const { dir } = await bench();
    const victim = path.join(dir, 'victim');
    writeFileSync(victim, 'untouched\n');
    for (const name of ['config/pids/fbench.watchdog', 'config/pids/fbench.watchdog.tmp', 'logs/fbench.log']) symlinkSync(victim, path.join(dir, name));
    const run = fbench(['start', '--bench', dir, '--no-timestamps']);
    await run.waitFor(/ready in/, 30_000);
    assert.match(run.output, /cannot write .*logs\/fbench\.log \(ELOOP\)/);
    const record = path.join(dir, 'config', 'pids', 'fbench.watchdog');
    assert.ok(lstatSync(record).isFile(), 'the link replaced by a file of its own');
    assert.equal(statSync(record).mode & 0o777, 0o600);
    run.signal('SIGINT');
    await run.exited;
    assert.equal(readFileSync(victim, 'utf8'), 'untouched\n');
  });

  test('two SIGINTs together (to the process and to its group, as timeout -s INT sends them) are one Ctrl-C: the slow process stops its own way', async () => {
    const { dir } = await bench();
    const run = fbench(['start', '--bench', dir, '--no-timestamps'], { detached: true });
    await run.waitFor(/ready in/, 30_000);
    const all = [...run.startedPids().values()];
    const pid = run.child.pid!;
    process.kill(pid, 'SIGINT');
    process.kill(-pid, 'SIGINT');
    const { code } = await run.exited;
    assert.equal(code, 130, run.output);
    assert.doesNotMatch(run.output, /again: killing/);
    assert.match(run.output, /slow\.1 stopped/);
    assert.deepEqual(await survivors(all), []);
  });
});

/** Deflate `bytes` zero bytes as a stream (a 1 KB-per-MB bomb), without holding them. */
async function zlibBomb(bytes: number): Promise<Buffer> {
  const z = createDeflate({ level: 9 });
  const out: Buffer[] = [];
  z.on('data', (c: Buffer) => out.push(c));
  const done = new Promise((r) => z.on('end', r));
  const chunk = Buffer.alloc(1024 * 1024);
  for (let i = 0; i < bytes / chunk.length; i++) if (!z.write(chunk)) await new Promise((r) => z.once('drain', r));
  z.end();
  await done;
  return Buffer.concat(out);
}

describe('bytes other programs put in Redis', { timeout: 120_000 }, () => {
  test('a zlib bomb in a failed job and escape sequences in its id: bounded, shown escaped, in a table that stays whole', async () => {
    const { dir, port } = await bench();
    const redis = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', ''], { stdio: 'ignore' });
    cleanups.push(() => redis.kill('SIGKILL'));
    await listening(port);
    const queue = rqQueueName(loadBench(dir).queues, 'default');
    const client = new Redis({ port, lazyConnect: true });
    await client.connect();
    const evil = 'site1::\x1b]0;pwned\x07\x1b[2J\nsplit';
    const bomb = await zlibBomb(256 * 1024 * 1024);
    await client.hset(`rq:job:${evil}`, {
      description: "frappe.utils.background_jobs.execute_job(site='site1', method='app.\x1b[31mevil', job_name='x')",
      origin: queue,
      ended_at: '2026-12-07T10:00:00.000000Z',
      exc_info: bomb,
    });
    await client.zadd(`rq:failed:${queue}`, Date.now() / 1000 + 3600, evil);
    client.disconnect();

    const t0 = Date.now();
    const list = await finished(['jobs', 'failed', '--bench', dir]);
    assert.equal(list.code, 0, list.out);
    assert.ok(Date.now() - t0 < 20_000, `listed in ${Date.now() - t0} ms`);
    assert.ok(!list.out.includes('\x1b'), 'no escape sequence reaches the terminal');
    assert.equal(list.out.trimEnd().split('\n').length, 2, `a header and one row:\n${list.out}`);
    assert.match(list.out, /^site1::␊split +default +app\.evil /m, 'the id whole on its row, its escape sequences dropped, its newline shown');

    const show = await finished(['jobs', 'show', evil, '--bench', dir]);
    assert.equal(show.code, 0, show.out);
    assert.ok(!show.out.includes('\x1b'));
    assert.match(show.out, /traceback over 16 MB inflated: not read further/);
    assert.ok(show.out.length < 200 * 1024, `${show.out.length} characters shown`);
    assert.doesNotMatch(show.out, /pwned/);
  });
});

type ToolAnswer = { content: { type: string; text: string }[]; isError?: boolean };

describe('the MCP server under hostile requests', { timeout: 60_000 }, () => {
  test('a 10 MB request is refused and the server stays up; a 5 MB job id and a 3 MB name are refused at once and briefly', async () => {
    const { dir } = await bench();
    const client = new Client({ name: 'fbench-test', version: '1.0.0' });
    const transport = new StdioClientTransport({ command: process.execPath, args: [FBENCH, 'mcp', '--bench', dir], stderr: 'pipe' });
    await client.connect(transport);
    cleanups.push(() => void client.close());
    const call = async (name: string, args: Record<string, unknown>): Promise<{ text: string; isError: boolean; ms: number }> => {
      const t0 = Date.now();
      try {
        const r = (await client.callTool({ name, arguments: args })) as ToolAnswer;
        return { text: r.content.map((c) => c.text).join('\n'), isError: r.isError === true, ms: Date.now() - t0 };
      } catch (err) {
        return { text: (err as Error).message, isError: true, ms: Date.now() - t0 };
      }
    };
    const huge = await call('job', { id: 'x'.repeat(10 * 1024 * 1024) });
    assert.ok(huge.isError);
    assert.match(huge.text, /refused|at most/);
    const id = await call('job', { id: 'y'.repeat(5 * 1024 * 1024) });
    assert.ok(id.isError && id.text.length < 32 * 1024, `${id.text.length} characters`);
    const name = await call('restart', { names: ['*?'.repeat(1_500_000)] });
    assert.ok(name.isError && name.text.length < 32 * 1024 && name.ms < 10_000, `${name.text.length} characters in ${name.ms} ms`);
    // Under the request limit, over the name limit: refused by the tool's schema, the answer bounded.
    const long = await call('restart', { names: ['*?'.repeat(100_000)] });
    assert.ok(long.isError && long.text.length < 32 * 1024 && long.ms < 10_000, `${long.text.length} characters in ${long.ms} ms`);
    const after = await call('plan', {});
    assert.equal(after.isError, false, after.text);
    assert.match(after.text, /"processes"/);
  });
});

describe('a copied bench whose env/ imports the original apps', { timeout: 60_000 }, () => {
  test("fbench start says so at once, with the fix that runs the copy's own Python (never env/bin/pip)", async () => {
    const original = await bench();
    const copy = await bench();
    mkdirSync(path.join(original.dir, 'apps', 'app'), { recursive: true });
    const site = path.join(copy.dir, 'env', 'lib', 'python3.11', 'site-packages');
    mkdirSync(site, { recursive: true });
    writeFileSync(path.join(site, '__editable__.app-0.0.1.pth'), `${path.join(original.dir, 'apps', 'app')}\n`);
    const run = fbench(['start', '--bench', copy.dir, '--no-timestamps']);
    const said = await run.waitFor(/warning: env\/ runs another bench's code: .*\n/, 10_000);
    assert.match(said[0], /__editable__\.app-0\.0\.1\.pth points at .*, in .* → .*`env\/bin\/python -m pip install -e apps\/<app>`/);
    assert.doesNotMatch(said[0], /env\/bin\/pip /);
    assert.ok(run.output.indexOf(said[0]) < run.output.indexOf('started (pid'), 'said before anything starts');
    await run.waitFor(/ready in/, 30_000);
    run.signal('SIGINT');
    await run.exited;
  });
});

describe('told true, and nothing another user can fake (no /proc: ps and lsof)', { timeout: 150_000 }, () => {
  test("another user's process carrying the session's marker, in its environment and its arguments, is never stopped: not by a restart, not by the watchdog after kill -9", async (t) => {
    if (process.getuid?.() !== 0) return t.skip('needs root to add a second local user');
    const b = await tempSampleBench();
    cleanups.push(b.cleanup);
    const name = `fbt${process.pid % 100000}m`;
    execFileSync('useradd', ['--system', '--no-create-home', '--shell', '/usr/sbin/nologin', name], { stdio: 'pipe' });
    cleanups.push(() => execFileSync('userdel', ['--force', name], { stdio: 'ignore' }));
    const [uid, gid] = ['-u', '-g'].map((f) => Number(execFileSync('id', [f, name], { encoding: 'utf8' }).trim()));
    const run = fbench(['start', '--bench', b.dir, '--no-timestamps'], { env: { FBENCH_PROC: '0' } });
    await run.waitFor(/ready in/, 60_000);
    // The marker web.1 carries, as another user could learn it; planted in that user's process both ways.
    const web = run.startedPids().get('web.1')!;
    const marker = /(?:^|\0)FBENCH_SESSION=([^\0]+)/.exec(readFileSync(`/proc/${web}/environ`, 'latin1'))![1]!;
    const planted: ChildProcess = spawn('sh', ['-c', 'sleep 300; :', 'sh', ` FBENCH_SESSION=${marker}`], {
      uid,
      gid,
      env: { FBENCH_SESSION: marker },
      stdio: 'ignore',
      detached: true,
    });
    // Its whole group (the shell and its sleep): it leads one of its own.
    cleanups.push(() => {
      try {
        process.kill(-planted.pid!, 'SIGKILL');
      } catch {
        // gone
      }
    });
    await new Promise((r) => setTimeout(r, 300));
    assert.ok(alive(planted.pid!), 'the planted process runs');
    const r = await finished(['restart', 'web', '--bench', b.dir], { env: { FBENCH_PROC: '0' } });
    assert.equal(r.code, 0, r.out);
    assert.ok(alive(planted.pid!), "a restart of web left the other user's process alone");
    const all = [...run.startedPids().values()];
    run.signal('SIGKILL');
    await run.exited;
    await until(async () => (await survivors(all, 0)).length === 0, 'the watchdog stopped what the session ran', run, 60_000);
    assert.ok(alive(planted.pid!), "the watchdog left the other user's process alone");
  });

  test('twenty restarts of one worker at once: one new worker, every caller told the one real outcome', async () => {
    const b = await tempSampleBench();
    cleanups.push(b.cleanup);
    const run = fbench(['start', '--bench', b.dir, '--no-timestamps']);
    await run.waitFor(/ready in/, 60_000);
    const starts = (): number => (run.output.match(/\| worker\.1 started \(pid/g) ?? []).length;
    const before = starts();
    const answers = await Promise.all(Array.from({ length: 20 }, () => finished(['restart', 'worker.1', '--bench', b.dir])));
    for (const a of answers) {
      assert.equal(a.code, 0, a.out);
      assert.match(a.out, /^restarted worker\.1: registered/m);
      assert.doesNotMatch(a.out, /stopped meanwhile|restarted again meanwhile/);
    }
    assert.ok(starts() - before <= 2, `worker.1 started ${starts() - before} times for twenty callers`);
    await run.stop();
  });

  test("the Procfile reordered under a running bench (as the CLI's setup config does when a worker group is added): nothing restarts", async () => {
    const b = await tempSampleBench();
    cleanups.push(b.cleanup);
    const run = fbench(['start', '--bench', b.dir, '--no-timestamps']);
    await run.waitFor(/ready in/, 60_000);
    await run.waitFor(/for re-planning\n/, 30_000); // the re-planner watches the Procfile from here on (watch.1 says "watching" too)
    const procfile = path.join(b.dir, 'Procfile');
    const lines = readFileSync(procfile, 'utf8').split('\n').filter(Boolean);
    const mark = run.output.length;
    writeFileSync(procfile, `${[...lines.filter((l) => !l.startsWith('redis')), ...lines.filter((l) => l.startsWith('redis'))].join('\n')}\n`);
    await run.waitFor(/Procfile changed: nothing to restart/, 30_000, mark);
    assert.doesNotMatch(run.output.slice(mark), /restarting|redis_queue\.1 stopped/);
    await run.stop();
  });

  test('a worker RQ no longer lists (its queue Redis restarted empty) is not shown registered: ps reads rq:workers when asked', async () => {
    const b = await rqBench();
    cleanups.push(b.cleanup);
    const run = fbench(['start', '--bench', b.dir, '--no-timestamps']);
    await run.waitFor(/ready in/, 60_000);
    const ps = async (): Promise<{ name: string; ready: boolean; readiness: string }[]> =>
      JSON.parse((await finished(['ps', '--json', '--bench', b.dir])).out) as { name: string; ready: boolean; readiness: string }[];
    assert.match((await ps()).find((p) => p.name === 'worker.1')!.readiness, /^registered on /);
    // What a queue Redis with `save ""` comes back as after a restart: no worker registered.
    const redis = new Redis({ port: b.port, lazyConnect: true });
    await redis.connect();
    for (const key of await redis.smembers('rq:workers')) await redis.del(key);
    await redis.del('rq:workers');
    redis.disconnect();
    const worker = (await ps()).find((p) => p.name === 'worker.1')!;
    assert.deepEqual([worker.ready, worker.readiness], [false, 'not in rq:workers now (its queue Redis restarted and forgot it?)']);
    await run.stop();
  });
});
