import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { test } from 'node:test';
import { Printer } from '../../src/output/printer.js';
import type { Plan } from '../../src/plan/types.js';
import { StartupTasks, taskRows, type StartupEvents } from '../../src/session/startup-tasks.js';

function fakeSupervisor(): StartupEvents & EventEmitter & { finish: (code: number) => void } {
  const e = new EventEmitter() as EventEmitter & { done: Promise<number>; finish: (code: number) => void; process: () => null };
  e.done = new Promise((r) => (e.finish = r));
  e.process = () => null;
  return e as unknown as StartupEvents & EventEmitter & { finish: (code: number) => void };
}

const printer = (): { p: Printer; out: Buffer[] } => {
  const out: Buffer[] = [];
  return {
    p: new Printer(
      { write: (c, done) => (out.push(Buffer.from(c)), done(), true), once: () => undefined },
      { prefix: true, timestamps: false, color: false, names: ['a.1'] },
    ),
    out,
  };
};

const plan = (...names: string[]): Plan =>
  ({
    bench: '/b',
    procfile: '/b/Procfile',
    env: {},
    externals: [],
    warnings: [],
    processes: names.map((name) => ({ name, type: name.split('.')[0]! })),
  }) as unknown as Plan;

test('a start-up failure ends the list at once, and the output held back comes out', async () => {
  const sup = fakeSupervisor();
  const { p, out } = printer();
  const tasks = new StartupTasks(sup, p, plan('a.1', 'b.1'), { screenRows: 24, renderer: 'silent' });
  tasks.start();
  sup.emit('state', { name: 'a.1', state: 'failed', error: 'boom' });
  sup.emit('startup-failed', 'a.1', 'boom');
  p.system('held until the list is done');
  await tasks.done;
  p.flush();
  assert.match(Buffer.concat(out).toString(), /held until the list is done/);
});

test('the list ends when the run ends before anything was ready (Ctrl-C during start-up)', async () => {
  const sup = fakeSupervisor();
  const tasks = new StartupTasks(sup, printer().p, plan('a.1'), { screenRows: 24, renderer: 'silent' });
  tasks.start();
  sup.emit('state', { name: 'a.1', state: 'waiting' });
  sup.finish(130);
  await tasks.done;
  assert.deepEqual(tasks.titles(), ['a.1: not started (stopped before it was ready)'], 'it was only waiting');
});

test('ready: every row done', async () => {
  const sup = fakeSupervisor();
  const tasks = new StartupTasks(sup, printer().p, plan('a.1'), { screenRows: 24, renderer: 'silent' });
  tasks.start();
  sup.emit('state', { name: 'a.1', state: 'running', pid: 1 });
  sup.emit('state', { name: 'a.1', state: 'ready', readiness: 'PONG' });
  sup.emit('ready', { ms: 5, limitMs: 30_000, notReady: [] });
  await tasks.done;
  assert.match(tasks.titles().join('\n'), /^a\.1: ready \(PONG\) after \d+ ms$/);
});

test('a row per process, or a row per type when the processes would not fit the screen', () => {
  const many = plan('redis.1', ...Array.from({ length: 20 }, (_, i) => `worker.${i + 1}`), 'web.1');
  assert.equal(taskRows(many, 50).length, 22);
  assert.deepEqual(
    taskRows(many, 20).map((r) => r.title),
    ['redis.1', 'worker (20)', 'web.1'],
  );
});

test('a process that exits during start-up: its row ends ✖ with why and that it is started again (the held-back logs flow meanwhile)', async () => {
  const sup = fakeSupervisor();
  const tasks = new StartupTasks(sup, printer().p, plan('a.1', 'b.1'), { screenRows: 24, renderer: 'silent' });
  tasks.start();
  sup.emit('state', { name: 'a.1', state: 'running', pid: 10 });
  sup.emit('not-ready', 'a.1', 'exited during start-up (exit code 1)');
  sup.emit('state', { name: 'b.1', state: 'ready', readiness: 'running' });
  await tasks.done;
  assert.match(tasks.titles()[0]!, /^a\.1: exited during start-up \(exit code 1\); starting it again$/);
  assert.match(tasks.titles()[1]!, /^b\.1: running after \d+ ms$/);
  sup.finish(0);
});
