import assert from 'node:assert/strict';
import { chmodSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { makeBench } from '../helpers/bench-fixture.js';
import { testScope } from '../helpers/scope.js';

const { cleanups, fbench, finished } = testScope();

function bench(files: Record<string, string>): string {
  const b = makeBench(files);
  cleanups.push(b.cleanup);
  return b.dir;
}

describe('start-up ends, with the reason, when it cannot succeed', { timeout: 60_000 }, () => {
  test('bench not installed: found before anything starts, one line naming the processes and the fix', async () => {
    const dir = bench({ Procfile: 'web: bench serve --port 8000\nworker: bench worker\nother: sleep 60\n' });
    const r = await finished(['start', '--bench', dir], { env: { PATH: '/usr/bin:/bin' } });
    assert.equal(r.code, 1);
    assert.match(
      r.out,
      /^fbench: bench is not found \(not in env\/bin, nor on PATH\); web\.1, worker\.1 run it → install the bench CLI \(`pipx install frappe-bench`\).* Nothing was started\.\n$/,
    );
  });

  test("a Redis line whose conf is missing: refused at once with bench's fix, not a crash loop", async () => {
    const dir = bench({ Procfile: 'redis_cache: redis-server config/redis_cache.conf\nworker: sleep 60\n' });
    const r = await finished(['start', '--bench', dir]);
    assert.equal(r.code, 1);
    assert.match(r.out, /redis_cache\.1: config\/redis_cache\.conf does not exist → write the Redis confs with `bench setup redis`\. Nothing was started\./);
    assert.doesNotMatch(r.out, /started \(pid/);
  });

  test('an external Redis whose host does not resolve: said while waiting, and the start-up ends at --ready-timeout naming why', async () => {
    const dir = bench({ Procfile: 'worker: bench worker\n', 'env/bin/bench': '#!/bin/sh\nexec sleep 60\n' });
    chmodSync(path.join(dir, 'env', 'bin', 'bench'), 0o755);
    writeFileSync(
      path.join(dir, 'sites', 'common_site_config.json'),
      JSON.stringify({ redis_cache: 'redis://redis-cache.invalid:6379', redis_queue: 'redis://redis-cache.invalid:6379' }),
    );
    const run = fbench(['start', '--bench', dir, '--no-timestamps', '--ready-timeout', '5']);
    await run.waitFor(
      /redis:\/\/redis-cache\.invalid:6379 not ready yet: \(external Redis from sites\/common_site_config\.json: redis_(cache|queue)\) is unreachable: the host redis-cache\.invalid does not resolve/,
    );
    const { code } = await run.exited;
    assert.equal(code, 1);
    assert.match(run.output, /redis:\/\/redis-cache\.invalid:6379 not ready after 5 s: .*does not resolve/);
    assert.doesNotMatch(run.output, /worker\.1 started/);
  });
});
