import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { FbenchError } from '../../src/errors.js';
import { debugCommand } from '../../src/frappe/debug-command.js';
import { loadBench, siteUrl, type BenchModel } from '../../src/frappe/bench-model.js';
import { buildPlan, programFromBench, type PlanOptions } from '../../src/plan/build.js';
import { requestId } from '../../src/mcp/request-gate.js';
import { dumbTerminal, useColor } from '../../src/output/colors.js';
import { describeJob } from '../../src/frappe/rq.js';
import { expandFormation, parseConcurrency } from '../../src/plan/formation.js';
import type { Plan } from '../../src/plan/types.js';
import { makeBench, redisConfs, type FixtureFiles } from '../helpers/bench-fixture.js';

const cleanups: (() => void)[] = [];
after(() => cleanups.forEach((c) => c()));

const CONFIG = JSON.stringify({
  redis_cache: 'redis://127.0.0.1:13000',
  redis_queue: 'redis://127.0.0.1:11000',
  redis_socketio: 'redis://127.0.0.1:13000',
  webserver_port: 8000,
  socketio_port: 9000,
  workers: { email: { timeout: 600, background_workers: 1 } },
});

function plan(procfile: string, extra: FixtureFiles = {}, opts: PlanOptions = {}): Plan {
  const b = makeBench({ Procfile: procfile, 'sites/common_site_config.json': CONFIG, ...redisConfs(13000, 11000, 12000), ...extra });
  cleanups.push(b.cleanup);
  return buildPlan(loadBench(b.dir, { env: {} }), { inheritedPath: '/usr/bin', ...opts });
}

const byName = (p: Plan, name: string) => {
  const found = p.processes.find((x) => x.name === name);
  assert.ok(found, `no process ${name} in ${p.processes.map((x) => x.name).join(', ')}`);
  return found;
};

// bench setup procfile today (Linux: two spaces after "worker:").
const CURRENT = `redis_cache: redis-server config/redis_cache.conf
redis_queue: redis-server config/redis_queue.conf
web: bench serve --port 8000

socketio: /usr/bin/node apps/frappe/socketio.js

watch: bench watch

schedule: bench schedule
worker:  bench worker 1>> logs/worker.log 2>> logs/worker.error.log
worker_email:  bench worker --queue email 1>> logs/worker.log 2>> logs/worker.error.log
`;

test('current Procfile: roles, ports, queues and log files', () => {
  const p = plan(CURRENT);
  assert.deepEqual(
    p.processes.map((x) => [x.name, x.role]),
    [
      ['redis_cache.1', 'redis'],
      ['redis_queue.1', 'redis'],
      ['web.1', 'web'],
      ['socketio.1', 'socketio'],
      ['watch.1', 'watch'],
      ['schedule.1', 'schedule'],
      ['worker.1', 'worker'],
      ['worker_email.1', 'worker'],
    ],
  );
  assert.equal(byName(p, 'redis_cache.1').port, 13000);
  assert.equal(byName(p, 'redis_queue.1').port, 11000);
  assert.equal(byName(p, 'web.1').port, 8000);
  assert.equal(byName(p, 'socketio.1').port, 9000);
  assert.deepEqual(byName(p, 'worker.1').queues, ['short', 'default', 'long', 'email']);
  assert.deepEqual(byName(p, 'worker_email.1').queues, ['email']);
  assert.deepEqual(byName(p, 'worker.1').logFiles, [`${p.bench}/logs/worker.log`, `${p.bench}/logs/worker.error.log`]);
  assert.equal(byName(p, 'web.1').queues, null);
  assert.equal(byName(p, 'watch.1').critical, false);
  assert.equal(byName(p, 'web.1').critical, true);
  assert.deepEqual(p.externals, []);
});

test('dependencies: workers and schedule need queue and cache, web both, socketio the queue', () => {
  const p = plan(CURRENT);
  assert.deepEqual(byName(p, 'worker.1').dependsOn, ['redis_queue.1', 'redis_cache.1']);
  assert.deepEqual(byName(p, 'schedule.1').dependsOn, ['redis_queue.1', 'redis_cache.1']);
  assert.deepEqual(byName(p, 'web.1').dependsOn, ['redis_cache.1', 'redis_queue.1']);
  assert.deepEqual(byName(p, 'socketio.1').dependsOn, ['redis_queue.1']);
  assert.deepEqual(byName(p, 'watch.1').dependsOn, []);
  assert.deepEqual(byName(p, 'redis_cache.1').dependsOn, []);
});

test('readiness: redis gates with PING, web and socketio their port, a worker its registration in RQ on its queues; the rest run a moment', () => {
  const p = plan(CURRENT);
  assert.deepEqual(byName(p, 'redis_queue.1').health, { kind: 'redis', host: '127.0.0.1', port: 11000 });
  assert.deepEqual(byName(p, 'web.1').health, { kind: 'port', host: '127.0.0.1', port: 8000 });
  const worker = byName(p, 'worker_email.1').health;
  assert.equal(worker?.kind, 'rq-worker');
  assert.deepEqual(worker?.kind === 'rq-worker' && worker.queues.map((q) => q.replace(/^.*:/, '')), ['email']);
  assert.equal(byName(p, 'schedule.1').health, null);
});

test("stop graces: a worker its queues' longest job timeout and a minute, a Redis 30 s to save, the rest 5 s", () => {
  const p = plan(CURRENT);
  assert.equal(byName(p, 'worker.1').stop.graceSeconds, 1500 + 60);
  assert.equal(byName(p, 'worker_email.1').stop.graceSeconds, 600 + 60, 'workers.email.timeout');
  assert.deepEqual(byName(p, 'redis_queue.1').stop, { graceSeconds: 30, hint: 'saving its data?', keepsData: true });
  assert.equal(byName(p, 'web.1').stop.graceSeconds, 5);
});

test('the macOS worker prefix is understood', () => {
  const p = plan(`redis_queue: redis-server config/redis_queue.conf
redis_cache: redis-server config/redis_cache.conf
worker: OBJC_DISABLE_INITIALIZE_FORK_SAFETY=YES NO_PROXY=* bench worker 1>> logs/worker.log 2>> logs/worker.error.log
worker_long: OBJC_DISABLE_INITIALIZE_FORK_SAFETY=YES NO_PROXY=* bench worker --queue long,short
`);
  assert.equal(byName(p, 'worker.1').role, 'worker');
  assert.deepEqual(byName(p, 'worker_long.1').queues, ['long', 'short']);
  assert.deepEqual(byName(p, 'worker.1').dependsOn, ['redis_queue.1', 'redis_cache.1']);
});

test('bench v13 era: redis_socketio and one worker per queue', () => {
  const p = plan(
    `redis_cache: redis-server config/redis_cache.conf
redis_socketio: redis-server config/redis_socketio.conf
redis_queue: redis-server config/redis_queue.conf
web: bench serve --port 8000
socketio: /usr/bin/node apps/frappe/socketio.js
watch: bench watch
schedule: bench schedule
worker_short: bench worker --queue short 1>> logs/worker.log 2>> logs/worker.error.log
worker_long: bench worker --queue long 1>> logs/worker.log 2>> logs/worker.error.log
worker_default: bench worker --queue default 1>> logs/worker.log 2>> logs/worker.error.log
`,
    {
      'sites/common_site_config.json': JSON.stringify({
        redis_cache: 'redis://localhost:13000',
        redis_queue: 'redis://localhost:11000',
        redis_socketio: 'redis://localhost:12000',
      }),
    },
  );
  assert.deepEqual(byName(p, 'socketio.1').dependsOn, ['redis_socketio.1']);
  assert.deepEqual(byName(p, 'worker_short.1').queues, ['short']);
  assert.deepEqual(byName(p, 'worker_default.1').dependsOn, ['redis_queue.1', 'redis_cache.1']);
  assert.equal(byName(p, 'redis_socketio.1').port, 12000);
});

test('skip_redis: no redis lines, so Redis is an external dependency on the URL', () => {
  const p = plan('web: bench serve --port 8000\nschedule: bench schedule\nworker: bench worker\n');
  assert.deepEqual(byName(p, 'worker.1').dependsOn, ['redis_queue (external)', 'redis_cache (external)']);
  assert.deepEqual(p.externals.map((x) => [x.name, x.url, x.source]).sort(), [
    ['redis_cache (external)', 'redis://127.0.0.1:13000', 'sites/common_site_config.json: redis_cache'],
    ['redis_queue (external)', 'redis://127.0.0.1:11000', 'sites/common_site_config.json: redis_queue'],
  ]);
});

test('CI Procfile (no watch line) and bench socketio (2026 line)', () => {
  const p = plan('redis_queue: redis-server config/redis_queue.conf\nredis_cache: redis-server config/redis_cache.conf\nsocketio: bench socketio\n');
  assert.equal(byName(p, 'socketio.1').role, 'socketio');
  assert.ok(!p.processes.some((x) => x.role === 'watch'));
});

test('redis is matched to its URL by port, not only by name', () => {
  const p = plan('cache: redis-server config/redis_cache.conf\nq: redis-server --port 11000\nworker: bench worker\n');
  assert.deepEqual(byName(p, 'worker.1').dependsOn, ['q.1', 'cache.1']);
  assert.deepEqual(p.externals, []);
});

test('a Procfile Redis on another port than its URL is a warning naming the key', () => {
  const p = plan('redis_queue: redis-server config/redis_queue.conf --port 11005\nworker: bench worker\n');
  assert.ok(
    p.warnings.some((w) => /redis_queue listens on port 11005.*redis_queue/.test(w.message) && w.line === 1),
    JSON.stringify(p.warnings),
  );
});

test('environment: PYTHONUNBUFFERED, DEV_SERVER, .env, env/bin first on PATH, PORT', () => {
  const p = plan(CURRENT, { '.env': 'FOO=bar\n' });
  const env = byName(p, 'web.1').env;
  assert.equal(env.PYTHONUNBUFFERED, 'true');
  assert.equal(env.DEV_SERVER, 'true');
  assert.equal(env.FOO, 'bar');
  assert.equal(env.PATH, `${p.bench}/env/bin:/usr/bin`);
  assert.equal(plan(CURRENT, {}, { dev: false }).processes[0]!.env.DEV_SERVER, undefined);
});

test('PORT as honcho: base 5000, +100 per type, +1 per instance; -c and -p', () => {
  const p = plan(CURRENT, {}, { concurrency: { worker: 2 }, basePort: 6000 });
  assert.equal(byName(p, 'redis_cache.1').env.PORT, '6000');
  assert.equal(byName(p, 'redis_queue.1').env.PORT, '6100');
  assert.equal(byName(p, 'worker.1').env.PORT, '6600');
  assert.equal(byName(p, 'worker.2').env.PORT, '6601');
  assert.equal(plan(CURRENT, { '.env': 'PORT=7000\n' }).processes[0]!.env.PORT, '7000');
});

test('-c name=0 leaves a type out; selection brings the Redis it needs', () => {
  const p = plan(CURRENT, {}, { concurrency: { watch: 0 } });
  assert.ok(!p.processes.some((x) => x.type === 'watch'));
  const only = plan(CURRENT, {}, { only: ['worker'] });
  assert.deepEqual(
    only.processes.map((x) => x.name),
    ['redis_cache.1', 'redis_queue.1', 'worker.1'],
  );
});

test('unknown names in -c or the selection are errors listing the known ones', () => {
  assert.throws(
    () => plan(CURRENT, {}, { only: ['wrker'] }),
    (e: unknown) =>
      e instanceof FbenchError && /no process, type or role "wrker"/.test(e.message) && /did you mean "worker"/.test(`${e.message} ${e.hint ?? ''}`),
  );
  assert.throws(() => plan(CURRENT, {}, { concurrency: { nope: 2 } }), /no process type "nope"/);
});

test('a stale absolute node path falls back to the node on PATH, with a warning', () => {
  const p = plan(CURRENT, {}, { exists: (f) => f !== '/usr/bin/node' });
  assert.equal(byName(p, 'socketio.1').command, 'node apps/frappe/socketio.js');
  assert.ok(p.warnings.some((w) => /\/usr\/bin\/node does not exist/.test(w.message) && w.line === 5));
  assert.equal(byName(plan(CURRENT, {}, { exists: () => true }), 'socketio.1').command, '/usr/bin/node apps/frappe/socketio.js');
});

test('use_rq_auth: the queue Redis is checked with the RQ credentials', () => {
  const p = plan(CURRENT, {
    'sites/common_site_config.json': JSON.stringify({
      redis_cache: 'redis://127.0.0.1:13000',
      redis_queue: 'redis://127.0.0.1:11000',
      use_rq_auth: true,
      rq_username: 'rq',
      rq_password: 'pw',
    }),
  });
  assert.deepEqual(byName(p, 'redis_queue.1').health, { kind: 'redis', host: '127.0.0.1', port: 11000, username: 'rq', password: 'pw' });
});

test('Procfile warnings and bad config surface with file and line', () => {
  const p = plan(CURRENT + 'this is not a process\n');
  assert.ok(p.warnings.some((w) => w.file === 'Procfile' && w.line === 12));
  assert.throws(
    () => plan(CURRENT, { 'sites/common_site_config.json': '{"a": 1,,}' }),
    (e: unknown) => e instanceof FbenchError && e.location?.file === 'sites/common_site_config.json' && e.location.line === 1,
  );
});

test('formation helpers', () => {
  assert.deepEqual(parseConcurrency(['web=2,worker=0', 'watch=1']), { web: 2, worker: 0, watch: 1 });
  assert.throws(() => parseConcurrency(['web']), /bad concurrency "web"/);
  assert.deepEqual(
    expandFormation(['a', 'b'], { b: 2 }, 5000).map((i) => `${i.name}:${i.port}`),
    ['a.1:5000', 'b.1:5100', 'b.2:5101'],
  );
});

describe('where it runs', { timeout: 10_000 }, () => {
  test("on macOS, what runs jobs gets bench's fork-safety variables unless its line sets them; elsewhere nothing; web starts with Redis, watch yields the CPU", () => {
    const procfile =
      'web: bench serve --port 8000\nworker: bench worker\nmine: OBJC_DISABLE_INITIALIZE_FORK_SAFETY=NO bench worker --queue long\nwatch: bench watch\n';
    const mac = plan(procfile, {}, { platform: 'darwin' });
    assert.equal(byName(mac, 'worker.1').env.OBJC_DISABLE_INITIALIZE_FORK_SAFETY, 'YES');
    assert.equal(byName(mac, 'worker.1').env.NO_PROXY, '*');
    assert.equal(byName(mac, 'mine.1').env.OBJC_DISABLE_INITIALIZE_FORK_SAFETY, undefined, 'the line sets its own');
    assert.equal(byName(mac, 'web.1').env.NO_PROXY, undefined);
    const linux = plan(procfile, {}, { platform: 'linux' });
    assert.equal(byName(linux, 'worker.1').env.OBJC_DISABLE_INITIALIZE_FORK_SAFETY, undefined);
    assert.deepEqual(
      ['web.1', 'worker.1', 'watch.1'].map((n) => byName(linux, n).start),
      [
        { waitsForRedis: false, nice: 0 },
        { waitsForRedis: true, nice: 5 },
        { waitsForRedis: true, nice: 10 },
      ],
    );
  });
});

test('where the developer opens the site: a *.localhost site by its name, another default site at localhost, none with several sites and no default', () => {
  const model = (sites: string[], defaultSite?: string) => ({
    sites: sites.map((name) => ({ name, config: {} })),
    config: { webserverPort: 8000, ...(defaultSite ? { defaultSite } : {}) } as BenchModel['config'],
  });
  assert.equal(siteUrl(model(['erp.localhost'])), 'http://erp.localhost:8000');
  assert.equal(siteUrl(model(['a.example.com', 'b.example.com'], 'a.example.com')), 'http://localhost:8000');
  assert.equal(siteUrl(model(['shop.test'])), 'http://shop.test:8000');
  assert.equal(siteUrl(model(['a.localhost', 'b.localhost'])), null);
});

test("fbench debug's command: what bench runs, with debugpy in front; web without its reloader and threads; a plain Python line; nothing else", () => {
  assert.deepEqual(debugCommand('bench serve --port 8000', '/b', 5678, false), {
    command: '/b/env/bin/python -m debugpy --listen 127.0.0.1:5678 -m frappe.utils.bench_helper frappe serve --port 8000 --noreload --nothreading',
    python: '/b/env/bin/python',
    cwd: '/b/sites',
  });
  assert.equal(
    debugCommand('/b/env/bin/python -m frappe.utils.bench_helper frappe worker --queue long', '/b', 5679, true)?.command,
    '/b/env/bin/python -m debugpy --listen 127.0.0.1:5679 --wait-for-client -m frappe.utils.bench_helper frappe worker --queue long',
  );
  assert.equal(debugCommand('python3 -u app.py --fast', '/b', 5678, false)?.command, 'python3 -u -m debugpy --listen 127.0.0.1:5678 app.py --fast');
  assert.equal(debugCommand('node apps/frappe/socketio.js', '/b', 5678, false), null);
  assert.equal(debugCommand('redis-server config/redis_cache.conf', '/b', 5678, false), null);
});

describe('small pure parts of trust', () => {
  test('TERM=dumb (Emacs): no colour, as NO_COLOR; FORCE_COLOR still wins', () => {
    assert.equal(useColor(true, { TERM: 'xterm-256color' }, undefined), true);
    assert.equal(useColor(true, { TERM: 'dumb' }, undefined), false);
    assert.equal(useColor(true, { TERM: 'dumb', FORCE_COLOR: '1' }, undefined), true);
    assert.equal(dumbTerminal({ TERM: 'dumb' }), true);
  });

  test("a line's program named from the bench runs in sites/ as honcho would find it (from the Procfile's folder)", () => {
    assert.equal(
      programFromBench('env/bin/python -m frappe.utils.bench_helper frappe worker --queue x', 'env/bin/python', '/b/sites', '/b'),
      '/b/env/bin/python -m frappe.utils.bench_helper frappe worker --queue x',
    );
    assert.equal(programFromBench('A=1 env/bin/python -m x', 'env/bin/python', '/b dir/sites', '/b dir'), "A=1 '/b dir/env/bin/python' -m x");
    assert.equal(programFromBench('bench worker', 'bench', '/b/sites', '/b'), 'bench worker', 'a program found on PATH');
    assert.equal(programFromBench('env/bin/python x', 'env/bin/python', '/b', '/b'), 'env/bin/python x', 'run in the bench: as written');
  });

  test("an MCP request's id is found at its start or its end, never inside its parameters", () => {
    assert.equal(requestId('{"jsonrpc":"2.0","id":7,"method":"tools/call"', ''), 7);
    assert.equal(requestId('{"method":"tools/call","params":{"id":99', ',"jsonrpc":"2.0","id":"a-1"}'), 'a-1');
    assert.equal(requestId('{"method":"tools/call","params":{"arguments":{"id":5', 'xxxx"}}}'), null);
  });

  test("an old worker's job grows older while it finishes it", () => {
    const job = { id: 's::1', func: 'jobs.slow', origin: 'q:long', startedAt: 1_000, timeoutS: null, description: '' };
    const r = describeJob(job, { prefixed: true, benchId: 'q' }, { workers: {} }, 3_000);
    assert.match(r.waitingFor, /running 2 s/);
    assert.match(r.at(61_000), /running 60 s/);
  });
});
