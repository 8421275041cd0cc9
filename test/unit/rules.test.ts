import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { jsonMembers, setJsonMembers } from '../../src/config/json-file.js';
import { parseDuration, parseSeconds } from '../../src/config/numbers.js';
import { mayHoldCode } from '../../src/frappe/code-watch.js';
import { aclHint, decisiveRedisLine, isRedisBootLine, redisFix, redisVersion } from '../../src/frappe/redis-log.js';
import { benchQueueName, describeJob, jobFunction, workerIsLive, type RqWorker } from '../../src/frappe/rq.js';
import { withGrace, workerStopSeconds } from '../../src/frappe/stop-policy.js';
import { withFreeNames } from '../../src/plan/formation.js';
import { resolveNames } from '../../src/plan/lookup.js';
import { closest } from '../../src/util/closest.js';
import { psTable } from '../../src/cli/commands/control.js';
import type { ProcessInfo } from '../../src/session/control-protocol.js';
import { renderTable } from '../../src/util/table.js';

describe('one rule for names', { timeout: 5000 }, () => {
  const procs = [
    { name: 'redis_cache.1', type: 'redis_cache', role: 'redis' },
    { name: 'redis_queue.1', type: 'redis_queue', role: 'redis' },
    { name: 'web.1', type: 'web', role: 'web' },
    { name: 'worker.1', type: 'worker', role: 'worker', logFiles: ['/b/logs/worker.log'] },
    { name: 'worker.2', type: 'worker', role: 'worker' },
    { name: 'worker_email.1', type: 'worker_email', role: 'worker', logFiles: ['/b/logs/worker.log'] },
  ];
  const names = (...n: string[]): string[] => resolveNames(procs, n, { bench: '/b' });

  test('an instance, else a Procfile type, else a role, else a log file', () => {
    assert.deepEqual(names('worker.2'), ['worker.2']);
    assert.deepEqual(names('worker'), ['worker.1', 'worker.2'], 'the type, not the role');
    assert.deepEqual(names('worker_email'), ['worker_email.1']);
    assert.deepEqual(names('redis'), ['redis_cache.1', 'redis_queue.1'], 'a role when no type has the name');
    assert.deepEqual(names('logs/worker.log'), ['worker.1', 'worker_email.1']);
  });

  test('all, and shell wildcards over names and types', () => {
    assert.equal(names('all').length, 6);
    assert.deepEqual(names('worker*'), ['worker.1', 'worker.2', 'worker_email.1']);
    assert.deepEqual(names('redis_*.1'), ['redis_cache.1', 'redis_queue.1']);
    assert.deepEqual(names('worker.?'), ['worker.1', 'worker.2']);
  });

  test('a name that means nothing says the closest one', () => {
    assert.throws(
      () => names('wrker'),
      (e: Error & { hint?: string }) => /no process, type or role "wrker"/.test(e.message) && /did you mean "worker"\?/.test(e.hint ?? ''),
    );
    assert.throws(() => names('zzz*'), /no process, type or role "zzz\*"/);
    assert.deepEqual(resolveNames(procs, ['gone'], { skipUnknown: true }), []);
    assert.equal(closest('socketoi', ['socketio', 'web']), 'socketio');
    assert.equal(closest('xyz', ['socketio', 'web']), null);
  });
});

describe('editing JSON in place', { timeout: 5000 }, () => {
  const text =
    '{\n "background_workers": 1,\n "redis_queue": "redis://:s3cret@127.0.0.1:11000",\n "workers": {"email": {"timeout": 600}},\n "webserver_port": 8000\n}\n';

  test('the members of the top-level object and where their values are', () => {
    const m = jsonMembers(text);
    assert.deepEqual(
      m.map((x) => x.key),
      ['background_workers', 'redis_queue', 'workers', 'webserver_port'],
    );
    assert.equal(text.slice(m[2]!.valueStart, m[2]!.valueEnd), '{"email": {"timeout": 600}}');
  });

  test('only the changed values change; a new key goes last with the same indentation', () => {
    const out = setJsonMembers(text, { webserver_port: '8001', redis_queue: '"redis://:s3cret@127.0.0.1:11001"', socketio_port: '9001' });
    assert.equal(
      out,
      '{\n "background_workers": 1,\n "redis_queue": "redis://:s3cret@127.0.0.1:11001",\n "workers": {"email": {"timeout": 600}},\n "webserver_port": 8001,\n "socketio_port": 9001\n}\n',
    );
    assert.deepEqual(JSON.parse(out).workers, { email: { timeout: 600 } });
    assert.equal(setJsonMembers('{}', { a: '1' }), '{\n "a": 1\n}');
  });
});

describe('numbers and durations', { timeout: 5000 }, () => {
  test('seconds are seconds; durations take units', () => {
    assert.equal(parseSeconds('2.5', '--grace'), 2.5);
    assert.equal(parseDuration('10m', '--since'), 600);
    assert.equal(parseDuration('90', '--since'), 90);
    assert.equal(parseDuration('2h', '--since'), 7200);
    assert.throws(() => parseDuration('soon', '--since'), /--since must be a duration like 90, 30s, 10m/);
  });
});

describe('what a bench is made of', { timeout: 5000 }, () => {
  test('folders of app code are told by their names, before anything in them is read', () => {
    for (const n of ['frappe', 'erpnext', 'doctype', 'www', 'patches']) assert.ok(mayHoldCode(n), n);
    for (const n of ['node_modules', '.git', '__pycache__', 'frappe.egg-info', 'dist', 'build', 'public', '.venv']) assert.ok(!mayHoldCode(n), n);
  });

  test("a worker's stop grace is its queues' longest job timeout and a minute; --grace sets every one but a Redis's save", () => {
    const config = { workers: { email: { timeout: 900 } } };
    assert.equal(workerStopSeconds(['short', 'default'], config), 360);
    assert.equal(workerStopSeconds(['short', 'long', 'email'], config), 1560);
    assert.equal(workerStopSeconds(['email'], config), 960);
    assert.deepEqual(withGrace({ graceSeconds: 360, keepsData: false }, 2), { graceSeconds: 2, keepsData: false });
    assert.equal(withGrace({ graceSeconds: 30, keepsData: true }, 2).graceSeconds, 30);
  });

  test("RQ's words: the method Frappe enqueued, a live worker, a running job", () => {
    assert.equal(
      jobFunction(
        "frappe.utils.background_jobs.execute_job(site='s1', user='Administrator', method='frappe.email.queue.flush', event=None, job_name='x', is_async=True, kwargs={})",
      ),
      'frappe.email.queue.flush',
    );
    assert.equal(jobFunction("frappe.utils.background_jobs.execute_job(site='s', method=<function send_mail at 0x7f>, kwargs={})"), 'send_mail');
    assert.equal(jobFunction("jobs.slow('/tmp/x', 12)"), 'jobs.slow');
    const naming = { prefixed: true, benchId: 'home-frappe-bench' };
    assert.equal(benchQueueName(naming, 'home-frappe-bench:long'), 'long');
    const w: RqWorker = { name: 'x', pid: 42, hostname: 'me', queues: [], state: 'busy', currentJob: 'j', lastHeartbeat: 0 };
    assert.equal(
      workerIsLive(w, 'me', 1e12, (pid) => pid === 42),
      true,
    );
    assert.equal(
      workerIsLive(w, 'me', 1e12, () => false),
      false,
      'a dead pid on this host',
    );
    assert.equal(
      workerIsLive({ ...w, hostname: 'other', lastHeartbeat: 1e12 - 60_000 }, 'me', 1e12, () => false),
      true,
      'another host: by its heartbeat',
    );
    assert.equal(
      workerIsLive({ ...w, hostname: 'other', lastHeartbeat: 1e12 - 600_000 }, 'me', 1e12, () => false),
      false,
    );
    const job = describeJob(
      {
        id: 'site1.localhost::8c1f2e9a-77d0-4b1e-9d1c-2f3e4a5b6c7d',
        func: 'frappe.email.queue.flush',
        origin: 'home-frappe-bench:default',
        startedAt: 1_000_000,
        timeoutS: null,
      },
      naming,
      { workers: {} },
      1_012_000,
    );
    // Whole: Frappe's ids share their site prefix, so a cut one names nothing.
    assert.equal(
      job.waitingFor,
      'finish frappe.email.queue.flush (job site1.localhost::8c1f2e9a-77d0-4b1e-9d1c-2f3e4a5b6c7d, running 12 s, queue timeout 300 s)',
    );
    assert.match(
      job.ifKilled,
      /the job site1\.localhost::8c1f2e9a-77d0-4b1e-9d1c-2f3e4a5b6c7d \(frappe\.email\.queue\.flush\) was lost; it stays in rq:wip:home-frappe-bench:default/,
    );
  });

  test("a Redis's boot banner, its version, and the one line that says why it did not start, with the fix", () => {
    const boot = [
      '123:C 02 Dec 2026 07:15:36.533 # oO0OoO0OoO0Oo Redis is starting oO0OoO0OoO0Oo',
      '123:C 02 Dec 2026 07:15:36.533 # Redis version=7.0.15, bits=64, commit=00000000, modified=0, pid=123, just started',
      '123:M 02 Dec 2026 07:15:36.534 * Running mode=standalone, port=17771.',
      '123:M 02 Dec 2026 07:15:36.535 # WARNING Memory overcommit must be enabled!',
    ];
    assert.deepEqual(boot.map(isRedisBootLine), [true, true, true, false], 'its warnings stay');
    assert.equal(redisVersion(boot), '7.0.15');
    const acl = [
      ...boot,
      "123:M 02 Dec 2026 07:15:36.535 # Aborting Redis startup because of ACL errors: Error loading ACLs, opening file '/b/config/redis_queue.acl': No such file or directory",
    ];
    const line = decisiveRedisLine(acl)!;
    assert.match(line, /^Aborting Redis startup because of ACL errors/);
    assert.match(redisFix(line, { port: 11000, aclfile: '/b/config/redis_queue.acl', dir: null, conf: null })!, /create \/b\/config\/redis_queue\.acl/);
    // The file is there, a line of it is bad: not "create it".
    const bad = redisFix("Aborting Redis startup because of ACL errors: /b/config/redis_queue.acl:1: Unknown command 'usr'", {
      port: 11000,
      aclfile: '/b/config/redis_queue.acl',
      aclfileExists: true,
      dir: null,
      conf: null,
    })!;
    assert.match(bad, /^fix the line Redis names in \/b\/config\/redis_queue\.acl/);
    // Redis's FATAL CONFIG block, read as one line; a missing dir gets its own fix.
    const fatal = decisiveRedisLine([
      '',
      '*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***',
      'Reading the configuration file, at line 2',
      ">>> 'dir /gone/pids'",
      'No such file or directory',
    ])!;
    assert.equal(fatal, "FATAL CONFIG FILE ERROR at line 2: 'dir /gone/pids': No such file or directory");
    assert.match(
      redisFix(fatal, { port: null, aclfile: null, dir: null, conf: '/b/config/redis_cache.conf' })!,
      /^the folder \/gone\/pids named by dir in \/b\/config\/redis_cache\.conf does not exist/,
    );
    const port = [
      ...boot,
      '1:M 02 Dec 2026 07:15:37.053 # Warning: Could not create server TCP listening socket *:17772: bind: Address already in use',
      '1:M 02 Dec 2026 07:15:37.053 # Failed listening on port 17772 (TCP), aborting.',
    ];
    assert.match(decisiveRedisLine(port)!, /Address already in use/);
    assert.match(redisFix(decisiveRedisLine(port)!, { port: 17772, aclfile: null, dir: null, conf: null })!, /fbench ports --reassign/);
    assert.match(aclHint('/b/x.acl'), /bench create-rq-users/);
  });
});

describe('formation', { timeout: 5000 }, () => {
  test("a session's names are not another's: a taken instance name gets the next free number of its type", () => {
    const procs = [
      { name: 'redis_queue.1', type: 'redis_queue', dependsOn: [] },
      { name: 'worker_email.1', type: 'worker_email', dependsOn: ['redis_queue.1'] },
      { name: 'worker_email.2', type: 'worker_email', dependsOn: ['redis_queue.1'] },
    ];
    assert.deepEqual(
      withFreeNames(procs, ['worker_email.1', 'web.1']).map((p) => p.name),
      ['redis_queue.1', 'worker_email.3', 'worker_email.2'],
    );
    assert.deepEqual(withFreeNames(procs, ['redis_queue.1'])[1]!.dependsOn, ['redis_queue.2']);
  });
});

describe('tables', { timeout: 5000 }, () => {
  test('columns padded; past the width, the shrinking column is cut with …', () => {
    const rows = [['web.1', 'bench serve --port 8000 --noreload --with-a-very-long-tail-of-options']];
    assert.deepEqual(renderTable(['NAME', 'COMMAND'], rows), [
      'NAME   COMMAND',
      'web.1  bench serve --port 8000 --noreload --with-a-very-long-tail-of-options',
    ]);
    const cut = renderTable(['NAME', 'COMMAND'], rows, { width: 30 });
    assert.ok(cut.every((l) => l.length <= 30));
    assert.match(cut[1]!, /…$/);
  });

  test('fbench ps at 80 columns: the figures go first, the readiness stays whole', () => {
    const row: ProcessInfo = {
      name: 'worker_default_short_long_1.1',
      type: 'w',
      role: 'worker',
      state: 'ready',
      ready: true,
      readiness: 'registered on default,short,long',
      pid: 123456,
      uptimeMs: 3_600_000,
      restarts: 2,
      crashes: 0,
      crashLooping: false,
      port: null,
      cpuPercent: 1.5,
      rssBytes: 80e6,
      atPrompt: false,
      debugPort: null,
      lastLine: null,
      logFiles: [],
    };
    const wide = psTable([row]);
    assert.match(wide[0]!, /UPTIME +RESTARTS +PORT +CPU +RSS +READY/);
    const narrow = psTable([row], 80);
    assert.ok(
      narrow.every((l) => l.length <= 80),
      narrow.join('\n'),
    );
    assert.match(narrow[1]!, /registered on default,short,long$/);
    assert.doesNotMatch(narrow[0]!, /CPU|RSS/);
  });
});
