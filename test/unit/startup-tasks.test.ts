import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { test } from 'node:test';
import { Printer } from '../../src/output/printer.js';
import { showStartupTasks, type StartupEvents } from '../../src/run/startup-tasks.js';

function fakeSupervisor(): StartupEvents & EventEmitter & { finish: (code: number) => void } {
  const e = new EventEmitter() as EventEmitter & { done: Promise<number>; finish: (code: number) => void };
  e.done = new Promise((r) => (e.finish = r));
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

test('a start-up failure before the task list runs its tasks still ends it, and releases the held output', async () => {
  const sup = fakeSupervisor();
  const { p, out } = printer();
  const shown = showStartupTasks(sup, p, ['a.1', 'b.1'], new Map(), 'silent');
  // Fails at once, before listr2 has started the task bodies.
  sup.emit('state', { name: 'a.1', state: 'failed', error: 'boom' });
  sup.emit('startup-failed', 'a.1', 'boom');
  p.system('held until the list is done');
  await shown;
  p.flush();
  assert.match(Buffer.concat(out).toString(), /held until the list is done/);
});

test('the task list ends when the run ends before anything was ready (Ctrl-C during start-up)', async () => {
  const sup = fakeSupervisor();
  const { p } = printer();
  const shown = showStartupTasks(sup, p, ['a.1'], new Map(), 'silent');
  sup.emit('state', { name: 'a.1', state: 'waiting' });
  sup.finish(130);
  await shown;
});

test('ready: every task done', async () => {
  const sup = fakeSupervisor();
  const { p } = printer();
  const shown = showStartupTasks(sup, p, ['a.1'], new Map([['a.1', { kind: 'redis' as const, port: 1 }]]), 'silent');
  await new Promise((r) => setTimeout(r, 10));
  sup.emit('state', { name: 'a.1', state: 'running', pid: 1 });
  sup.emit('state', { name: 'a.1', state: 'healthy' });
  sup.emit('ready', 5);
  await shown;
});
