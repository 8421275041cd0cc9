import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { loadBench } from '../../src/frappe/bench-model.js';
import { buildPlan } from '../../src/plan/build.js';
import type { Plan } from '../../src/plan/types.js';
import { renderedBench, type Generation } from '../helpers/bench-renders.js';

const cleanups: (() => void)[] = [];
after(() => cleanups.forEach((c) => c()));

function plan(gen: Generation): Plan {
  const b = renderedBench(gen);
  cleanups.push(b.cleanup);
  return buildPlan(loadBench(b.dir, { env: {} }), { exists: () => true, inheritedPath: '/usr/bin' });
}
const names = (p: Plan): string[] => p.processes.map((x) => x.name);
const get = (p: Plan, n: string) => p.processes.find((x) => x.name === n)!;

describe('benches as bench renders them, by generation', { timeout: 10_000 }, () => {
  test('current: two Redis, one worker for every queue, one per custom queue; socketio on the queue Redis', () => {
    const p = plan('current');
    assert.deepEqual(names(p), ['redis_cache.1', 'redis_queue.1', 'web.1', 'socketio.1', 'watch.1', 'schedule.1', 'worker.1', 'worker_email.1']);
    assert.deepEqual(get(p, 'worker.1').queues, ['short', 'default', 'long', 'email']);
    assert.deepEqual(get(p, 'worker_email.1').queues, ['email']);
    assert.deepEqual(get(p, 'socketio.1').dependsOn, ['redis_queue.1']);
    assert.deepEqual(get(p, 'web.1').dependsOn, ['redis_cache.1', 'redis_queue.1']);
    assert.equal(get(p, 'web.1').port, 8000);
    assert.equal(get(p, 'redis_queue.1').redis?.aclfile, `${p.bench}/config/redis_queue.acl`);
    // bench's worker line runs as the program itself, its files written by fbench
    assert.deepEqual(get(p, 'worker.1').exec, {
      command: 'exec bench worker',
      stdout: { file: 'logs/worker.log', append: true },
      stderr: { file: 'logs/worker.error.log', append: true },
    });
    assert.equal(p.warnings.length, 0, JSON.stringify(p.warnings));
  });

  test('current-macos: the fork-safety prefix stays in front of the exec', () => {
    const p = plan('current-macos');
    assert.equal(get(p, 'worker_email.1').exec.command, 'OBJC_DISABLE_INITIALIZE_FORK_SAFETY=YES NO_PROXY=* exec bench worker --queue email');
    assert.equal(get(p, 'worker.1').role, 'worker');
  });

  test('current-ci: no watch', () => {
    assert.ok(!names(plan('current-ci')).includes('watch.1'));
  });

  test('current-skip-redis: Redis is external, checked before its dependents', () => {
    const p = plan('current-skip-redis');
    assert.ok(!p.processes.some((x) => x.role === 'redis'));
    assert.deepEqual(p.externals.map((x) => x.url).sort(), ['redis://127.0.0.1:11000', 'redis://127.0.0.1:13000']);
    assert.deepEqual(get(p, 'worker.1').dependsOn, ['redis_queue (external)', 'redis_cache (external)']);
  });

  test('v14-era: a redis_socketio of its own, which socketio waits for', () => {
    const p = plan('v14-era');
    assert.deepEqual(
      p.processes.filter((x) => x.role === 'redis').map((x) => x.name),
      ['redis_cache.1', 'redis_socketio.1', 'redis_queue.1'],
    );
    assert.deepEqual(get(p, 'socketio.1').dependsOn, ['redis_socketio.1']);
  });

  test('v13-era: one worker per standard queue', () => {
    const p = plan('v13-era');
    assert.deepEqual(get(p, 'worker_short.1').queues, ['short']);
    assert.deepEqual(get(p, 'worker_long.1').queues, ['long']);
    assert.deepEqual(get(p, 'worker_default.1').queues, ['default']);
    assert.deepEqual(get(p, 'socketio.1').dependsOn, ['redis_socketio.1']);
  });
});
