import assert from 'node:assert/strict';
import { chmodSync, existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { makeBench } from '../helpers/bench-fixture.js';
import { freePorts } from '../helpers/ports.js';
import { enqueue, rqBench } from '../helpers/real-programs.js';
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
      /redis_(cache|queue) \(external\) +not ready yet: redis:\/\/redis-cache\.invalid:6379 \(from sites\/common_site_config\.json: redis_(cache|queue)\) is unreachable: the host redis-cache\.invalid does not resolve/,
    );
    const { code } = await run.exited;
    assert.equal(code, 1);
    assert.match(run.output, /redis_(cache|queue) \(external\) not ready after 5 s: .*does not resolve/);
    assert.doesNotMatch(run.output, /worker\.1 started/);
  });
});

describe('what holds a port is named where it can be stopped', { timeout: 60_000 }, () => {
  test('a web port held by another fbench session: that session and its bench are named, with `fbench stop --bench`', async () => {
    const [port] = await freePorts(1);
    const web = (): string => {
      const dir = bench({
        Procfile: `web: bench serve --port ${port}\n`,
        'env/bin/bench': `#!/bin/sh\nexec python3 -m http.server --bind 127.0.0.1 ${port}\n`,
      });
      chmodSync(path.join(dir, 'env', 'bin', 'bench'), 0o755);
      writeFileSync(path.join(dir, 'sites', 'common_site_config.json'), JSON.stringify({ webserver_port: port }));
      return dir;
    };
    const [first, second] = [web(), web()];
    const run = fbench(['start', '--bench', first, '--no-timestamps']);
    await run.waitFor(/web\.1 ready: listening/); // (web starts with the Redis it waits for: none runs here)
    const r = await finished(['start', '--bench', second]);
    assert.equal(r.code, 1);
    assert.match(
      r.out,
      new RegExp(
        `web\\.1: port ${port} is held by pid \\d+ \\(.*\\), of another fbench session \\(fbench start, pid ${run.child.pid}, for ${first}\\); web\\.1 could not listen there → stop that bench \\(\`fbench stop --bench ${first}\`\\)`,
      ),
    );
    await run.stop();
  });
});

describe('every client of a running bench is told what it waits for', { timeout: 120_000 }, () => {
  test('fbench restart from another terminal says what happens to the running job and streams any wait for it; Ctrl-C there stops waiting, not the work', async () => {
    const b = await rqBench();
    cleanups.push(b.cleanup);
    const run = fbench(['start', '--bench', b.dir, '--no-timestamps']);
    await run.waitFor(/worker\.1 ready: registered/);
    const job = async (): Promise<string> => {
      const out = path.join(b.dir, `job-${Date.now()}`);
      enqueue(b.dir, 'default', 'slow', [out, 5]);
      const end = Date.now() + 20_000;
      while (!existsSync(`${out}.pid`) && Date.now() < end) await new Promise((r) => setTimeout(r, 25));
      return out;
    };

    // New-first: the client hears that the job goes on in the old worker.
    const first = await job();
    const client = fbench(['restart', 'worker', '--bench', b.dir]);
    const { code } = await client.exited;
    assert.equal(code, 0, client.output);
    assert.match(
      client.output,
      /^worker\.1 is busy: its old code \(pid \d+\) goes on to finish jobs\.slow \(job \S+, running \d+ s, .*\), then leaves; a new worker\.1 starts now \(fbench start, pid \d+\)$/m,
    );
    assert.match(client.output, /restarted worker\.1: registered/);
    await run.waitFor(/worker\.1 \(old code, pid \d+\) finished its job and left/, 20_000);
    assert.ok(existsSync(first));

    // Stop-first (--wait): the client hears the wait for the job as it goes.
    const waited = await job();
    const waiting = fbench(['restart', 'worker', '--wait', '--bench', b.dir]);
    await waiting.waitFor(/^waiting for worker\.1 to finish jobs\.slow \(job \S+, running \d+ s, .*\) \(fbench start, pid \d+\)$/m, 5000);
    assert.equal((await waiting.exited).code, 0, waiting.output);
    assert.ok(existsSync(waited));

    const second = await job();
    const mark = run.output.length;
    const leaving = fbench(['restart', 'worker', '--wait', '--bench', b.dir]);
    await leaving.waitFor(/waiting for worker\.1 to finish/, 5000);
    leaving.signal('SIGINT');
    const left = await leaving.exited;
    assert.equal(left.code, 130);
    assert.match(
      leaving.output,
      /not waiting any more; the bench goes on with the restart of worker\.1 → to cut a job short \(it is lost\): `fbench restart worker\.1 --grace 0`/,
    );
    await run.waitFor(/worker\.1 ready: registered/, 20_000, mark);
    assert.ok(existsSync(second), 'the job completed although the client left');
    await run.stop();
  });
});
