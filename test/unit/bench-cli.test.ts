import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { checkLayout } from '../../src/doctor/layout.js';
import type { Finding } from '../../src/doctor/types.js';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { editBenchToml, parseBenchToml } from '../../src/config/bench-toml.js';
import { cliLines, cliProcfile } from '../../src/frappe/cli-procfile.js';
import { analyzeCommand } from '../../src/config/shell-command.js';
import { parseProcfile } from '../../src/config/procfile.js';
import { FbenchError, formatError } from '../../src/errors.js';
import { loadBench } from '../../src/frappe/bench-model.js';
import { benchPorts, choosePorts, reassignEdits, type BenchPort } from '../../src/frappe/bench-ports.js';
import { findBench } from '../../src/frappe/discover.js';
import { frappeCommand } from '../../src/frappe/layout.js';
import { redisUnfitFor } from '../../src/frappe/redis-version.js';
import { classify } from '../../src/frappe/roles.js';
import { buildPlan } from '../../src/plan/build.js';
import type { Plan } from '../../src/plan/types.js';
import { RunnerPids } from '../../src/session/runner-pids.js';
import { settle } from '../helpers/fakes.js';
import { setup as fakeSupervisor } from '../helpers/fake-supervisor.js';
import { cliBench } from '../helpers/bench-cli.js';

const cleanups: (() => void)[] = [];
after(() => cleanups.forEach((c) => c()));

function bench(name: 'dev' | 'shop'): { root: string; dir: string } {
  const b = cliBench(name);
  cleanups.push(b.cleanup);
  return b;
}
function plan(dir: string): Plan {
  return buildPlan(loadBench(dir, { env: {} }), { exists: () => true, inheritedPath: '/usr/bin' });
}
const get = (p: Plan, n: string) => {
  const found = p.processes.find((x) => x.name === n);
  assert.ok(found, `no ${n} in ${p.processes.map((x) => x.name).join(', ')}`);
  return found;
};
const role = (command: string) => classify('x', analyzeCommand(command));

describe('benches of the new bench CLI (bench.toml), as its own code writes them', { timeout: 10_000 }, () => {
  test('found from anywhere inside, sites/ included; bench.toml wins over a Procfile beside it, said once', () => {
    const { dir } = bench('dev');
    assert.equal(findBench(undefined, path.join(dir, 'sites')), dir);
    writeFileSync(path.join(dir, 'Procfile'), 'web: bench serve --port 8000\n');
    const model = loadBench(dir, { env: {} });
    assert.equal(model.layout.kind, 'bench-toml');
    assert.equal(model.procfilePath, path.join(dir, 'config', 'Procfile'));
    assert.equal(model.warnings.filter((w) => /bench\.toml.*wins/.test(w.message)).length, 1);
  });

  test('dev: roles, ports, queues, working folders and graces as the new CLI runs them; watch is not critical', () => {
    const { root, dir } = bench('dev');
    const p = plan(dir);
    const sites = path.join(dir, 'sites');
    assert.deepEqual(
      p.processes.map((x) => [x.name, x.role, x.port]),
      [
        ['web.1', 'web', 8000],
        ['socketio.1', 'socketio', 9000],
        ['admin.1', 'admin', 7000],
        ['worker_default_short_long_1.1', 'worker', null],
        ['redis_cache.1', 'redis', 13000],
        ['redis_queue.1', 'redis', 11000],
        ['watch.1', 'watch', null],
      ],
    );
    const worker = get(p, 'worker_default_short_long_1.1');
    assert.deepEqual(worker.queues, ['default', 'short', 'long']);
    assert.equal(worker.cwd, sites);
    assert.equal(worker.stop.graceSeconds, 1500 + 60); // long's timeout: a job is never cut short
    assert.deepEqual(worker.dependsOn, ['redis_queue.1', 'redis_cache.1']);
    assert.equal(worker.health?.kind, 'rq-worker');
    assert.equal(get(p, 'web.1').cwd, sites);
    assert.deepEqual(get(p, 'web.1').health, { kind: 'port', host: '127.0.0.1', port: 8000 });
    assert.equal(get(p, 'socketio.1').cwd, sites); // node's socketio runs in sites/
    assert.equal(get(p, 'watch.1').cwd, sites);
    assert.equal(get(p, 'watch.1').critical, false);
    const admin = get(p, 'admin.1');
    assert.deepEqual(admin.dependsOn, []); // the CLI's admin needs no Redis
    assert.equal(admin.env.PYTHONPATH, root);
    assert.deepEqual(admin.health, { kind: 'port', host: '127.0.0.1', port: 7000 });
    assert.deepEqual(get(p, 'redis_queue.1').redis?.kinds, ['queue']); // redis://localhost:11000 is this Redis
    assert.ok(!p.processes.some((x) => x.role === 'schedule'));
    assert.deepEqual(p.warnings, []); // no "no scheduler": v16 schedules inside a worker
  });

  test('shop: two worker groups, the Python realtime server, no Python reload, the admin UI dev server', () => {
    const { dir } = bench('shop');
    const p = plan(dir);
    assert.deepEqual(
      p.processes.filter((x) => x.role === 'worker').map((x) => [x.name, x.queues?.join(',')]),
      [
        ['worker_default_short_1.1', 'default,short'],
        ['worker_default_short_2.1', 'default,short'],
        ['worker_long_1.1', 'long'],
      ],
    );
    assert.equal(get(p, 'worker_default_short_1.1').stop.graceSeconds, 300 + 60);
    const socketio = get(p, 'socketio.1');
    assert.equal(socketio.role, 'socketio');
    assert.equal(socketio.cwd, dir); // the Python realtime server runs in the bench folder
    assert.equal(socketio.port, 9001);
    assert.match(get(p, 'web.1').command, /--noreload$/);
    assert.equal(get(p, 'web.1').port, 8001);
    const ui = get(p, 'admin-ui.1');
    assert.equal(ui.role, 'admin');
    assert.equal(ui.env.VITE_ADMIN_PORT, '7001');
    assert.equal(ui.health, null);
    assert.ok(!p.processes.some((x) => x.role === 'watch')); // watch_apps_js = false
  });

  test("v16's process lines, on either kind of bench", () => {
    const py = '/b/env/bin/python -m frappe.utils.bench_helper frappe';
    assert.deepEqual(role(`${py} worker-pool --num-workers 3 --queue default,long`), { role: 'worker', queues: ['default', 'long'], workers: 3 });
    assert.deepEqual(role(`${py} schedule`), { role: 'schedule' });
    assert.deepEqual(role('bench worker-pool --num-workers 2'), { role: 'worker', workers: 2 });
    assert.deepEqual(role('/b/env/bin/python -m frappe.realtime.server'), { role: 'socketio' });
    assert.deepEqual(role('/b/env/bin/python -m frappe.runner --host=127.0.0.1 --port=8000 --queue=default,short --job-threads=2 --dev'), {
      role: 'web',
      port: 8000,
      queues: ['default', 'short'],
      workers: 2,
    });
    assert.deepEqual(role('python3 -m frappe.utils.bench_helper frappe serve --port 8005'), { role: 'web', port: 8005 });
    assert.deepEqual(role('python -m myapp.server'), { role: 'other' });
  });

  test('a worker pool is ready with all its workers; lite mode keeps its jobs on stop', () => {
    const { dir } = bench('dev');
    const py = `${dir}/env/bin/python`;
    writeFileSync(
      path.join(dir, 'config', 'Procfile'),
      `redis_queue: /usr/bin/redis-server ${dir}/config/redis_queue.conf\nredis_cache: /usr/bin/redis-server ${dir}/config/redis_cache.conf\n` +
        `worker_pool: ${py} -m frappe.utils.bench_helper frappe worker-pool --num-workers 3 --queue default,short,long\n` +
        `lite: ${py} -m frappe.runner --host=127.0.0.1 --port=8000 --queue=default,short --job-threads=2 --dev\n`,
    );
    const p = plan(dir);
    const pool = get(p, 'worker_pool.1');
    assert.equal(pool.health?.kind === 'rq-worker' && pool.health.count, 3);
    assert.equal(pool.cwd, path.join(dir, 'sites'));
    const lite = get(p, 'lite.1');
    assert.equal(lite.role, 'web');
    assert.deepEqual(lite.queues, ['default', 'short']);
    assert.equal(lite.stop.graceSeconds, 300 + 60);
  });

  test('a broken bench.toml is one line at its line and column', () => {
    const { dir } = bench('dev');
    writeFileSync(path.join(dir, 'bench.toml'), '[bench]\nname = "dev"\nhttp_port = 80 00\n');
    assert.throws(
      () => loadBench(dir, { env: {} }),
      (err: unknown) => err instanceof FbenchError && /^bench\.toml:3:\d+: .+ → fix bench\.toml/.test(formatError(err)) && !formatError(err).includes('\n'),
    );
    writeFileSync(path.join(dir, 'bench.toml'), '[bench]\nhttp_port = "8000"\n');
    assert.throws(() => loadBench(dir, { env: {} }), /bench\.http_port is "8000"/);
  });

  test("bench.toml is what runs, as the CLI's `bench start` writes it: its config/Procfile line for line; an edit is run at once, a stale config/Procfile said", () => {
    for (const name of ['dev', 'shop'] as const) {
      const { root, dir } = bench(name);
      const toml = parseBenchToml(readFileSync(path.join(dir, 'bench.toml'), 'utf8'));
      assert.equal(
        cliProcfile(cliLines(toml, { bench: dir, cliRoot: root, redisServer: '/usr/bin/redis-server' })),
        readFileSync(path.join(dir, 'config', 'Procfile'), 'utf8'),
        `${name}: the CLI's own config/Procfile`,
      );
      assert.deepEqual(loadBench(dir, { env: {} }).warnings, [], `${name}: nothing to say`);
      // As stale as can be: bench.toml rendered, the same lines.
      utimesSync(path.join(dir, 'config', 'Procfile'), new Date(0), new Date(0));
      assert.deepEqual(
        loadBench(dir, { env: {} }).entries.map((e) => e.command),
        parseProcfile(readFileSync(path.join(dir, 'config', 'Procfile'), 'utf8'), 'x').entries.map((e) => e.command),
      );
    }
    const { dir } = bench('dev');
    writeFileSync(
      path.join(dir, 'bench.toml'),
      `${readFileSync(path.join(dir, 'bench.toml'), 'utf8').replace('http_port = 8000', 'http_port = 8100\nreload_python = false')}\n[[workers]]\nqueues = ["email"]\ncount = 1\n[gunicorn]\nmalloc_arena_max = 4\n`,
    );
    const past = new Date(Date.now() - 60_000); // the CLI wrote config/Procfile before this edit
    utimesSync(path.join(dir, 'config', 'Procfile'), past, past);
    const p = plan(dir);
    assert.match(get(p, 'web.1').command, /serve --port 8100 --noreload$/);
    assert.equal(get(p, 'web.1').env.DEV_SERVER, '1');
    assert.deepEqual(get(p, 'worker_email_1.1').queues, ['email']);
    assert.equal(get(p, 'worker_email_1.1').env.MALLOC_ARENA_MAX, '4');
    const w = loadBench(dir, { env: {} }).warnings.map((x) => `${x.file}: ${x.message}`);
    assert.ok(
      w.some((x) => /^config\/Procfile: older than bench\.toml: fbench runs what bench\.toml says.*bench setup config/.test(x)),
      w.join('\n'),
    );
    assert.ok(
      w.some((x) => /webserver_port says 8000 but bench\.toml's http_port is 8100.*bench setup config/.test(x)),
      w.join('\n'),
    );
  });

  test('ports --reassign: bench.toml edited in place with its comments, and every file that names a port, paths of a copy re-pointed', () => {
    const { root, dir } = bench('dev');
    const original = path.join(path.dirname(dir), 'main');
    const procfile = path.join(dir, 'config', 'Procfile');
    // A copy's Procfile still names the bench it was copied from.
    const copied = (text: string): string => text.replaceAll(`${dir}/`, `${original}/`);
    const toml = `# my bench\n${readText(path.join(dir, 'bench.toml'))}`;
    const model = loadBench(dir, { env: {} });
    const files = new Map<string, string>([
      [path.join(dir, 'bench.toml'), toml],
      [procfile, copied(readText(procfile))],
    ]);
    const read = (f: string): string | null => files.get(f) ?? readTextOrNull(f);
    const mine = benchPorts(model, readText(path.join(dir, 'sites', 'common_site_config.json')), toml);
    assert.deepEqual(mine.find((p) => p.key === 'admin_port')?.where, ['config/Procfile:3']);
    const moves = choosePorts(mine, [{ webserver_port: 8000, socketio_port: 9000, redis_cache: 13000, redis_queue: 11000, admin_port: 7000 }], () => false);
    const edits = reassignEdits(model, moves, { read, isBench: (d) => d === original || d === dir });
    const after = (f: string) => edits.find((e) => e.file === f)!.after;
    const tomlAfter = after(path.join(dir, 'bench.toml'));
    assert.ok(tomlAfter.startsWith('# my bench\n[bench]\nname = "dev"'));
    assert.deepEqual([parseBenchToml(tomlAfter).httpPort, parseBenchToml(tomlAfter).redis.cachePort, parseBenchToml(tomlAfter).adminPort], [8001, 13001, 7001]);
    const csc = JSON.parse(after(path.join(dir, 'sites', 'common_site_config.json'))) as Record<string, unknown>;
    assert.equal(csc.redis_cache, 'redis://localhost:13001');
    assert.equal(csc.redis_socketio, 'redis://localhost:13001'); // shared the cache's port, shares it still
    assert.equal(csc.admin_port, undefined);
    assert.match(after(path.join(dir, 'config', 'redis_queue.conf')), /^port 11001$/m);
    const pf = after(procfile);
    assert.match(pf, new RegExp(`^web: ${dir}/env/bin/python .* --port 8001$`, 'm'));
    assert.match(pf, new RegExp(`^admin: ${root}/\\.admin-venv/bin/python .*--bench-root ${dir} --port 7001 `, 'm'));
    assert.ok(!pf.includes(original), pf);
  });

  test("ports --reassign: Redis URLs that share a port keep sharing one (v15's bench writes redis_socketio on the queue's port)", () => {
    const at = (key: BenchPort['key'], port: number): BenchPort => ({ key, port, where: [] });
    const mine = [at('webserver_port', 8000), at('redis_cache', 13000), at('redis_queue', 11000), at('redis_socketio', 11000)];
    const moves = choosePorts(mine, [{ webserver_port: 8000, redis_cache: 13000, redis_queue: 11000 }], () => false);
    assert.deepEqual(
      moves.map((m) => `${m.key} ${m.from}→${m.to}`),
      ['webserver_port 8000→8001', 'redis_cache 13000→13001', 'redis_queue 11000→11001', 'redis_socketio 11000→11001'],
    );
    // Cache and queue on one Redis (a bench made with one): they stay one.
    const one = choosePorts([at('redis_cache', 13000), at('redis_queue', 13000)], [], (p) => p === 13000);
    assert.deepEqual(
      one.map((m) => `${m.key} ${m.from}→${m.to}`),
      ['redis_cache 13000→13001', 'redis_queue 13000→13001'],
    );
  });

  test('editBenchToml keeps everything but the values, adds what is missing', () => {
    const text = '# top\n[bench]\nhttp_port = 8000   # web\n\n[[workers]]\nqueues = ["default"]\n';
    assert.equal(editBenchToml(text, { 'bench.http_port': 8005 }), '# top\n[bench]\nhttp_port = 8005   # web\n\n[[workers]]\nqueues = ["default"]\n');
    const added = editBenchToml(text, { 'bench.socketio_port': 9005, 'redis.queue_port': 11005 });
    assert.deepEqual([parseBenchToml(added).socketioPort, parseBenchToml(added).redis.queuePort, parseBenchToml(added).httpPort], [9005, 11005, 8000]);
  });

  test("a Frappe command as each kind of bench runs it: bench --site on today's, the CLI's own bench frappe way on the new one's", () => {
    assert.deepEqual(frappeCommand({ kind: 'procfile', dir: '/b' }, ['--site', 'x', 'console']), { argv: ['bench', '--site', 'x', 'console'], cwd: '/b' });
    assert.deepEqual(frappeCommand({ kind: 'bench-toml', dir: '/cli/benches/dev' }, ['--site', 'x', 'console']), {
      argv: ['/cli/benches/dev/env/bin/python', '-m', 'frappe.utils.bench_helper', 'frappe', '--site', 'x', 'console'],
      cwd: '/cli/benches/dev/sites',
    });
  });

  test('Redis that Frappe v16 cannot use', () => {
    assert.match(redisUnfitFor(16, { redis_version: '5.0.14' }) ?? '', /needs Redis 6 or later/);
    assert.match(redisUnfitFor(16, { redis_version: '7.2.4', dragonfly_version: 'df-v1.14.0' }) ?? '', /Dragonfly/);
    assert.equal(redisUnfitFor(15, { redis_version: '5.0.14' }), null);
    assert.equal(redisUnfitFor(16, { redis_version: '7.0.15' }), null);
  });

  test("bench.pid says the truth after the CLI's `bench stop` removed it, until fbench has stopped; pid files are never written through a link", async () => {
    const { dir } = bench('dev');
    const pids = path.join(dir, 'pids');
    const victim = path.join(dir, 'victim');
    writeFileSync(victim, 'untouched\n');
    symlinkSync(victim, path.join(pids, 'web.pid'));
    const runner = new RunnerPids(pids, { plan: () => plan(dir) });
    const { sup, proc } = fakeSupervisor([{ name: 'web.1' }]);
    runner.claim();
    runner.start(sup);
    try {
      sup.start();
      await settle();
      assert.equal(readFileSync(path.join(pids, 'web.pid'), 'utf8'), `${proc('web.1').pid}\n`);
      assert.equal(readFileSync(victim, 'utf8'), 'untouched\n', 'the link is replaced, not followed');
      rmSync(path.join(pids, 'bench.pid')); // what the CLI's `bench stop` does before its SIGTERM
      runner.stopping();
      assert.equal(readFileSync(path.join(pids, 'bench.pid'), 'utf8').trim(), String(process.pid));
      assert.ok(!existsSync(path.join(pids, 'reload.request')));
    } finally {
      runner.close();
    }
    assert.deepEqual(
      readdirSync(pids).filter((f) => f.endsWith('.pid')),
      [],
    );
  });
});

function readText(f: string): string {
  return readTextOrNull(f)!;
}
function readTextOrNull(f: string): string | null {
  try {
    return readFileSync(f, 'utf8');
  } catch {
    return null;
  }
}

test("doctor on the new CLI's bench: pids/fbench/ is fbench's to make (not a ✖ while pids/ is writable); a missing logs/ is, Frappe writes there", () => {
  const { dir } = bench('dev');
  rmSync(path.join(dir, 'pids', 'fbench'), { recursive: true, force: true });
  const said = (f: Finding): string => `${f.status} ${f.finding}`;
  const findings = checkLayout(dir).map(said);
  assert.ok(findings.includes('ok pids/fbench/ is made at start (pids/ is writable)'), findings.join('\n'));
  rmSync(path.join(dir, 'logs'), { recursive: true, force: true });
  assert.ok(checkLayout(dir).map(said).includes('fail logs/ is missing'));
});
