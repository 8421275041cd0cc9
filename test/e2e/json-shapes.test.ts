import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { tempSampleBench } from '../helpers/sample-bench.js';
import { testScope } from '../helpers/scope.js';

const { cleanups, fbench, finished } = testScope();

/** A JSON shape: a type name, an array of one shape, or an object of shapes (`?` after a key: may be absent). */
type Shape = 'string' | 'number' | 'boolean' | 'null' | 'array' | 'any' | `${string}|${string}` | Shape[] | { [key: string]: Shape };

/** Where `value` leaves `shape`, as a path; null when it fits. */
function misfit(value: unknown, shape: Shape, at = '$'): string | null {
  if (typeof shape === 'string') {
    if (shape === 'any') return null;
    const types = shape.split('|');
    const type = value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value;
    return types.includes(type) ? null : `${at}: ${type}, not ${shape}`;
  }
  if (Array.isArray(shape)) {
    if (!Array.isArray(value)) return `${at}: not an array`;
    for (const [i, v] of value.entries()) {
      const m = misfit(v, shape[0]!, `${at}[${i}]`);
      if (m) return m;
    }
    return null;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return `${at}: not an object`;
  for (const [k, s] of Object.entries(shape)) {
    const key = k.replace(/\?$/, '');
    if (!(key in value)) {
      if (k.endsWith('?')) continue;
      return `${at}.${key}: missing`;
    }
    const m = misfit((value as Record<string, unknown>)[key], s, `${at}.${key}`);
    if (m) return m;
  }
  return null;
}

const PROCESS: Shape = {
  name: 'string',
  type: 'string',
  role: 'string',
  state: 'string',
  ready: 'boolean',
  readiness: 'string',
  pid: 'number|null',
  uptimeMs: 'number|null',
  restarts: 'number',
  port: 'number|null',
  cpuPercent: 'number|null',
  rssBytes: 'number|null',
  session: 'string',
  sessionPid: 'number',
};

describe('--json: the documented shapes, the same exit codes, valid JSON when nothing runs', { timeout: 90_000 }, () => {
  test('plan, doctor, ports, ls, ps and logs, with no session and with one', async () => {
    const b = await tempSampleBench();
    cleanups.push(b.cleanup);
    const json = async (...args: string[]): Promise<{ code: number | null; value: unknown; out: string }> => {
      const r = await finished([...args, '--json', '--bench', b.dir].filter((a) => !(args[0] === 'ls' && (a === '--bench' || a === b.dir))));
      return { code: r.code, value: JSON.parse(r.out) as unknown, out: r.out };
    };
    const plan = await json('plan');
    assert.equal(plan.code, 0);
    assert.equal(
      misfit(plan.value, {
        bench: 'string',
        procfile: 'string',
        processes: [
          {
            name: 'string',
            type: 'string',
            role: 'string',
            command: 'string',
            cwd: 'string',
            port: 'number|null',
            queues: 'array|null',
            dependsOn: ['string'],
            stopGraceSeconds: 'number',
          },
        ],
        externals: 'array',
        warnings: 'array',
      }),
      null,
    );
    const doctor = await json('doctor');
    assert.equal(
      misfit(doctor.value, { bench: 'string', verdict: { ok: 'boolean' }, checks: [{ group: 'string', status: 'string', finding: 'string' }] }),
      null,
      doctor.out.slice(0, 500),
    );
    const ports = await json('ports');
    assert.equal(ports.code, 0);
    assert.equal(
      misfit(ports.value, { bench: 'string', ports: [{ key: 'string', port: 'number', where: ['string'], state: 'string' }], conflicts: 'array' }),
      null,
    );
    assert.deepEqual((await json('ps')).value, []);
    assert.equal((await json('ps')).code, 0);

    const run = fbench(['start', '--bench', b.dir]);
    await run.waitFor(/ready in/, 30_000);
    const ps = await json('ps');
    assert.equal(misfit(ps.value, [PROCESS]), null);
    assert.equal((ps.value as unknown[]).length, 8);
    const ls = await json('ls');
    assert.equal(misfit(ls.value, [{ kind: 'string', pid: 'number', bench: 'string', ports: 'array', processes: 'number', notReady: 'number' }]), null, ls.out);
    const logs = await finished(['logs', '--json', '-n', '2', '--bench', b.dir, 'worker']);
    for (const line of logs.out.trim().split('\n')) assert.equal(misfit(JSON.parse(line), { time: 'string', name: 'string', text: 'string' }), null, line);
    await run.stop();
  });

  test('--json outside a bench: a JSON error on stdout (the one line on stderr too), exit 1', async () => {
    for (const cmd of ['ps', 'plan', 'errors']) {
      const r = fbench([cmd, '--json'], { cwd: '/' });
      let out = '';
      r.child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
      const { code } = await r.exited;
      assert.equal(code, 1, r.output);
      assert.equal(misfit(JSON.parse(out), { error: 'string', hint: 'string' }), null, out);
    }
  });
});
