import assert from 'node:assert/strict';
import { chmodSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { WATCH_NICE } from '../../src/frappe/start-policy.js';
import { makeBench, redisConfs } from '../helpers/bench-fixture.js';
import { freePorts } from '../helpers/ports.js';
import { testScope } from '../helpers/scope.js';

const { cleanups, fbench } = testScope();

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
