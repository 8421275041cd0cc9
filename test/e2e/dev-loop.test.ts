import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { WATCH_NICE } from '../../src/frappe/start-policy.js';
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
    assert.equal(nice.own, WATCH_NICE);
    if (nice.group !== null) assert.equal(nice.group, WATCH_NICE, 'its session is its own autogroup: that is niced too');
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
      /watching apps\/ for \.py changes \(\d+ folders?; restarting worker, schedule; polled every 2 s: apps is on fuse(\.bindfs)?, where edits made outside this machine raise no event \(--no-poll to watch instead\)\)/,
    );
    const mark = run.output.length;
    writeFileSync(path.join(src, 'app', 'app', 'hooks.py'), '# saved on the other side\n');
    await run.waitFor(/apps\/app\/app\/hooks\.py changed: restarting schedule\.1/, 10_000, mark);
    const doctor = await finished(['doctor', '--bench', b.dir]);
    assert.match(doctor.out, /apps\/ is on fuse(\.bindfs)?: edits made outside this machine .* fbench start polls it/);
    await run.stop();
  });
});
