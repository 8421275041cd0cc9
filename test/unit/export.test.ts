import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadBench } from '../../src/frappe/bench-model.js';
import { productionPrograms, type ProductionFacts } from '../../src/export/production.js';
import { applyFormation } from '../../src/frappe/worker-formation.js';
import { renderProcfile } from '../../src/export/procfile.js';
import { renderSupervisor } from '../../src/export/supervisor.js';
import { renderSystemd } from '../../src/export/systemd.js';
import { buildPlan } from '../../src/plan/build.js';
import { SAMPLE } from '../helpers/sample-bench.js';

const model = loadBench(SAMPLE, { env: {} });
const facts = (gunicorn: string | null): ProductionFacts => ({ gunicorn, which: (p) => `/usr/bin/${p}`, exists: () => false });
const splitAll = () => {
  const f = applyFormation(model.entries, model.config, { workers: { kind: 'each', set: 'all' }, source: 'split-all' });
  return buildPlan({ ...model, entries: f.entries }, { concurrency: { ...f.concurrency, worker_long: 2 }, inheritedPath: '/usr/bin' });
};

test('production programs: gunicorn web, no watch, absolute node and bench, worker stop timeouts, Redis first', () => {
  const { programs, warnings } = productionPrograms(splitAll(), model, facts(`${SAMPLE}/env/bin/gunicorn`));
  const by = new Map(programs.map((p) => [p.type, p]));
  assert.equal(
    by.get('web')!.command,
    `${SAMPLE}/env/bin/gunicorn -b 127.0.0.1:8990 -w 2 --max-requests 5000 --max-requests-jitter 500 -t 120 frappe.app:application --preload`,
  );
  assert.equal(by.get('web')!.cwd, `${SAMPLE}/sites`);
  assert.ok(!by.has('watch'));
  assert.ok(warnings.some((w) => /watch: dropped/.test(w.message)));
  assert.equal(by.get('socketio')!.command, `/usr/bin/node ${SAMPLE}/apps/frappe/socketio.js`);
  assert.equal(by.get('worker_long')!.command, '/usr/bin/bench worker --queue long');
  assert.equal(by.get('worker_long')!.count, 2);
  assert.equal(by.get('worker_long')!.stopSeconds, 1560);
  assert.equal(by.get('worker_email')!.stopSeconds, 660);
  assert.equal(by.get('worker_short')!.stopSeconds, 360);
  assert.deepEqual(by.get('worker_long')!.after, ['redis_queue', 'redis_cache']);
  assert.equal(by.get('redis_queue')!.command, `/usr/bin/redis-server ${SAMPLE}/config/redis_queue.conf`);
  assert.deepEqual(
    programs.slice(0, 2).map((p) => p.role),
    ['redis', 'redis'],
  );
  assert.equal(by.get('worker_long')!.stdoutLog, `${SAMPLE}/logs/worker_long.log`);
});

test('without env/bin/gunicorn, web keeps its Procfile command and says why', () => {
  const { programs, warnings } = productionPrograms(splitAll(), model, facts(null));
  assert.equal(programs.find((p) => p.type === 'web')!.command, '/usr/bin/bench serve --port 8990');
  assert.ok(warnings.some((w) => /gunicorn: missing/.test(`${w.file}: ${w.message}`)));
});

test('supervisor: programs and groups named after the bench, numprocs, priorities, process groups stopped whole', () => {
  const text = renderSupervisor('sample-bench', productionPrograms(splitAll(), model, facts(null)).programs, 'frappe');
  assert.match(
    text,
    /\[program:sample-bench-frappe-worker-long\]\ncommand=\/usr\/bin\/bench worker --queue long\ndirectory=.*\nuser=frappe\npriority=5\nautostart=true\nautorestart=true\nnumprocs=2\nprocess_name=%\(program_name\)s-%\(process_num\)d\nstopwaitsecs=1560\nstopasgroup=true\nkillasgroup=true\n/,
  );
  assert.match(text, /\[program:sample-bench-redis-queue\][^[]*priority=1\n/);
  assert.match(text, /\[group:sample-bench-web\]\nprograms=sample-bench-frappe-web,sample-bench-node-socketio\n/);
  assert.match(
    text,
    /\[group:sample-bench-workers\]\nprograms=sample-bench-frappe-schedule,sample-bench-frappe-worker-short,sample-bench-frappe-worker-default,sample-bench-frappe-worker-long,sample-bench-frappe-worker-email\n/,
  );
  assert.match(text, /\[group:sample-bench-redis\]\nprograms=sample-bench-redis-cache,sample-bench-redis-queue\n/);
});

test('systemd: a unit per type, templated for counts, ordered after the Redis it needs, and a target', () => {
  const units = renderSystemd('sample-bench', productionPrograms(splitAll(), model, facts(null)).programs, 'frappe');
  const names = units.map((u) => u.name);
  assert.ok(names.includes('sample-bench-worker-long@.service'));
  assert.ok(names.includes('sample-bench-worker-email.service'));
  assert.ok(names.includes('sample-bench.target'));
  const long = units.find((u) => u.name === 'sample-bench-worker-long@.service')!.text;
  assert.match(long, /^After=network\.target sample-bench-redis-queue\.service sample-bench-redis-cache\.service$/m);
  assert.match(long, /^Requires=sample-bench-redis-queue\.service sample-bench-redis-cache\.service$/m);
  assert.match(long, /^ExecStart=\/bin\/sh -c "exec \/usr\/bin\/bench worker --queue long"$/m);
  assert.match(long, /^KillMode=control-group$/m);
  assert.match(long, /^TimeoutStopSec=1560$/m);
  assert.match(long, /^User=frappe$/m);
  assert.match(long, /^WantedBy=sample-bench\.target$/m);
  const target = units.find((u) => u.name === 'sample-bench.target')!.text;
  assert.match(target, /Wants=.*sample-bench-worker-long@1\.service sample-bench-worker-long@2\.service/);
});

test('procfile: the formation as a plain Procfile with the -c that reproduces its counts', () => {
  const text = renderProcfile(splitAll());
  assert.match(text, /^# run with: honcho start -c worker_long=2/m);
  assert.match(text, /^worker_email: bench worker --queue email 1>> logs\/worker\.log 2>> logs\/worker\.error\.log$/m);
  assert.match(text, /^watch: bench watch$/m);
});
