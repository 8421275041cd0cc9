import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { before, describe, test } from 'node:test';
import { benchId } from '../../src/frappe/queues.js';
import { FbenchRun, survivors } from '../helpers/fbench-run.js';
import { tempSampleBench } from '../helpers/sample-bench.js';
import { testScope } from '../helpers/scope.js';

const scope = testScope();
const { cleanups } = scope;

/** The sessions of this test are listed apart from every other test's (and a developer's). */
const runtime = mkdtempSync(path.join(tmpdir(), 'fbench-xdg-'));
cleanups.push(() => rmSync(runtime, { recursive: true, force: true }));
const ENV = { XDG_RUNTIME_DIR: runtime };

const fbench = (args: string[]): FbenchRun => scope.fbench(args, { env: ENV });
const output = (args: string[]): Promise<{ code: number | null; out: string }> => scope.finished(args, { env: ENV });

const read = (f: string): string => readFileSync(f, 'utf8');
const FILES = ['Procfile', 'sites/common_site_config.json', 'config/redis_cache.conf', 'config/redis_queue.conf'];
const snapshot = (dir: string): Record<string, string> => Object.fromEntries(FILES.map((f) => [f, read(path.join(dir, f))]));

interface PlanJson {
  bench: string;
  processes: { name: string; role: string; command: string; port?: number; dependsOn: string[]; queues?: string[] }[];
}

/** A plan with its bench folder (and the queue prefix made of it) and every port number taken out: what must be the same in a copy. */
function shape(plan: PlanJson, ports: number[]): string {
  let text = JSON.stringify(plan.processes)
    .replaceAll(plan.bench, '<bench>')
    .replaceAll(`${benchId({}, plan.bench)}:`, '<bench>:');
  for (const p of ports) text = text.replaceAll(String(p), '<port>');
  return text;
}

describe('several benches on one machine', { timeout: 240_000 }, () => {
  let parent: string;
  let orig: string;
  let copies: string[];
  let origRun: FbenchRun;

  before(async () => {
    // A bench as bench makes them: Redis confs with absolute paths into it, a queue URL with credentials.
    const b = await tempSampleBench((dir) => {
      for (const name of ['redis_cache', 'redis_queue']) {
        const conf = path.join(dir, 'config', `${name}.conf`);
        writeFileSync(
          conf,
          read(conf)
            .replace(/^dir .*$/m, `dir ${path.join(dir, 'config', 'pids')}`)
            .replace(/^pidfile .*$/m, `pidfile ${path.join(dir, 'config', 'pids', `${name}.pid`)}`)
            .replace(/^aclfile .*$/m, `# the users\naclfile ${path.join(dir, 'config', `${name}.acl`)}`),
        );
      }
      const csc = path.join(dir, 'sites', 'common_site_config.json');
      writeFileSync(csc, read(csc).replace(/"redis_queue": "redis:\/\/127\.0\.0\.1:/, '"redis_queue": "redis://default:s3cret@127.0.0.1:'));
    }, 2);
    cleanups.push(b.cleanup);
    parent = mkdtempSync(path.join(tmpdir(), 'fbench-benches-'));
    cleanups.push(() => rmSync(parent, { recursive: true, force: true }));
    // The benches side by side, as in ~/benches/: the original and two copies of it.
    orig = path.join(parent, 'frappe-bench');
    cpSync(b.dir, orig, { recursive: true });
    for (const name of ['redis_cache', 'redis_queue']) {
      const conf = path.join(orig, 'config', `${name}.conf`);
      writeFileSync(conf, read(conf).replaceAll(b.dir, orig));
    }
    copies = ['client-a', 'client-b'].map((n) => {
      const dir = path.join(parent, n);
      cpSync(orig, dir, { recursive: true });
      mkdirSync(path.join(dir, 'logs'), { recursive: true });
      return dir;
    });
    origRun = fbench(['start', '--bench', orig]);
    await origRun.waitFor(/ready in/, 30_000);
  });

  test("fbench ports: a copy's ports are held by the original's session, named by its folder; exit 1 and the fix", async () => {
    const r = await output(['ports', '--bench', copies[0]!]);
    assert.equal(r.code, 1, r.out);
    assert.match(r.out, /^webserver_port +\d+ +held by the fbench start of .*frappe-bench \(pid \d+\) +sites\/common_site_config\.json:\d+, Procfile:\d+$/m);
    assert.match(r.out, /^redis_queue +\d+ +held by .*frappe-bench.* config\/redis_queue\.conf:\d+$/m);
    assert.match(r.out, /fix: .*`fbench ports --reassign`/);
    const own = await output(['ports', '--json', '--bench', orig]);
    assert.equal(own.code, 0, own.out);
    const report = JSON.parse(own.out) as { ports: { key: string; state: string }[] };
    assert.ok(
      report.ports.filter((p) => p.key !== 'file_watcher_port').every((p) => p.state === 'ours'),
      own.out,
    );
  });

  test('--reassign --dry-run says what would change and writes nothing', async () => {
    const before = snapshot(copies[0]!);
    const r = await output(['ports', '--reassign', '--dry-run', '--bench', copies[0]!]);
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, /^webserver_port: \d+ → \d+$/m);
    assert.match(r.out, /^would write config\/redis_queue\.conf: .*dir .*frappe-bench\/config\/pids → .*client-a\/config\/pids/m);
    assert.deepEqual(snapshot(copies[0]!), before);
    assert.ok(FILES.every((f) => !existsSync(path.join(copies[0]!, `${f}.fbench-bak`))));
  });

  test('--reassign on both copies: new ports in every file, paths re-pointed, credentials and layout kept, a backup of each; the three plan the same; the three run at once and fbench ls lists them', async () => {
    const before = copies.map(snapshot);
    for (const dir of copies) {
      const r = await output(['ports', '--reassign', '--bench', dir]);
      assert.equal(r.code, 0, r.out);
      assert.match(r.out, /^wrote sites\/common_site_config\.json \(was kept as common_site_config\.json\.fbench-bak\)/m);
    }
    const portsOf = async (dir: string): Promise<number[]> =>
      (JSON.parse((await output(['ports', '--json', '--bench', dir])).out) as { ports: { port: number }[] }).ports.map((p) => p.port);
    const all = await Promise.all([orig, ...copies].map(portsOf));
    const flat = all.flat();
    assert.equal(new Set(all.map((p) => p.join())).size, 3, 'three sets of ports');
    for (let i = 0; i < all.length; i++)
      for (let j = i + 1; j < all.length; j++)
        assert.deepEqual(
          all[i]!.filter((p) => all[j]!.includes(p)),
          [],
          'no port shared',
        );

    copies.forEach((dir, i) => {
      const now = snapshot(dir);
      for (const f of FILES) {
        assert.equal(read(path.join(dir, `${f}.fbench-bak`)), before[i]![f], `${f}.fbench-bak is the file as it was`);
        assert.equal(now[f]!.split('\n').length, before[i]![f]!.split('\n').length, `${f}: the layout kept`);
      }
      const conf = now['config/redis_queue.conf']!;
      assert.match(conf, new RegExp(`^dir ${path.join(dir, 'config', 'pids')}$`, 'm'));
      assert.match(conf, new RegExp(`^pidfile ${path.join(dir, 'config', 'pids', 'redis_queue.pid')}$`, 'm'));
      assert.match(conf, new RegExp(`^aclfile ${path.join(dir, 'config', 'redis_queue.acl')}$`, 'm'));
      assert.match(conf, /^# the users$/m);
      assert.doesNotMatch(conf, /frappe-bench/);
      const csc = JSON.parse(now['sites/common_site_config.json']!) as Record<string, unknown>;
      assert.match(String(csc.redis_queue), /^redis:\/\/default:s3cret@127\.0\.0\.1:\d+$/);
      assert.equal(csc.default_site, 'sample.localhost');
      assert.match(now.Procfile!, new RegExp(`^web: bench serve --port ${String(csc.webserver_port)}$`, 'm'));
    });

    const plans = await Promise.all([orig, ...copies].map(async (dir) => JSON.parse((await output(['plan', '--json', '--bench', dir])).out) as PlanJson));
    const shapes = plans.map((p) => shape(p, flat));
    assert.equal(shapes[1], shapes[0], 'the copy plans what the original plans');
    assert.equal(shapes[2], shapes[0]);

    const started = copies.map((dir) => fbench(['start', '--bench', dir]));
    await Promise.all(started.map((r) => r.waitFor(/ready in \d+ ms/, 30_000)));
    for (const r of [origRun, ...started]) assert.doesNotMatch(r.output, /not ready|✖|error:/);

    const ls = JSON.parse((await output(['ls', '--json'])).out) as { bench: string; pid: number; processes: number; notReady: number }[];
    assert.deepEqual(ls.map((s) => s.bench).sort(), [orig, ...copies].sort());
    assert.ok(
      ls.every((s) => s.processes === 8 && s.notReady === 0),
      JSON.stringify(ls),
    );
    const table = await output(['ls']);
    assert.match(table.out, /^BENCH +PID +SESSION +UPTIME +PROCESSES +NOT READY +PORTS/m);
    assert.match(table.out, /client-b +\d+ +fbench start +\d+s +8 +0 +/);

    // While a copy runs, moving its ports is refused.
    const refused = await output(['ports', '--reassign', '--bench', copies[0]!]);
    assert.equal(refused.code, 1);
    assert.match(refused.out, /^fbench: fbench start is running for this bench \(pid \d+\): its processes hold the ports to move → stop it first/);

    // A session killed with SIGKILL is not listed (its entry is dropped).
    started[1]!.signal('SIGKILL');
    await started[1]!.exited;
    const after = JSON.parse((await output(['ls', '--json'])).out) as { bench: string }[];
    assert.deepEqual(after.map((s) => s.bench).sort(), [orig, copies[0]!].sort());
    assert.deepEqual(await survivors([started[1]!.child.pid!], 1000), []);
    await started[0]!.stop();
    await origRun.stop();
    assert.match((await output(['ls'])).out, /^no fbench session is running for this user$/m);
  });
});
