import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { renderedBench } from '../helpers/bench-renders.js';
import { FbenchRun } from '../helpers/fbench-run.js';
import { freePorts } from '../helpers/ports.js';
import { enqueue, requireRq, RQ_JOBS } from '../helpers/real-programs.js';

const cleanups: (() => void)[] = [];
const children: ChildProcess[] = [];
after(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  cleanups.forEach((c) => c());
});

async function fbench(...args: string[]): Promise<{ code: number | null; out: string }> {
  const r = new FbenchRun(args);
  const { code } = await r.exited;
  return { code, out: r.output };
}

/** A rendered bench of `gen` with its queue Redis running (our own redis-server) and the RQ jobs module. */
async function withQueueRedis(gen: 'current' | 'v13-era'): Promise<string> {
  const [cache, queue, socketio] = await freePorts(3);
  const b = renderedBench(gen, { cache: cache!, queue: queue!, socketio: socketio! });
  cleanups.push(b.cleanup);
  writeFileSync(path.join(b.dir, 'jobs.py'), RQ_JOBS);
  // This bench's queue Redis (its dir and pid file the bench's), left running: doctor counts its queues.
  const pids = path.join(b.dir, 'config', 'pids');
  mkdirSync(pids, { recursive: true });
  const redis = spawn(
    'redis-server',
    ['--port', String(queue), '--bind', '127.0.0.1', '--save', '', '--dir', pids, '--pidfile', path.join(pids, 'redis_queue.pid')],
    { stdio: 'ignore' },
  );
  children.push(redis);
  const { canConnect } = await import('../../src/health/tcp.js');
  while (!(await canConnect('127.0.0.1', queue!, 200))) await new Promise((r) => setTimeout(r, 10));
  return b.dir;
}

describe('doctor agrees with what Frappe and RQ do', { timeout: 60_000 }, () => {
  test("queue counts through a symlinked --bench use Frappe's bench_id, from the real path", async () => {
    requireRq();
    const dir = await withQueueRedis('current');
    for (let i = 0; i < 3; i++) enqueue(dir, 'default', 'fail', []);
    const link = path.join(tmpdir(), `fbench-link-${process.pid}-${Date.now()}`);
    symlinkSync(dir, link);
    cleanups.push(() => rmSync(link, { force: true }));
    const r = await fbench('doctor', '--bench', link);
    assert.match(r.out, /default: 3 waiting, 0 workers, 0 failed/);
  });

  test('a v13 bench: plain queue names (rq:queue:default), told from apps/frappe', async () => {
    requireRq();
    const dir = await withQueueRedis('v13-era');
    mkdirSync(path.join(dir, 'apps/frappe/frappe'), { recursive: true });
    writeFileSync(path.join(dir, 'apps/frappe/frappe/__init__.py'), '__version__ = "13.40.1"\n__title__ = "Frappe Framework"\n');
    for (let i = 0; i < 5; i++) enqueue(dir, 'default', 'fail', [], { plain: true });
    const r = await fbench('doctor', '--bench', dir);
    assert.match(r.out, /default: 5 waiting, 0 workers, 0 failed/);
  });

  test('a session with a crash-looping process: doctor says so, with its last line, and exits 1', async () => {
    const b = renderedBench('current');
    cleanups.push(b.cleanup);
    writeFileSync(path.join(b.dir, 'Procfile'), "flaky: sh -c 'echo cannot connect to the database; exit 3'\nsteady: sleep 60\n");
    const run = new FbenchRun(['start', '--bench', b.dir]);
    cleanups.push(() => run.signal('SIGKILL'));
    await run.waitFor(/flaky\.1 exit code 3; restarting in 2 s/);
    const r = await fbench('doctor', '--bench', b.dir);
    assert.equal(r.code, 1);
    assert.match(r.out, /✖ flaky\.1 is crash-looping \(\d+ crashes in a row\); its last line: cannot connect to the database/);
    assert.doesNotMatch(r.out, /should work/);
    await run.stop();
  });

  test("a copied bench whose Redis confs name the old bench's files is ✖, naming the key and the path", async () => {
    const b = renderedBench('current');
    cleanups.push(b.cleanup);
    const copy = `${b.dir}-copy`;
    cpSync(b.dir, copy, { recursive: true });
    cleanups.push(() => rmSync(copy, { recursive: true, force: true }));
    const r = await fbench('doctor', '--bench', copy);
    assert.equal(r.code, 1);
    assert.match(r.out, new RegExp(`✖ redis_queue: config/redis_queue\\.conf sets aclfile ${b.dir}/config/redis_queue\\.acl, outside this bench`));
    assert.match(r.out, /bench setup redis/);
  });

  test('plan --json of an ACL bench shows no password unless --show-secrets', async () => {
    const b = renderedBench('current');
    cleanups.push(b.cleanup);
    const csc = path.join(b.dir, 'sites/common_site_config.json');
    const { readFileSync } = await import('node:fs');
    writeFileSync(csc, JSON.stringify({ ...JSON.parse(readFileSync(csc, 'utf8')), use_rq_auth: true, rq_username: 'bench-queue', rq_password: 's3cret-Pw' }));
    const r = await fbench('plan', '--json', '--bench', b.dir);
    assert.equal(r.code, 0, r.out);
    assert.doesNotMatch(r.out, /s3cret-Pw/);
    assert.match(r.out, /"password": "\*\*\*"/);
    assert.match((await fbench('plan', '--json', '--show-secrets', '--bench', b.dir)).out, /s3cret-Pw/);
  });
});
