import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { PassThrough } from 'node:stream';
import { describe, test } from 'node:test';
import { relayLines } from '../../src/output/line-relay.js';
import { Printer, type Sink } from '../../src/output/printer.js';
import { diffPlans } from '../../src/plan/diff.js';
import type { Plan, PlanProcess } from '../../src/plan/types.js';
import { backoffDelay, DEFAULT_BACKOFF, nextCrashCount } from '../../src/runtime/backoff.js';
import { LogRing } from '../../src/runtime/log-ring.js';

/** A sink that keeps what it is given and can push back. */
class MemorySink extends EventEmitter implements Sink {
  chunks: Buffer[] = [];
  full = false;
  write(chunk: Uint8Array, done: () => void): boolean {
    this.chunks.push(Buffer.from(chunk));
    done();
    return !this.full;
  }
  text(): string {
    return Buffer.concat(this.chunks).toString();
  }
}

const printer = (sink: Sink, names = ['web.1', 'worker.1']): Printer => new Printer(sink, { prefix: true, timestamps: false, color: false, names });

describe('backoff', { timeout: 5000 }, () => {
  test('1 s doubling to 30 s; a run of a minute resets the count', () => {
    assert.deepEqual(
      [1, 2, 3, 4, 5, 6, 7].map((n) => backoffDelay(n, DEFAULT_BACKOFF)),
      [1000, 2000, 4000, 8000, 16000, 30000, 30000],
    );
    assert.equal(nextCrashCount(5, 59_999, DEFAULT_BACKOFF), 6);
    assert.equal(nextCrashCount(5, 60_000, DEFAULT_BACKOFF), 1);
  });
});

describe('printer', { timeout: 5000 }, () => {
  test("honcho's prefix, padded to the longest name, on every line of a chunk; one write per turn", async () => {
    const sink = new MemorySink();
    const p = printer(sink);
    p.lines('web.1', Buffer.from('a\nb\n'));
    p.system('ready');
    await new Promise((r) => setImmediate(r));
    assert.equal(sink.text(), 'web.1    | a\nweb.1    | b\nsystem   | ready\n');
    assert.equal(sink.chunks.length, 1);
  });

  test('a sink that pushes back makes the printer congested until it drains', () => {
    const sink = new MemorySink();
    sink.full = true;
    const p = printer(sink);
    let drained = false;
    p.on('drain', () => (drained = true));
    p.lines('web.1', Buffer.from('x\n'));
    p.flush();
    assert.equal(p.congested, true);
    sink.emit('drain');
    assert.equal(p.congested, false);
    assert.ok(drained);
  });
});

describe('line relay', { timeout: 5000 }, () => {
  test('lines cut across reads arrive whole; a partial line waits for its writer to be quiet', async () => {
    const sink = new MemorySink();
    const p = printer(sink);
    const stream = new PassThrough();
    const kept: string[] = [];
    const done = relayLines('web.1', stream, p, { idleMs: 30, onText: (t) => kept.push(t.toString()) });
    stream.write('hel');
    stream.write('lo\nwor');
    await new Promise((r) => setTimeout(r, 10));
    stream.write('ld\n(Pdb) ');
    await new Promise((r) => setTimeout(r, 80));
    p.flush();
    assert.equal(sink.text(), 'web.1    | hello\nweb.1    | world\nweb.1    | (Pdb) \n');
    stream.end();
    await done;
    assert.deepEqual(kept, ['hello\n', 'world\n', '(Pdb) \n']);
  });

  test('while the writer is busy, a partial line is held', async () => {
    const sink = new MemorySink();
    const p = printer(sink);
    const stream = new PassThrough();
    let busy = true;
    const done = relayLines('web.1', stream, p, { idleMs: 20, writerBusy: () => busy });
    stream.write('half a li');
    await new Promise((r) => setTimeout(r, 100));
    p.flush();
    assert.equal(sink.text(), '');
    busy = false;
    stream.write('ne\n');
    stream.end();
    await done;
    p.flush();
    assert.equal(sink.text(), 'web.1    | half a line\n');
  });
});

describe('log ring', { timeout: 5000 }, () => {
  test('bounded in bytes; one run larger than the ring keeps its last lines', () => {
    const ring = new LogRing(100);
    for (let i = 0; i < 50; i++) ring.push(Buffer.from(`line ${i}\n`));
    assert.deepEqual(ring.last(2), ['line 48', 'line 49']);
    assert.ok(ring.last(1000).length < 20);
    ring.push(Buffer.from(`${'x'.repeat(500)}\nlast\n`));
    assert.deepEqual(ring.last(5), ['last']);
  });
});

describe('plan diff', { timeout: 5000 }, () => {
  const proc = (name: string, extra: Partial<PlanProcess> = {}): PlanProcess => ({
    name,
    type: name.split('.')[0]!,
    role: 'other',
    command: 'x',
    cwd: '/b',
    port: null,
    queues: null,
    dependsOn: [],
    logFiles: [],
    env: {},
    health: null,
    critical: true,
    redis: null,
    ...extra,
  });
  const plan = (...processes: PlanProcess[]): Plan => ({ bench: '/b', procfile: '/b/Procfile', processes, externals: [], warnings: [] });

  test('added, removed, and changed with the reason', () => {
    const d = diffPlans(
      plan(proc('a.1'), proc('b.1'), proc('c.1'), proc('d.1')),
      plan(proc('a.1'), proc('b.1', { command: 'y' }), proc('c.1', { env: { X: '1' } }), proc('e.1')),
    );
    assert.deepEqual(
      d.added.map((p) => p.name),
      ['e.1'],
    );
    assert.deepEqual(d.removed, ['d.1']);
    assert.deepEqual(
      d.changed.map((c) => `${c.process.name}: ${c.why}`),
      ['b.1: command changed', 'c.1: environment changed'],
    );
  });
});
