import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseProcfile } from '../../src/config/procfile.js';
import { FbenchError } from '../../src/errors.js';
import { parsePreset } from '../../src/frappe/preset-file.js';
import { listPresets, loadPreset } from '../../src/frappe/presets.js';
import { classifyEntry } from '../../src/frappe/roles.js';
import { resolveSiteConfig } from '../../src/frappe/site-config.js';
import { applyFormation, parseQueueGroups } from '../../src/frappe/worker-formation.js';
import { SAMPLE } from '../helpers/sample-bench.js';

const PROCFILE = parseProcfile(`redis_cache: redis-server config/redis_cache.conf
redis_queue: redis-server config/redis_queue.conf
web: bench serve --port 8000
socketio: node apps/frappe/socketio.js
watch: bench watch
schedule: bench schedule
worker: OBJC_DISABLE_INITIALIZE_FORK_SAFETY=YES NO_PROXY=* bench worker 1>> logs/worker.log 2>> logs/worker.error.log
worker_email: bench worker --queue email 1>> logs/worker.log 2>> logs/worker.error.log
`).entries.map(classifyEntry);
const CONFIG = resolveSiteConfig({ background_workers: 2, workers: { email: { timeout: 600, background_workers: 3 }, reports: {} } }, {}).config;

const fails = (fn: () => unknown, re: RegExp, line?: number) =>
  assert.throws(fn, (e: unknown) => e instanceof FbenchError && re.test(`${e.message} ${e.hint}`) && (line === undefined || e.location?.line === line));

test('every shipped preset is valid and described', () => {
  const refs = listPresets(SAMPLE);
  assert.deepEqual(
    refs.map((r) => r.name),
    ['default', 'minimal', 'split', 'split-all', 'workers-only'],
  );
  for (const r of refs) assert.ok(loadPreset(r.name, SAMPLE).description.length > 10);
});

test('preset file errors name the line and what is allowed', () => {
  fails(
    () => parsePreset('x', 'description: ok\nworkerz: procfile\n', 'x.yaml'),
    /unknown key "workerz".*allowed keys: description, roles, exclude, workers/,
    2,
  );
  fails(() => parsePreset('x', 'description: ok\nroles: [web, wrker]\n', 'x.yaml'), /unknown role "wrker".*roles are:/, 2);
  fails(() => parsePreset('x', 'description: ok\nworkers:\n  - queues: [default]\n    count: two\n', 'x.yaml'), /"count" must be a whole number/, 4);
  fails(() => parsePreset('x', 'description: ok\nworkers:\n  each: some\n', 'x.yaml'), /"each" must be standard or all/, 3);
  fails(() => parsePreset('x', 'roles: [web]\n', 'x.yaml'), /"description" is required/);
  fails(() => parsePreset('x', 'description: [unclosed\n', 'x.yaml'), /invalid YAML.*line 2/);
});

test('split: one worker per standard queue, built from the Procfile worker line', () => {
  const f = applyFormation(PROCFILE, CONFIG, { workers: { kind: 'each', set: 'standard' }, source: 'split' });
  const workers = f.entries.filter((e) => e.name.startsWith('worker'));
  assert.deepEqual(
    workers.map((w) => w.name),
    ['worker_short', 'worker_default', 'worker_long'],
  );
  assert.equal(
    workers[0]!.command,
    'OBJC_DISABLE_INITIALIZE_FORK_SAFETY=YES NO_PROXY=* bench worker --queue short 1>> logs/worker.log 2>> logs/worker.error.log',
  );
  assert.deepEqual(f.concurrency, { worker_short: 2, worker_default: 2, worker_long: 2 });
  // the workers stand where the Procfile's stood
  assert.deepEqual(f.entries.map((e) => e.name).slice(0, 6), ['redis_cache', 'redis_queue', 'web', 'socketio', 'watch', 'schedule']);
});

test('split-all adds the custom queues, each counted by its own background_workers', () => {
  const f = applyFormation(PROCFILE, CONFIG, { workers: { kind: 'each', set: 'all' }, source: 'split-all' });
  assert.deepEqual(
    f.entries.filter((e) => e.name.startsWith('worker')).map((w) => w.name),
    ['worker_short', 'worker_default', 'worker_long', 'worker_email', 'worker_reports'],
  );
  assert.equal(f.concurrency.worker_email, 3);
  assert.equal(f.concurrency.worker_reports, 2);
});

test('roles and exclude leave processes out; a group over every queue keeps the plain worker line', () => {
  const f = applyFormation(PROCFILE, CONFIG, {
    roles: ['redis', 'web', 'worker', 'schedule'],
    workers: { kind: 'groups', groups: [{ queues: 'all', count: 1 }] },
    source: 'minimal',
  });
  assert.deepEqual(
    f.entries.map((e) => e.name),
    ['redis_cache', 'redis_queue', 'web', 'schedule', 'worker'],
  );
  assert.match(f.entries.find((e) => e.name === 'worker')!.command, /bench worker 1>>/);
  assert.deepEqual(f.concurrency, {});
  const g = applyFormation(PROCFILE, CONFIG, { exclude: ['watch', 'socketio'], workers: { kind: 'procfile' }, source: 'x' });
  assert.deepEqual(
    g.entries.map((e) => e.name),
    ['redis_cache', 'redis_queue', 'web', 'schedule', 'worker', 'worker_email'],
  );
});

test('--queues: commas make processes, + joins queues, -n counts; unknown queues are refused', () => {
  assert.deepEqual(parseQueueGroups('default,long+short,email', 2), [
    { queues: ['default'], count: 2 },
    { queues: ['long', 'short'], count: 2 },
    { queues: ['email'], count: 2 },
  ]);
  const f = applyFormation(PROCFILE, CONFIG, {
    roles: ['worker'],
    workers: { kind: 'groups', groups: parseQueueGroups('default,long+short') },
    source: '--queues',
  });
  assert.deepEqual(
    f.entries.map((e) => [e.name, e.command.replace(/^.*bench worker /, '').replace(/ 1>>.*$/, '')]),
    [
      ['worker_default', '--queue default'],
      ['worker_long_short', '--queue long,short'],
    ],
  );
  fails(
    () => applyFormation(PROCFILE, CONFIG, { workers: { kind: 'groups', groups: parseQueueGroups('default,emails') }, source: '--queues' }),
    /unknown queue "emails" in --queues.*short, default, long, email, reports/,
  );
  fails(() => parseQueueGroups(' , '), /lists no queue/);
});
