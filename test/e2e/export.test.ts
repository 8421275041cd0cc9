import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import { benchId } from '../../src/frappe/queues.js';
import { which } from '../../src/util/which.js';
import { descendants, FbenchRun, survivors } from '../helpers/fbench-run.js';
import { tempSampleBench, type TempBench } from '../helpers/sample-bench.js';

const cleanups: (() => void)[] = [];
const children: ChildProcess[] = [];
after(async () => {
  // supervisord stops its programs on SIGTERM; SIGKILL would orphan them.
  for (const c of children) {
    if (c.exitCode !== null || c.signalCode !== null) continue;
    c.kill('SIGTERM');
    const t = setTimeout(() => c.kill('SIGKILL'), 15_000);
    await new Promise((r) => c.once('exit', r));
    clearTimeout(t);
  }
  cleanups.forEach((c) => c());
});

async function fbench(...args: string[]): Promise<{ code: number | null; out: string }> {
  const r = new FbenchRun(args);
  const { code } = await r.exited;
  return { code, out: r.output };
}

describe('fbench export', () => {
  test('supervisor: the sample bench runs under a real supervisord, every program RUNNING, and nothing is left after', async () => {
    assert.ok(which('supervisord', process.env.PATH ?? ''), 'supervisord is not installed (apt-get install supervisor; .ci/run does it)');
    const b: TempBench = await tempSampleBench();
    cleanups.push(b.cleanup);
    const dir = mkdtempSync(path.join(tmpdir(), 'fbench-supervisor-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const exported = await fbench('export', 'supervisor', '--bench', b.dir, '--preset', 'split-all', '-c', 'worker_long=2', '-o', path.join(dir, 'bench.conf'));
    assert.equal(exported.code, 0, exported.out);
    const main = path.join(dir, 'supervisord.conf');
    writeFileSync(
      main,
      [
        '[unix_http_server]',
        `file=${dir}/supervisor.sock`,
        '',
        '[supervisord]',
        `logfile=${dir}/supervisord.log`,
        `pidfile=${dir}/supervisord.pid`,
        `childlogdir=${dir}`,
        '',
        '[rpcinterface:supervisor]',
        'supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface',
        '',
        '[supervisorctl]',
        `serverurl=unix://${dir}/supervisor.sock`,
        '',
        '[include]',
        `files=${dir}/bench.conf`,
        '',
      ].join('\n'),
    );
    const sup = spawn('supervisord', ['-n', '-c', main], { stdio: 'ignore' });
    children.push(sup);
    const status = (): string => spawnSync('supervisorctl', ['-c', main, 'status'], { encoding: 'utf8' }).stdout;
    let out = '';
    for (let i = 0; i < 150; i++) {
      await new Promise((r) => setTimeout(r, 200));
      out = status();
      const lines = out.trim().split('\n').filter(Boolean);
      if (lines.length === 10 && lines.every((l) => /RUNNING/.test(l))) break;
    }
    const lines = out.trim().split('\n');
    assert.equal(lines.length, 10, out);
    for (const l of lines) assert.match(l, /RUNNING/, out);
    const named = out.replaceAll(path.basename(b.dir), 'B');
    assert.equal((named.match(/^B-workers:B-frappe-worker-long-\d +RUNNING/gm) ?? []).length, 2, out);
    assert.match(named, /^B-web:B-frappe-web +RUNNING/m);
    assert.match(named, /^B-redis:B-redis-queue +RUNNING/m);

    // Each queue has as many live workers as the formation says.
    const r = new Redis({ port: b.ports.queue });
    const id = benchId({}, b.dir);
    let perQueue: Record<string, number> = {};
    for (let i = 0; i < 50; i++) {
      perQueue = {};
      for (const k of await r.smembers('rq:workers')) {
        const q = await r.hget(k, 'queues');
        if (q) perQueue[q.replace(`${id}:`, '')] = (perQueue[q.replace(`${id}:`, '')] ?? 0) + 1;
      }
      if (Object.values(perQueue).reduce((a, n) => a + n, 0) >= 5) break;
      await new Promise((res) => setTimeout(res, 100));
    }
    r.disconnect();
    assert.deepEqual(perQueue, { short: 1, default: 1, long: 2, email: 1 });

    const pids = spawnSync('supervisorctl', ['-c', main, 'pid', 'all'], { encoding: 'utf8' })
      .stdout.split('\n')
      .map(Number)
      .filter((n) => n > 0);
    assert.equal(pids.length, 10);
    const all = [...pids, ...(await Promise.all(pids.map(descendants))).flat()];
    sup.kill('SIGTERM');
    await new Promise((res) => sup.once('exit', res));
    assert.deepEqual(await survivors(all, 2000), []);
  });

  test('a bench path with %, spaces, quotes and $: supervisord runs it, systemd-analyze and docker-compose accept it, each value as written', async () => {
    const parent = mkdtempSync(path.join(tmpdir(), 'fbench-odd-'));
    cleanups.push(() => rmSync(parent, { recursive: true, force: true }));
    const dir = path.join(parent, `50% "my" bench $HOME`);
    mkdirSync(path.join(dir, 'sites'), { recursive: true });
    mkdirSync(path.join(dir, 'logs'));
    writeFileSync(path.join(dir, 'Procfile'), 'app: sh -c \'echo up-in "$PWD"; exec sleep 300\'\n');
    writeFileSync(path.join(dir, '.env'), 'NOTE=100% $HOME\n');

    const sv = await fbench('export', 'supervisor', '--bench', dir, '-o', path.join(parent, 'bench.conf'));
    assert.equal(sv.code, 0, sv.out);
    const main = path.join(parent, 'supervisord.conf');
    writeFileSync(
      main,
      `[unix_http_server]\nfile=${parent}/s.sock\n[supervisord]\nlogfile=${parent}/s.log\npidfile=${parent}/s.pid\n[rpcinterface:supervisor]\nsupervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface\n[supervisorctl]\nserverurl=unix://${parent}/s.sock\n[include]\nfiles=${parent}/bench.conf\n`,
    );
    const sup = spawn('supervisord', ['-n', '-c', main], { stdio: 'ignore' });
    children.push(sup);
    const log = path.join(dir, 'logs', 'app.log');
    for (let i = 0; i < 100 && !(existsSync(log) && readFileSync(log, 'utf8').includes('up-in')); i++) await new Promise((r) => setTimeout(r, 100));
    assert.equal(readFileSync(log, 'utf8').trim(), `up-in ${dir}`, 'run in the bench, logging where it says');
    const pid = Number(spawnSync('supervisorctl', ['-c', main, 'pid', 'all'], { encoding: 'utf8' }).stdout.trim());
    assert.equal(
      readFileSync(`/proc/${pid}/environ`, 'utf8')
        .split('\0')
        .find((e) => e.startsWith('NOTE=')),
      'NOTE=100% $HOME',
    );
    sup.kill('SIGTERM');
    await new Promise((r) => sup.once('exit', r));

    const units = path.join(parent, 'units');
    const sd = await fbench('export', 'systemd', '--bench', dir, '-o', units);
    assert.equal(sd.code, 0, sd.out);
    const unit = readdirSync(units).find((f) => f.endsWith('-app.service'))!;
    const text = readFileSync(path.join(units, unit), 'utf8');
    assert.ok(text.includes(`WorkingDirectory=${dir.replace('%', '%%')}\n`), text);
    assert.ok(text.includes('Environment="NOTE=100%% $HOME"'), text);
    if (which('systemd-analyze', process.env.PATH ?? '')) {
      const v = spawnSync('systemd-analyze', ['verify', '--man=no', path.join(units, unit)], { encoding: 'utf8', timeout: 30_000 });
      assert.doesNotMatch(`${v.stdout}${v.stderr}`, /Failed to|Invalid|bad-setting/i, `${v.stdout}${v.stderr}`);
    }

    const compose = path.join(parent, 'compose.yaml');
    const dc = await fbench('export', 'compose', '--bench', dir, '--image', 'bench:1', '-o', compose);
    assert.equal(dc.code, 0, dc.out);
    const config = spawnSync('docker-compose', ['-f', compose, 'config'], { encoding: 'utf8', timeout: 30_000, env: { ...process.env, HOME: '/nowhere' } });
    assert.equal(config.status, 0, config.stderr);
    assert.match(config.stdout, /NOTE: 100% \$\$HOME|NOTE: '100% \$\$HOME'|NOTE: "100% \$\$HOME"/, config.stdout);
    assert.doesNotMatch(config.stdout, /\/nowhere/);
  });

  test('systemd: units that systemd-analyze accepts; -o refuses to overwrite without --force', async () => {
    const b = await tempSampleBench();
    cleanups.push(b.cleanup);
    const dir = mkdtempSync(path.join(tmpdir(), 'fbench-systemd-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const first = await fbench('export', 'systemd', '--bench', b.dir, '-q', 'default,long', '-n', '2', '-o', dir);
    assert.equal(first.code, 0, first.out);
    const files = readdirSync(dir).sort();
    assert.ok(files.includes(`${path.basename(b.dir)}.target`), files.join(' '));
    assert.ok(
      files.some((f) => /-worker-default@\.service$/.test(f)),
      files.join(' '),
    );
    if (which('systemd-analyze', process.env.PATH ?? '')) {
      const units = files.filter((f) => !f.includes('@')).map((f) => path.join(dir, f));
      const v = spawnSync('systemd-analyze', ['verify', '--man=no', ...units], { encoding: 'utf8', timeout: 30_000 });
      assert.equal(v.status, 0, `${v.stdout}${v.stderr}`);
    }
    const again = await fbench('export', 'systemd', '--bench', b.dir, '-o', dir);
    assert.equal(again.code, 1);
    assert.match(again.out, /already exist.* → pass --force/);
    assert.equal((await fbench('export', 'systemd', '--bench', b.dir, '-o', dir, '--force')).code, 0);
    assert.ok(existsSync(dir));
    const unknown = await fbench('export', 'upstart', '--bench', b.dir);
    assert.equal(unknown.code, 1);
    assert.match(unknown.out, /unknown export format "upstart"/);
  });
});
