import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { get } from 'node:http';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { makeBench } from '../helpers/bench-fixture.js';
import { FBENCH, type FbenchRun } from '../helpers/fbench-run.js';
import { freePorts } from '../helpers/ports.js';
import { enqueue, requireRq, RQ_JOBS, SYSTEM_PYTHON } from '../helpers/real-programs.js';
import { schemaMisfit } from '../helpers/schemas.js';
import { testScope } from '../helpers/scope.js';
import { Terminal } from '../helpers/terminal.js';
import { until } from '../helpers/until.js';

const { cleanups, fbench, finished } = testScope();

/**
 * The bench's env/bin/python as Frappe's processes run it, printing exactly what they print:
 * `frappe serve` answers with werkzeug's access line (the request line and status) and, for a
 * method that raises, Python's own traceback first; `frappe watch` prints esbuild's error for
 * an import it cannot resolve; `frappe worker` is Debian's RQ on Frappe's queue names.
 */
const PYTHON = `import json, os, sys, time, traceback
args = sys.argv[1:]
cmd, rest = args[3], args[4:]
bench = os.path.dirname(os.getcwd())
sys.path.insert(0, bench)
sys.path.insert(0, os.path.join(bench, 'apps', 'app'))
if cmd == 'serve':
    from http.server import BaseHTTPRequestHandler, HTTPServer
    class H(BaseHTTPRequestHandler):
        def do_GET(self):
            if self.path == '/api/method/app.api.boom':
                try:
                    import importlib, app.api
                    importlib.reload(app.api).boom()  # the code as saved: bench serve reloads itself
                except Exception:
                    sys.stderr.write(traceback.format_exc()); sys.stderr.flush()
                self.send_response(500)
            else:
                self.send_response(200)
            self.end_headers()
    HTTPServer(('127.0.0.1', int(rest[rest.index('--port') + 1])), H).serve_forever()
if cmd == 'watch':
    time.sleep(1)
    print('\\u2718 [ERROR] Could not resolve "./missing"\\n\\n    ../../apps/app/app/public/js/app.bundle.js:1:7:\\n      1 \\u2502 import "./missing";\\n        \\u2575        ~~~~~~~~~~~\\n\\n1 error', flush=True)
    while True: time.sleep(1)
if cmd == 'worker':
    from redis import Redis
    from rq import Queue, Worker
    c = json.load(open('common_site_config.json'))
    bench_id = c.get('bench_id') or os.path.realpath(bench).strip('/').replace('/', '-')
    conn = Redis.from_url(c['redis_queue'])
    Worker([Queue(f'{bench_id}:{q}', connection=conn) for q in ('short', 'default', 'long')], connection=conn).work()
`;

/** An npm script that cannot find its package.json, as npm 10 says it, a while after it started. */
const NPM_CRASH = `sleep 2; echo 'npm error code ENOENT'; echo "npm error enoent Could not read package.json: Error: ENOENT: no such file or directory, open '/b/ui/package.json'"; echo 'npm error A complete log of this run can be found in: /root/.npm/_logs/debug-0.log'; exit 254`;

async function errorsBench(): Promise<{ dir: string; web: number }> {
  requireRq();
  const [redis, web] = await freePorts(2);
  const py = 'env/bin/python -m frappe.utils.bench_helper frappe';
  const b = makeBench({
    Procfile: `redis_queue: redis-server config/redis_queue.conf\nweb: ${py} serve --port ${web}\nwatch: ${py} watch\nworker: ${py} worker\nui: sh -c "${NPM_CRASH.replaceAll('"', '\\"')}"\n`,
    'sites/common_site_config.json': JSON.stringify({
      redis_queue: `redis://127.0.0.1:${redis}`,
      redis_cache: `redis://127.0.0.1:${redis}`,
      webserver_port: web,
    }),
    'sites/site1.localhost/site_config.json': '{"db_name": "x"}',
    'config/redis_queue.conf': `bind 127.0.0.1\nport ${redis}\nsave ""\n`,
    'config/pids/.keep': '',
    'logs/.keep': '',
    'jobs.py': RQ_JOBS,
    'apps/app/app/__init__.py': '',
    'apps/app/app/api.py': 'def boom():\n    return 1 / 0\n',
  });
  cleanups.push(b.cleanup);
  mkdirSync(path.join(b.dir, 'env', 'bin'), { recursive: true });
  writeFileSync(path.join(b.dir, 'env', 'bin', 'python'), `#!${SYSTEM_PYTHON}\n${PYTHON}`);
  chmodSync(path.join(b.dir, 'env', 'bin', 'python'), 0o755);
  return { dir: b.dir, web: web! };
}

const request = (port: number, p: string): Promise<number> =>
  new Promise((resolve, reject) => get({ host: '127.0.0.1', port, path: p }, (r) => (r.resume(), resolve(r.statusCode ?? 0))).on('error', reject));

interface Entry {
  kind: string;
  title: string;
  process: string | null;
  site: string | null;
  exception: string | null;
  where: string | null;
  count: number;
  lines: string[];
  more: string;
  job?: string;
}

describe('fbench errors: what broke, told (stand-ins printing what Frappe, RQ, esbuild and npm print)', { timeout: 170_000 }, () => {
  let dir = '';
  let web = 0;
  let run: FbenchRun;
  let failedJob = '';
  after(() => run?.signal('SIGKILL'));

  test('a failed request, a failed job, an asset build and a crash: one list, newest first, each with where to see more; --json valid against schemas/errors.json', async () => {
    ({ dir, web } = await errorsBench());
    run = fbench(['start', '--bench', dir, '--no-timestamps']);
    await run.waitFor(/ready in/, 60_000);
    assert.equal(await request(web, '/api/method/app.api.boom'), 500);
    assert.equal(await request(web, '/app'), 200);
    failedJob = enqueue(dir, 'default', 'fail', []);
    await run.waitFor(/ui\.1 exit code 254/, 30_000);

    const json = await until(
      async () => {
        const r = await finished(['errors', '--json', '--bench', dir]);
        const j = JSON.parse(r.out) as { errors: Entry[] };
        return ['request', 'job', 'build', 'crash'].every((k) => j.errors.some((e) => e.kind === k)) ? j : null;
      },
      'all four kinds listed',
      run,
    );
    assert.equal(schemaMisfit('errors', json), null);
    const of = (kind: string): Entry => json.errors.find((e) => e.kind === kind)!;
    assert.deepEqual(
      [of('request').title, of('request').exception, of('request').where, of('request').process, of('request').site],
      ['GET /api/method/app.api.boom → 500', 'ZeroDivisionError: division by zero', 'apps/app/app/api.py:2 in boom', 'web.1', 'site1.localhost'],
    );
    assert.match(of('request').more, /^fbench logs web\.1 --around \d\d:\d\d:\d\d$/);
    assert.deepEqual(
      [of('job').title, of('job').exception, of('job').job, of('job').process],
      ['job jobs.fail on default', 'ValueError: this job fails', failedJob, 'worker.1'],
    );
    assert.ok(
      of('job').lines.some((l) => l.includes('failing job starts')),
      `the job's story: ${of('job').lines.join('\n')}`,
    );
    assert.deepEqual(
      [of('build').title, of('build').exception, of('build').where, of('build').process],
      ['asset build failed', 'Could not resolve "./missing"', 'apps/app/app/public/js/app.bundle.js:1:7', 'watch.1'],
    );
    assert.match(of('crash').exception ?? '', /ENOENT: no such file or directory/);
    assert.doesNotMatch(of('crash').exception ?? '', /complete log/);
    assert.ok(!json.errors.some((e) => e.kind === 'request' && e.title.includes('/app ')), 'a 200 is no error');

    const plain = await finished(['errors', '--bench', dir]);
    assert.equal(plain.code, 0, plain.out);
    assert.match(
      plain.out,
      /^\d\d:\d\d:\d\d {2}request {2}web\.1 {2}\[site1\.localhost\] {2}GET \/api\/method\/app\.api\.boom → 500\n {4}ZeroDivisionError: division by zero — at apps\/app\/app\/api\.py:2 in boom\n {4}→ fbench logs web\.1 --around /m,
    );
    const around = /fbench logs web\.1 --around (\S+)/.exec(plain.out)![1]!;
    const logs = await finished(['logs', 'web.1', '--around', around, '--bench', dir]);
    assert.match(logs.out, /ZeroDivisionError: division by zero/);
    assert.match(logs.out, /"GET \/api\/method\/app\.api\.boom HTTP\/1\.1" 500 -/);
    assert.equal((await finished(['errors', '--site', 'other.localhost', '--json', '--bench', dir])).out.includes('app.api.boom'), false);
  });

  test('--since save: only what broke after the last save fbench saw; the same request again is one entry counted', async () => {
    const mark = run.output.length;
    writeFileSync(path.join(dir, 'apps', 'app', 'app', 'api.py'), 'def boom():\n    return {}["missing"]\n');
    await run.waitFor(/api\.py changed: restarting worker\.1/, 20_000, mark);
    const since = JSON.parse((await finished(['errors', '--since', 'save', '--json', '--bench', dir])).out) as { errors: Entry[]; lastSave: string | null };
    assert.ok(since.lastSave !== null);
    assert.ok(!since.errors.some((e) => e.kind === 'request' || e.kind === 'job' || e.kind === 'build'), JSON.stringify(since.errors.map((e) => e.title)));
    for (let i = 0; i < 3; i++) assert.equal(await request(web, '/api/method/app.api.boom'), 500);
    const after = await until(
      async () => {
        const j = JSON.parse((await finished(['errors', '--since', 'save', '--json', '--bench', dir])).out) as { errors: Entry[] };
        return j.errors.find((e) => e.kind === 'request' && e.count === 3) ?? null;
      },
      'the request three times, one entry',
      run,
    );
    assert.equal(after.exception, "KeyError: 'missing'");
  });

  test('the MCP tool errors, and status saying what is not ready and how much broke since the save', async () => {
    const client = new Client({ name: 'fbench-test', version: '1.0.0' });
    await client.connect(new StdioClientTransport({ command: process.execPath, args: [FBENCH, 'mcp', '--bench', dir], stderr: 'pipe' }));
    cleanups.push(() => void client.close());
    const text = async (name: string, args: Record<string, unknown> = {}): Promise<string> =>
      ((await client.callTool({ name, arguments: args })) as { content: { text: string }[] }).content.map((c) => c.text).join('');
    const errors = JSON.parse(await text('errors', { since_save: true })) as { errors: Entry[] };
    assert.ok(errors.errors.some((e) => e.kind === 'request' && e.exception === "KeyError: 'missing'"));
    const status = JSON.parse(await text('status')) as { summary: { notReady: string[]; errorsSinceSave: number; failedJobsSinceSave: number } };
    assert.ok(status.summary.errorsSinceSave >= 1, JSON.stringify(status.summary));
    assert.ok(Array.isArray(status.summary.notReady));
  });

  test('in the ui: e lists them, Enter opens one, Esc goes back', async () => {
    const term = new Terminal(`${process.execPath} ${FBENCH} ui --bench ${dir}`, 160, 40);
    cleanups.push(() => term.close());
    await term.until((s) => /^LOGS/m.test(s), 'the view');
    term.keys('e');
    const list = await term.until(
      (s) =>
        /^ERRORS \(\d+, newest first/m.test(s) &&
        /^[› ] \d\d:\d\d:\d\d request web\.1 +GET \/api\/method\/app\.api\.boom → 500 — KeyError: 'missing' \(×3\)/m.test(s),
      'the errors list',
    );
    // Down to the request (a crash that keeps coming may be newer).
    const entries = list.split('\n').filter((l) => /^[› ] \d\d:\d\d:\d\d /.test(l));
    for (let i = 0; i < entries.findIndex((l) => l.includes('app.api.boom')); i++) term.keys('j');
    await term.until((s) => /^› \d\d:\d\d:\d\d request web\.1/m.test(s), 'the request chosen');
    term.keys('Enter');
    await term.until(
      (s) => /^ERROR \d+\/\d+: GET \/api\/method\/app\.api\.boom → 500 \(Esc: back to the list\)/m.test(s) && /return \{\}\["missing"\]/.test(s),
      'the entry opened',
    );
    term.keys('Escape');
    await term.until((s) => /^ERRORS \(/m.test(s), 'back to the list');
    term.keys('Escape');
    await term.until((s) => /^LOGS/m.test(s), 'back to the logs');
    term.keys('q');
    await term.whenExited('the view left');
    await run.stop();
  });
});
