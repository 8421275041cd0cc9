import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { tempSampleBench } from '../helpers/sample-bench.js';
import { schemaMisfit } from '../helpers/schemas.js';
import { testScope } from '../helpers/scope.js';

const { cleanups, fbench, finished } = testScope();

describe('--json: every command validates against its schema in schemas/, the same exit codes, valid JSON when nothing runs', { timeout: 90_000 }, () => {
  test('plan, doctor, ports, ls, ps and logs, with no session and with one', async () => {
    const b = await tempSampleBench();
    cleanups.push(b.cleanup);
    const json = async (...args: string[]): Promise<{ code: number | null; value: unknown; out: string }> => {
      const r = await finished([...args, '--json', '--bench', b.dir].filter((a) => !(args[0] === 'ls' && (a === '--bench' || a === b.dir))));
      return { code: r.code, value: JSON.parse(r.out) as unknown, out: r.out };
    };
    const plan = await json('plan');
    assert.equal(plan.code, 0);
    assert.equal(schemaMisfit('plan', plan.value), null);
    const doctor = await json('doctor');
    assert.equal(schemaMisfit('doctor', doctor.value), null, doctor.out.slice(0, 500));
    const ports = await json('ports');
    assert.equal(ports.code, 0);
    assert.equal(schemaMisfit('ports', ports.value), null, ports.out.slice(0, 500));
    assert.deepEqual((await json('ps')).value, []);
    assert.equal((await json('ps')).code, 0);

    const run = fbench(['start', '--bench', b.dir]);
    await run.waitFor(/ready in/, 30_000);
    const ps = await json('ps');
    assert.equal(schemaMisfit('ps', ps.value), null, ps.out.slice(0, 500));
    assert.equal((ps.value as unknown[]).length, 8);
    // A session is one object, the same in every command: the one ls lists is the one ps rows name.
    const ls = await json('ls');
    assert.equal(schemaMisfit('ls', ls.value), null, ls.out);
    const mine = (ls.value as { session: unknown; bench: string }[]).find((x) => x.bench === b.dir)!;
    assert.deepEqual((ps.value as { session: unknown }[])[0]!.session, mine.session);
    const logs = await finished(['logs', '--json', '-n', '2', '--bench', b.dir, 'worker']);
    for (const line of logs.out.trim().split('\n')) assert.equal(schemaMisfit('logs', JSON.parse(line)), null, line);
    const errors = await json('errors');
    assert.equal(schemaMisfit('errors', errors.value), null, errors.out.slice(0, 500));
    await run.stop();
  });

  test('--json outside a bench: a JSON error on stdout (the one line on stderr too), exit 1', async () => {
    for (const cmd of ['ps', 'plan', 'errors']) {
      const r = fbench([cmd, '--json'], { cwd: '/' });
      let out = '';
      r.child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
      const { code } = await r.exited;
      assert.equal(code, 1, r.output);
      const value = JSON.parse(out) as Record<string, unknown>;
      assert.deepEqual(Object.keys(value).sort(), ['error', 'hint']);
      assert.equal(typeof value.error, 'string');
    }
  });
});
