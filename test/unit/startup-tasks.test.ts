import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Printer } from '../../src/output/printer.js';
import type { Plan } from '../../src/plan/types.js';
import { StartupTasks, taskRows } from '../../src/session/startup-tasks.js';
import { settle } from '../helpers/fakes.js';
import { gate, setup } from '../helpers/fake-supervisor.js';

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
  const g = gate();
  const { sup, clock } = setup([
    { name: 'a.1', gating: true, probe: g.probe },
    { name: 'b.1', dependsOn: ['a.1'] },
  ]);
  const { p, out } = printer();
  const tasks = new StartupTasks(sup, p, plan('a.1', 'b.1'), { screenRows: 24, renderer: 'silent', clock });
  tasks.start();
  sup.start();
  await settle();
  p.system('held until the list is done');
  g.fail('boom');
  await tasks.done;
  p.flush();
  assert.match(Buffer.concat(out).toString(), /held until the list is done/);
  assert.match(tasks.titles()[0]!, /boom/);
  await clock.advance(60_000);
});

test('the list ends when the run ends before anything was ready (Ctrl-C during start-up)', async () => {
  const g = gate();
  const { sup, clock } = setup([
    { name: 'r.1', gating: true, probe: g.probe },
    { name: 'a.1', dependsOn: ['r.1'] },
  ]);
  const tasks = new StartupTasks(sup, printer().p, plan('a.1'), { screenRows: 24, renderer: 'silent', clock });
  tasks.start();
  sup.start();
  await settle();
  void sup.shutdown(130);
  await clock.advance(60_000);
  await tasks.done;
  assert.deepEqual(tasks.titles(), ['a.1: not started (stopped before it was ready)'], 'it was only waiting');
});

test('ready: every row done', async () => {
  const g = gate();
  const { sup, clock } = setup([{ name: 'a.1', gating: true, probe: g.probe }]);
  const tasks = new StartupTasks(sup, printer().p, plan('a.1'), { screenRows: 24, renderer: 'silent', clock });
  tasks.start();
  sup.start();
  await clock.advance(5);
  g.pass();
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
  const g = gate();
  const { sup, clock, proc } = setup([{ name: 'a.1', probe: g.probe }, { name: 'b.1' }]);
  const tasks = new StartupTasks(sup, printer().p, plan('a.1', 'b.1'), { screenRows: 24, renderer: 'silent', clock });
  tasks.start();
  sup.start();
  await settle();
  proc('a.1').exitWith(1);
  await clock.advance(100);
  await tasks.done;
  assert.match(tasks.titles()[0]!, /^a\.1: exited during start-up \(exit code 1\); starting it again$/);
  assert.match(tasks.titles()[1]!, /^b\.1: running after \d+ ms$/);
  void sup.shutdown(0);
  await clock.advance(60_000);
});
