import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { which } from '../../src/util/which.js';
import { makeBench, redisConfs } from '../helpers/bench-fixture.js';
import { freePorts } from '../helpers/ports.js';
import { testScope } from '../helpers/scope.js';

const { cleanups, fbench, finished } = testScope();

/** The nice value of a process (field 19 of /proc/PID/stat) and its autogroup's. */
function niceOf(pid: number): { own: number; group: number | null } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const own = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
  let group: number | null = null;
  try {
    group = Number(/nice (-?\d+)/.exec(readFileSync(`/proc/${pid}/autogroup`, 'utf8'))?.[1]);
  } catch {
    // no autogroups on this kernel
  }
  return { own, group };
}

describe('what the developer waits for comes first', { timeout: 60_000 }, () => {
  test('web starts with Redis (it reaches Redis only when it serves); workers wait for PONG; the asset build runs at a lower priority', async () => {
    const [cache, queue, web] = await freePorts(3);
    const b = makeBench({
      Procfile: `redis_cache: redis-server config/redis_cache.conf\nredis_queue: redis-server config/redis_queue.conf\nweb: bench serve --port ${web}\nworker: bench worker\nwatch: bench watch\n`,
      'sites/common_site_config.json': JSON.stringify({
        redis_cache: `redis://127.0.0.1:${cache}`,
        redis_queue: `redis://127.0.0.1:${queue}`,
        webserver_port: web,
      }),
      ...redisConfs(cache!, queue!),
      'env/bin/bench': `#!/bin/sh\n[ "$1" = serve ] && exec python3 -m http.server --bind 127.0.0.1 ${web}\nexec sleep 60\n`,
    });
    cleanups.push(b.cleanup);
    chmodSync(path.join(b.dir, 'env', 'bin', 'bench'), 0o755);
    const run = fbench(['start', '--bench', b.dir, '--no-timestamps', '--ready-timeout', '3']);
    await run.waitFor(/watch\.1 started \(pid (\d+)\)/);
    await run.waitFor(/worker\.1 started/);
    const at = (s: string): number => run.output.indexOf(s);
    assert.ok(at('web.1 started') < at('redis_queue.1 ready'), run.output);
    assert.ok(at('worker.1 started') > at('redis_queue.1 ready') && at('worker.1 started') > at('redis_cache.1 ready'), run.output);
    const watch = run.startedPids().get('watch.1')!;
    const nice = niceOf(watch);
    assert.equal(nice.own, 10, 'the README promises nice 10');
    if (nice.group !== null) assert.equal(nice.group, 10, 'its session is its own autogroup: that is niced too');
    assert.equal(niceOf(run.startedPids().get('web.1')!).own, 0);
    await run.stop();
  });
});

describe('reload where file events do not come', { timeout: 60_000 }, () => {
  test('apps/ on a FUSE mount (bindfs), edited on the other side: polled, said why, and the save restarts the scheduler', async () => {
    assert.ok(which('bindfs', process.env.PATH ?? ''), 'bindfs is not installed (apt-get install bindfs; .ci/run does it)');
    const src = mkdtempSync(path.join(tmpdir(), 'fbench-src-'));
    cleanups.push(() => rmSync(src, { recursive: true, force: true }));
    mkdirSync(path.join(src, 'app', 'app'), { recursive: true });
    writeFileSync(path.join(src, 'app', 'app', 'hooks.py'), '');
    const [redis] = await freePorts(1);
    const b = makeBench({
      Procfile: `redis_cache: redis-server --port ${redis} --save "" --bind 127.0.0.1\nschedule: bench schedule\n`,
      'sites/common_site_config.json': JSON.stringify({ redis_cache: `redis://127.0.0.1:${redis}`, redis_queue: `redis://127.0.0.1:${redis}` }),
      'env/bin/bench': '#!/bin/sh\nexec sleep 60\n',
    });
    chmodSync(path.join(b.dir, 'env', 'bin', 'bench'), 0o755);
    const apps = path.join(b.dir, 'apps');
    mkdirSync(apps);
    execFileSync('bindfs', [src, apps]);
    // Unmounted (by its path) before the bench folder goes.
    cleanups.push(() => {
      execFileSync('umount', [apps], { stdio: 'ignore' });
      b.cleanup();
    });
    const run = fbench(['start', '--bench', b.dir, '--no-timestamps']);
    await run.waitFor(
      /watching apps\/ for \.py changes \(\d+ folders?; restarting schedule; polled every 2 s: apps is on fuse(\.bindfs)?, where edits made outside this machine raise no event \(--no-poll to watch instead\)\)/,
    );
    const mark = run.output.length;
    writeFileSync(path.join(src, 'app', 'app', 'hooks.py'), '# saved on the other side\n');
    await run.waitFor(/apps\/app\/app\/hooks\.py changed: restarting schedule\.1/, 10_000, mark);
    const doctor = await finished(['doctor', '--bench', b.dir]);
    assert.match(doctor.out, /apps\/ is on fuse(\.bindfs)?: edits made outside this machine .* fbench start polls it/);
    await run.stop();
  });
});

/** A DAP request on a debug adapter's port: its response (the events before it are passed over). */
function dap(port: number, command: string): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const sock = net.connect(port, '127.0.0.1');
    const body = JSON.stringify({ seq: 1, type: 'request', command, arguments: { adapterID: 'fbench-test', clientID: 'fbench-test' } });
    sock.once('connect', () => sock.write(`Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`));
    let buf = '';
    sock.on('data', (d) => {
      buf += d.toString();
      for (;;) {
        const m = /Content-Length: (\d+)\r\n\r\n/.exec(buf);
        if (!m || buf.length < m.index + m[0].length + Number(m[1])) return;
        const end = m.index + m[0].length + Number(m[1]);
        const msg = JSON.parse(buf.slice(m.index + m[0].length, end)) as Record<string, unknown>;
        buf = buf.slice(end);
        if (msg.type === 'response') {
          sock.destroy();
          return resolve(msg);
        }
      }
    });
    sock.once('error', reject);
    setTimeout(() => (sock.destroy(), reject(new Error('no DAP answer'))), 10_000);
  });
}

describe('fbench debug', { timeout: 90_000 }, () => {
  test("a Python line restarted under Debian's debugpy: a DAP initialize answers on the printed port; --write keeps launch.json's entries; --off returns it", async () => {
    const b = makeBench({
      Procfile: `app: /usr/bin/python3 -u app.py\nshell: sleep 60\n`,
      'app.py': "import time\nprint('app up', flush=True)\ntime.sleep(300)\n",
    });
    cleanups.push(b.cleanup);
    mkdirSync(path.join(b.dir, '.vscode'));
    writeFileSync(
      path.join(b.dir, '.vscode', 'launch.json'),
      JSON.stringify({ version: '0.2.0', configurations: [{ name: 'mine', type: 'node', request: 'launch' }] }),
    );
    const run = fbench(['start', '--bench', b.dir, '--no-timestamps']);
    await run.waitFor(/ready in/);
    const r = await finished(['debug', 'app', '--write', '--bench', b.dir]);
    assert.equal(r.code, 0, r.out);
    const port = Number(/app\.1 runs under debugpy, listening on 127\.0\.0\.1:(\d+)/.exec(r.out)?.[1]);
    assert.ok(port > 0, r.out);
    const answer = await dap(port, 'initialize');
    assert.equal(answer.type, 'response');
    assert.equal(answer.success, true, JSON.stringify(answer));
    const launch = JSON.parse(readFileSync(path.join(b.dir, '.vscode', 'launch.json'), 'utf8')) as {
      configurations: { name: string; connect?: { port: number } }[];
    };
    assert.deepEqual(
      launch.configurations.map((c) => c.name),
      ['mine', 'fbench: attach to app.1'],
    );
    assert.equal(launch.configurations[1]!.connect!.port, port);
    const pid = run.startedPids().get('app.1')!;
    assert.match(readFileSync(`/proc/${pid}/cmdline`, 'utf8'), /debugpy/);
    assert.match((await finished(['ps', '--bench', b.dir])).out, new RegExp(`^app\\.1 .* · debugpy :${port}$`, 'm'));

    const notPython = await finished(['debug', 'shell', '--bench', b.dir]);
    assert.equal(notPython.code, 1);
    assert.match(notPython.out, /shell\.1 is not a Python process \(sleep 60\)/);

    const off = await finished(['debug', 'app', '--off', '--bench', b.dir]);
    assert.equal(off.code, 0, off.out);
    await run.waitFor(/app\.1 started \(pid \d+\)[\s\S]*app\.1 started \(pid \d+\)[\s\S]*app\.1 started \(pid (\d+)\)/, 15_000);
    assert.doesNotMatch(readFileSync(`/proc/${run.startedPids().get('app.1')!}/cmdline`, 'utf8'), /debugpy/);
    await run.stop();
  });
});
