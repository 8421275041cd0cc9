import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import { benchId } from '../../src/frappe/queues.js';
import { FbenchRun } from '../helpers/fbench-run.js';
import { freePort, listening } from '../helpers/ports.js';
import { tempSampleBench, type TempBench } from '../helpers/sample-bench.js';

const benches: TempBench[] = [];
const runs: FbenchRun[] = [];
const children: ChildProcess[] = [];
after(() => {
  for (const r of runs) if (r.child.exitCode === null && r.child.signalCode === null) r.signal('SIGKILL');
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  benches.forEach((b) => b.cleanup());
});

async function bench(edit?: (dir: string, b: TempBench) => void): Promise<TempBench> {
  const b = await tempSampleBench();
  benches.push(b);
  edit?.(b.dir, b);
  return b;
}

/**
 * A bench in a folder of its own: the temp folder holds other tests' benches, siblings to doctor,
 * whose free ports may happen to be this one's (a warning that has nothing to do with this bench).
 */
async function benchAlone(): Promise<TempBench> {
  const b = await tempSampleBench();
  const parent = mkdtempSync(path.join(tmpdir(), 'fbench-alone-'));
  const dir = path.join(parent, 'bench');
  renameSync(b.dir, dir);
  const alone = { ...b, dir, cleanup: () => rmSync(parent, { recursive: true, force: true }) };
  benches.push(alone);
  return alone;
}

interface Report {
  code: number | null;
  text: string;
  checks: { group: string; status: 'ok' | 'warn' | 'fail'; finding: string; fix?: string }[];
}

async function doctor(b: TempBench): Promise<Report> {
  const json = new FbenchRun(['doctor', '--bench', b.dir, '--json']);
  const text = new FbenchRun(['doctor', '--bench', b.dir]);
  runs.push(json, text);
  const guard = setTimeout(() => [json, text].forEach((r) => r.signal('SIGKILL')), 15_000);
  const [{ code }] = await Promise.all([json.exited, text.exited]);
  clearTimeout(guard);
  return { code, text: text.output, checks: JSON.parse(json.output).checks };
}

const find = (r: Report, status: string, re: RegExp) => {
  const hit = r.checks.find((c) => c.status === status && re.test(c.finding));
  assert.ok(hit, `no ${status} matching ${re} in:\n${r.text}`);
  return hit;
};

const editJson = (file: string, fn: (j: Record<string, unknown>) => void): void => {
  const j = JSON.parse(readFileSync(file, 'utf8'));
  fn(j);
  writeFileSync(file, JSON.stringify(j, null, 1));
};

describe('fbench doctor', () => {
  test('a healthy sample bench with its Redis up passes clean (the running fbench explains the held ports)', async () => {
    const b = await benchAlone();
    const run = new FbenchRun(['start', '--bench', b.dir, 'redis_queue', 'redis_cache']);
    runs.push(run);
    await run.waitFor(/ready in/);
    const r = await doctor(b);
    assert.equal(r.code, 0, r.text);
    assert.deepEqual(
      r.checks.filter((c) => c.status !== 'ok'),
      [],
      r.text,
    );
    find(r, 'ok', /fbench start \(pid \d+\) is running for this bench/);
    find(r, 'ok', /redis_queue: healthy on :\d+, run by your own fbench/);
    find(r, 'ok', /MariaDB\/MySQL answers \(server .*MariaDB/);
    assert.match(r.text, /verdict: all clear/);
    await run.stop();
  });

  test('a foreign listener on the queue port is a ✖ naming its pid and command', async () => {
    const b = await bench();
    const holder = spawn(process.execPath, ['-e', `require('net').createServer().listen(${b.ports.queue}, '127.0.0.1'); setTimeout(() => {}, 60000)`]);
    children.push(holder);
    await listening(b.ports.queue);
    const r = await doctor(b);
    assert.equal(r.code, 1);
    find(r, 'fail', new RegExp(`redis_queue: port ${b.ports.queue} is held by pid ${holder.pid} \\(.*node -e`));
    assert.match(r.text, /✖ redis_queue: port \d+ is held by pid/);
    assert.match(r.text, /fix: stop it \(kill \d+\)/);
  });

  test('mismatched ports, a missing ACL file, a stale node path and a web line on the wrong port', async () => {
    const b = await bench((dir, tb) => {
      editJson(path.join(dir, 'sites', 'common_site_config.json'), (j) => (j.redis_queue = `redis://127.0.0.1:${tb.ports.queue + 1}`));
      rmSync(path.join(dir, 'config', 'redis_cache.acl'));
      const procfile = path.join(dir, 'Procfile');
      writeFileSync(
        procfile,
        readFileSync(procfile, 'utf8')
          .replace('node apps/frappe/socketio.js', '/usr/local/node-v14/bin/node apps/frappe/socketio.js')
          .replace(`--port ${tb.ports.web}`, '--port 8123'),
      );
    });
    const r = await doctor(b);
    assert.equal(r.code, 1);
    find(
      r,
      'fail',
      new RegExp(
        `redis_queue listens on ${b.ports.queue} \\(config/redis_queue\\.conf\\) but sites/common_site_config\\.json: redis_queue says redis://127\\.0\\.0\\.1:${b.ports.queue + 1}`,
      ),
    );
    find(r, 'fail', /redis_cache: the ACL file config\/redis_cache\.acl named in config\/redis_cache\.conf does not exist/);
    find(r, 'warn', /names \/usr\/local\/node-v14\/bin\/node, which does not exist/);
    find(r, 'fail', /web line serves on 8123, but webserver_port is/);
  });

  test('invalid JSON is a ✖ with line and column, and the checks that need the bench are skipped', async () => {
    const b = await bench((dir) =>
      writeFileSync(path.join(dir, 'sites', 'common_site_config.json'), '{\n "webserver_port": 8000,\n "socketio_port": 9000,\n}\n'),
    );
    const r = await doctor(b);
    assert.equal(r.code, 1);
    find(r, 'fail', /sites\/common_site_config\.json:4:1: invalid JSON/);
    find(r, 'warn', /checks were skipped/);
  });

  test('jobs waiting on a queue no worker listens to, and failed jobs', async () => {
    const b = await bench();
    const run = new FbenchRun(['start', '--bench', b.dir, 'redis_queue', 'redis_cache']);
    runs.push(run);
    await run.waitFor(/ready in/);
    const redis = new Redis({ port: b.ports.queue });
    const id = benchId({}, b.dir);
    await redis.rpush(`rq:queue:${id}:long`, 'j1', 'j2');
    await redis.zadd(`rq:failed:${id}:default`, 1, 'j0');
    redis.disconnect();
    const r = await doctor(b);
    find(r, 'warn', /^long: 2 waiting, 0 workers, 0 failed: jobs wait on a queue no worker listens to/);
    find(r, 'warn', /^default: 0 waiting, 0 workers, 1 failed/);
    find(r, 'ok', /^short: 0 waiting/);
    await run.stop();
  });

  test('a site whose database port does not answer is named', async () => {
    const dead = await freePort();
    const b = await bench((dir) => editJson(path.join(dir, 'sites', 'sample.localhost', 'site_config.json'), (j) => (j.db_port = dead)));
    const r = await doctor(b);
    assert.equal(r.code, 1);
    find(r, 'fail', new RegExp(`127\\.0\\.0\\.1:${dead} \\(sample\\.localhost\\): no MariaDB: connection refused`));
  });

  test('apps missing from apps/, and a port shared with a sibling bench', async () => {
    const b = await bench((dir) => writeFileSync(path.join(dir, 'sites', 'apps.txt'), 'frappe\nerpnext\n'));
    const sibling = path.join(path.dirname(b.dir), `${path.basename(b.dir)}-sibling`);
    cpSync(b.dir, sibling, { recursive: true });
    benches.push({ dir: sibling, ports: b.ports, cleanup: () => rmSync(sibling, { recursive: true, force: true }) });
    const r = await doctor(b);
    find(r, 'fail', /sites\/apps\.txt lists erpnext, missing from apps\//);
    find(
      r,
      'warn',
      new RegExp(
        `the sibling bench ${path.basename(sibling)} uses the same webserver_port ${b.ports.web}, socketio_port \\d+, redis_cache \\d+, redis_queue \\d+$`,
      ),
    );
    assert.equal(r.text.split('\n').filter((l) => l.includes(path.basename(sibling))).length, 1, 'one line per sibling');
  });
});
