import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { appFrame, decisiveLine, jobSite, scannerFor, whatItSaid, type LineFinding } from '../../src/frappe/error-lines.js';
import type { Plan } from '../../src/plan/types.js';
import { ERROR_ENTRIES, ErrorLog } from '../../src/session/error-log.js';
import { jobEntry } from '../../src/session/errors.js';
import { selectErrors } from '../../src/client/bench-errors.js';
import { settle } from '../helpers/fakes.js';
import { setup as fakeSupervisor } from '../helpers/fake-supervisor.js';

/** What Frappe's dev server prints for a whitelisted method that raises: the traceback, then werkzeug's access line. */
const FRAPPE_500 = [
  'Traceback (most recent call last):',
  '  File "/home/frappe/bench/apps/frappe/frappe/app.py", line 114, in application',
  '    response = frappe.api.handle(request)',
  '               ^^^^^^^^^^^^^^^^^^^^^^^^^^',
  '  File "/home/frappe/bench/apps/frappe/frappe/handler.py", line 86, in execute_cmd',
  '    return frappe.call(method, **frappe.form_dict)',
  '  File "/home/frappe/bench/apps/app/app/api.py", line 3, in boom',
  '    return 1 / 0',
  '           ~~^~~',
  'ZeroDivisionError: division by zero',
  '127.0.0.1 - - [07/Dec/2026 10:44:23] "\x1b[35m\x1b[1mGET /api/method/app.api.boom HTTP/1.1\x1b[0m" 500 -',
];

/** What esbuild prints (frappe watch) for an import it cannot resolve. */
const ESBUILD_ERROR = [
  '✘ [ERROR] Could not resolve "./missing"',
  '',
  '    ../../apps/app/app/public/js/app.bundle.js:1:7:',
  '      1 │ import "./missing";',
  '        ╵        ~~~~~~~~~~~',
  '',
  '1 error',
];

const scan = (role: 'web' | 'watch', lines: readonly string[]): LineFinding[] => {
  const s = scannerFor(role)!;
  return lines.map((l) => s.push(l)).filter((f) => f !== null);
};

describe('what broke, read from the lines Frappe, RQ and esbuild print', () => {
  test("a failed request: method, path, status, the exception, the app's frame; a 404 or a 200 is nothing", () => {
    const [f, ...more] = scan('web', [
      ...FRAPPE_500,
      '127.0.0.1 - - [07/Dec/2026 10:44:24] "GET /app HTTP/1.1" 200 -',
      '127.0.0.1 - - [07/Dec/2026 10:44:25] "GET /x HTTP/1.1" 404 -',
    ]);
    assert.equal(more.length, 0);
    assert.equal(f!.title, 'GET /api/method/app.api.boom → 500');
    assert.equal(f!.exception, 'ZeroDivisionError: division by zero');
    assert.equal(f!.where, 'apps/app/app/api.py:3 in boom');
    assert.ok(f!.lines.includes('    return 1 / 0'));
  });

  test('a 500 with no traceback before it, and a traceback whose access line never came, are what they are', () => {
    const [bare] = scan('web', ['127.0.0.1 - - [07/Dec/2026 10:44:23] "POST /api/method/x HTTP/1.1" 502 -']);
    assert.deepEqual([bare!.title, bare!.exception, bare!.where], ['POST /api/method/x → 502', null, null]);
    const filler = Array.from({ length: 60 }, (_, i) => `line ${i}`);
    const [late] = scan('web', [...FRAPPE_500.slice(0, -1), ...filler, '127.0.0.1 - - [07/Dec/2026 10:44:23] "GET /y HTTP/1.1" 500 -']);
    assert.equal(late!.exception, null, 'a traceback 60 lines before is not this request’s');
  });

  test("a chained traceback's exception is its last one", () => {
    const [f] = scan('web', [
      'Traceback (most recent call last):',
      '  File "/b/apps/app/app/a.py", line 1, in f',
      'KeyError: 1',
      '',
      'During handling of the above exception, another exception occurred:',
      '',
      'Traceback (most recent call last):',
      '  File "/b/apps/app/app/a.py", line 5, in g',
      'ValueError: bad',
      '127.0.0.1 - - [07/Dec/2026 10:44:23] "GET /z HTTP/1.1" 500 -',
    ]);
    assert.equal(f!.exception, 'ValueError: bad');
    assert.equal(f!.where, 'apps/app/app/a.py:5 in g');
  });

  test("an asset build that failed: esbuild's message and the file:line it names", () => {
    const [f] = scan('watch', ESBUILD_ERROR);
    assert.deepEqual([f!.title, f!.exception], ['asset build failed', 'Could not resolve "./missing"']);
    assert.equal(f!.where, 'apps/app/app/public/js/app.bundle.js:1:7');
  });

  test("a crash's decisive line: npm's ENOENT, not its log's whereabouts; a Python exception; else the last line", () => {
    assert.equal(
      decisiveLine([
        'npm error code ENOENT',
        'npm error syscall open',
        "npm error enoent Could not read package.json: Error: ENOENT: no such file or directory, open '/b/package.json'",
        'npm error enoent This is related to npm not being able to find a file.',
        'npm error A complete log of this run can be found in: /root/.npm/_logs/2026-12-07T10_44_23_000Z-debug-0.log',
      ]),
      "npm error enoent Could not read package.json: Error: ENOENT: no such file or directory, open '/b/package.json'",
    );
    assert.equal(
      decisiveLine(['Traceback (most recent call last):', '  File "x", line 1', "ModuleNotFoundError: No module named 'y'"]),
      "ModuleNotFoundError: No module named 'y'",
    );
    assert.equal(decisiveLine(['starting', 'bye']), 'bye');
    // What a process said, by its role: a Redis's own log is read as Redis writes it.
    const redis = [
      '12:C 07 Dec 2026 10:44:23.000 # oO0OoO0OoO0Oo Redis is starting oO0OoO0OoO0Oo',
      '*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***',
      'Reading the configuration file, at line 2',
      ">>> 'dir /b/gone'",
      'No such file or directory',
    ];
    assert.equal(whatItSaid('redis', redis), "FATAL CONFIG FILE ERROR at line 2: 'dir /b/gone': No such file or directory");
    assert.equal(whatItSaid('other', ['ok', 'Error: boom', 'bye']), 'Error: boom');
    assert.equal(appFrame(['  File "/b/apps/frappe/frappe/x.py", line 2, in h']), 'apps/frappe/frappe/x.py:2 in h');
    assert.equal(jobSite('site1.localhost::6f1c', ''), 'site1.localhost');
    assert.equal(jobSite('erp.localhost||9a41', ''), 'erp.localhost');
    assert.equal(jobSite('6f1c', "execute_job(site='s2', method='m')"), 's2');
  });
});

describe('the error log of a session (virtual time)', () => {
  /** The error log listening to the real supervisor over fake processes: web, watch and a custom line. */
  async function setup() {
    const { sup, clock, proc } = fakeSupervisor([{ name: 'web.1' }, { name: 'watch.1' }, { name: 'ui.1' }]);
    const plan = {
      processes: [
        { name: 'web.1', role: 'web' },
        { name: 'watch.1', role: 'watch' },
        { name: 'ui.1', role: 'other' },
      ],
    } as unknown as Plan;
    const log = new ErrorLog({ plan: () => plan, clock, site: () => 'site1.localhost' });
    log.start(sup);
    sup.start();
    await settle();
    const out = (name: string, lines: readonly string[]): void => proc(name).record(Buffer.from(`${lines.join('\n')}\n`));
    return { clock, sup, proc, log, out };
  }

  test('each kind from its own process only; the same error again is one entry with a count; crashes with their decisive line', async () => {
    const { clock, proc, log, out } = await setup();
    out('web.1', FRAPPE_500);
    await clock.advance(1000);
    out('web.1', FRAPPE_500);
    out('ui.1', FRAPPE_500); // another process printing a 500 is not a request of web
    out('watch.1', ESBUILD_ERROR);
    // npm's failure, three times in a row: crash-looping.
    for (const backoff of [1000, 2000, 4000]) {
      out('ui.1', ['npm error enoent Could not read package.json: Error: ENOENT: no such file', 'npm error A complete log of this run can be found in: x']);
      proc('ui.1').exitWith(254);
      await clock.advance(backoff);
      await settle();
    }
    proc('watch.1').exitWith(0); // a clean exit is no crash
    const e = log.entries();
    assert.deepEqual(
      e.map((x) => `${x.kind} ${x.process} ${x.title} ×${x.count}`),
      [
        'crash ui.1 ui.1 exit code 254, crash-looping (3 in a row) ×3', // the newest first; the same crash again is one entry
        'request web.1 GET /api/method/app.api.boom → 500 ×2',
        'build watch.1 asset build failed ×1',
      ],
    );
    const request = e.find((x) => x.kind === 'request')!;
    assert.equal(request.site, 'site1.localhost');
    assert.notEqual(request.firstAt, request.at);
    assert.match(request.more, /^fbench logs web\.1 --around \d\d:\d\d:\d\d$/);
    assert.match(e.find((x) => x.kind === 'crash')!.exception!, /ENOENT: no such file/);
    log.close();
  });

  test('a flood is bounded (the oldest dropped, counted); --since save counts from the last save', async () => {
    const { clock, log, out } = await setup();
    for (let i = 0; i < ERROR_ENTRIES + 50; i++) out('web.1', [`127.0.0.1 - - [07/Dec/2026 10:44:23] "GET /p${i} HTTP/1.1" 500 -`]);
    assert.equal(log.entries().length, ERROR_ENTRIES);
    assert.equal(log.dropped, 50);
    await clock.advance(5000);
    log.noteSave();
    await clock.advance(10);
    out('web.1', ['127.0.0.1 - - [07/Dec/2026 10:44:23] "GET /after HTTP/1.1" 500 -']);
    assert.deepEqual(
      selectErrors(log.entries(), { since: 'save' }, log.lastSave).map((x) => x.title),
      ['GET /after → 500'],
    );
    log.close();
  });

  test("a failed job: Frappe's method, its site, the app's frame and its worker's lines", () => {
    const e = jobEntry(
      {
        id: 'site1.localhost::6f1c',
        queue: 'long',
        method: 'app.tasks.nightly',
        call: "frappe.utils.background_jobs.execute_job(site='site1.localhost', method='app.tasks.nightly', event=None, job_name='app.tasks.nightly')",
        failedAt: Date.UTC(2026, 11, 7, 10, 44, 23),
        startedAt: Date.UTC(2026, 11, 7, 10, 44, 20),
        exception: 'ValueError: no warehouse',
        traceback: 'Traceback (most recent call last):\n  File "/b/apps/app/app/tasks.py", line 9, in nightly\nValueError: no warehouse\n',
      },
      { process: 'worker.1', lines: ['long: app.tasks.nightly (site1.localhost::6f1c)', 'ValueError: no warehouse'] },
    );
    assert.deepEqual(
      [e.kind, e.title, e.site, e.where, e.process, e.more, e.at],
      [
        'job',
        'job app.tasks.nightly on long',
        'site1.localhost',
        'apps/app/app/tasks.py:9 in nightly',
        'worker.1',
        'fbench jobs show site1.localhost::6f1c',
        '2026-12-07T10:44:23.000Z',
      ],
    );
  });
});
