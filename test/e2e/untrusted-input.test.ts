import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { makeBench } from '../helpers/bench-fixture.js';
import { testScope } from '../helpers/scope.js';

const { cleanups, fbench, finished } = testScope();

describe('what a client sends never runs unbounded in the session', { timeout: 60_000 }, () => {
  test('fbench logs --grep with a pattern that backtracks for minutes: the session still answers and stops at once', async () => {
    // One 75-character line of words and spaces, no colon: `(\w+\s?)+:` tries every way to split it.
    const words = Array.from({ length: 7 }, () => 'aaaaaaaaaa').join(' ');
    const b = makeBench({ Procfile: `talk: sh -c 'echo "${words}"; exec sleep 600'\n`, 'sites/.keep': '' });
    cleanups.push(b.cleanup);
    const run = fbench(['start', '--bench', b.dir, '--no-timestamps']);
    await run.waitFor(/ready in/);
    await run.waitFor(/talk\.1 +\| a{10} /);
    const logs = fbench(['logs', '--bench', b.dir, '--grep', '(\\w+\\s?)+:']);
    await new Promise((r) => setTimeout(r, 500)); // the client has its lines and is matching
    const t0 = Date.now();
    const ps = await finished(['ps', '--bench', b.dir]);
    assert.equal(ps.code, 0, ps.out);
    assert.match(ps.out, /talk\.1/);
    assert.ok(Date.now() - t0 < 5_000, `ps took ${Date.now() - t0} ms`);
    logs.signal('SIGKILL');
    run.signal('SIGINT');
    const { code } = await run.exited;
    assert.equal(code, 130, run.output.slice(-1500));

    // A pattern that matches is still matched, with -n counting matches.
    const again = fbench(['start', '--bench', b.dir, '--no-timestamps']);
    await again.waitFor(/talk\.1 +\| a{10} /);
    const found = await finished(['logs', 'talk', '--bench', b.dir, '--grep', 'a{10} a', '-n', '1']);
    assert.equal(found.code, 0, found.out);
    assert.match(found.out, /talk\.1 +\| .*a{10} a/);
    assert.equal(found.out.trim().split('\n').length, 1, found.out);
    await again.stop();
  });
});
