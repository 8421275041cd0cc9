import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, test } from 'node:test';
import { relayLines } from '../../src/output/line-relay.js';
import { loadPrefixLines, prefixLines } from '../../src/output/prefix-lines.js';
import { Printer, sinkFor, type Sink } from '../../src/output/printer.js';
import { diffPlans } from '../../src/plan/diff.js';
import type { Plan, PlanProcess } from '../../src/plan/types.js';
import { backoffDelay, DEFAULT_BACKOFF, nextCrashCount } from '../../src/runtime/backoff.js';
import { LogRing } from '../../src/runtime/log-ring.js';
import { serveControl, type ControlHandlers } from '../../src/runtime/control-server.js';
import { request } from '../../src/run/control-client.js';
import { sessionFiles } from '../../src/run/session.js';

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

  test('lines longer than a slice or a whole output buffer come out whole, prefixed, in order', async () => {
    const sink = new MemorySink();
    const p = printer(sink);
    const long = 'x'.repeat(200_000);
    const mid = 'y'.repeat(6000);
    p.lines('web.1', Buffer.from(`a\n${long}\nb\n${mid}\n`));
    p.lines('worker.1', Buffer.from('c\n'));
    await new Promise((r) => setImmediate(r));
    assert.equal(sink.text(), `web.1    | a\nweb.1    | ${long}\nweb.1    | b\nweb.1    | ${mid}\nworker.1 | c\n`);
  });

  test('held output is kept in order and written on release', async () => {
    const sink = new MemorySink();
    const p = printer(sink);
    p.hold();
    for (let i = 0; i < 3000; i++) p.lines('web.1', Buffer.from(`line ${i} ${'z'.repeat(100)}\n`));
    await new Promise((r) => setImmediate(r));
    assert.equal(sink.text(), '');
    p.release();
    const lines = sink.text().split('\n').slice(0, -1);
    assert.equal(lines.length, 3000);
    assert.ok(lines.every((l, i) => l === `web.1    | line ${i} ${'z'.repeat(100)}`));
  });

  test('output to a regular file is written straight to it; anything else goes through its stream', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'fbench-sink-'));
    const fd = openSync(path.join(dir, 'out.log'), 'w');
    try {
      const file = { fd } as unknown as NodeJS.WriteStream & { fd: number };
      const sink = sinkFor(file);
      assert.notEqual(sink, file);
      const p = new Printer(sink, { prefix: true, timestamps: false, color: false, names: ['web.1'] });
      p.lines('web.1', Buffer.from('a\nb\n'));
      p.flush();
      assert.equal(readFileSync(path.join(dir, 'out.log'), 'utf8'), 'web.1  | a\nweb.1  | b\n');
      const stream = new PassThrough() as unknown as NodeJS.WriteStream & { fd: number };
      assert.equal(sinkFor(stream), stream);
    } finally {
      closeSync(fd);
      rmSync(dir, { recursive: true, force: true });
    }
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

describe('prefixing (WebAssembly)', { timeout: 5000 }, () => {
  /** What prefixing means, said with strings. */
  const reference = (prefix: Buffer, input: Buffer): Buffer => {
    const p = prefix.toString('latin1');
    const text = input.toString('latin1');
    return Buffer.from(`${p}${text.slice(0, -1).replaceAll('\n', `\n${p}`)}\n`, 'latin1');
  };
  test('compiles off the main thread, asked by the first call (null until then: the string path)', async () => {
    assert.equal(await loadPrefixLines(), true);
    assert.equal(Buffer.from(prefixLines(Buffer.from('> '), Buffer.from('a\n'))!).toString(), '> a\n');
  });
  test('the same bytes as a string replace: empty lines, long lines, bytes of any value, long prefixes', () => {
    let seed = 7;
    const random = (n: number): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
    for (let round = 0; round < 200; round++) {
      const lines: Buffer[] = [];
      for (let i = random(40) + 1; i > 0; i--) {
        const line = Buffer.alloc(random(4) === 0 ? 0 : random(300));
        for (let j = 0; j < line.length; j++) line[j] = random(255) + 1 === 10 ? 11 : random(255) + 1; // anything but a newline
        lines.push(line, Buffer.from('\n'));
      }
      const input = Buffer.concat(lines);
      const prefix = Buffer.from(`12:00:0${round % 10} ${'w'.repeat(random(3) === 0 ? 200 : 6)} | \u001b[1mé`);
      assert.deepEqual(Buffer.from(prefixLines(prefix, input)!), reference(prefix, input), `round ${round}`);
    }
  });

  test('input without a final newline ends its last line at its last byte, and nothing is read past it', () => {
    assert.equal(Buffer.from(prefixLines(Buffer.from('> '), Buffer.from('a\nbc'))!).toString(), '> a\n> bc');
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
    ring.push(Buffer.from(`${'y'.repeat(500)}\n`));
    assert.deepEqual(ring.last(5), ['y'.repeat(99)], 'one huge line keeps its end');
  });

  test('round and round: always the newest lines, whole, in order', () => {
    const ring = new LogRing(1000);
    const all: string[] = [];
    for (let i = 0; i < 2000; i++) {
      const line = `${i}:${'v'.repeat(i % 37)}`;
      all.push(line);
      ring.push(Buffer.from(`${line}\n`));
      if (i % 97 !== 0) continue;
      const kept = ring.last(10_000);
      assert.deepEqual(kept, all.slice(all.length - kept.length), `after ${i}`);
      assert.ok(kept.join('\n').length >= Math.min(all.join('\n').length, 1000 - 80), `after ${i}: too little kept`);
    }
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

describe('control client', { timeout: 10_000 }, () => {
  /** A bench folder whose session pid file names this (live) process, and whose socket is not there yet. */
  const starting = (): { bench: string; files: { pid: string; socket: string } } => {
    const bench = mkdtempSync(path.join(tmpdir(), 'fbench-control-'));
    const files = sessionFiles(bench);
    mkdirSync(path.dirname(files.pid), { recursive: true });
    writeFileSync(files.pid, `${process.pid}\n`);
    return { bench, files };
  };

  test('a session still starting (pid file, no socket yet) is waited for, then asked', async () => {
    const { bench, files } = starting();
    let server: { close: () => void } | null = null;
    const opens = setTimeout(() => {
      server = serveControl(files.socket, { ps: () => Promise.resolve([]) } as unknown as ControlHandlers);
    }, 300);
    const answers: Record<string, unknown>[] = [];
    try {
      await request(bench, { cmd: 'ps' }, (m) => answers.push(m), 5000);
      assert.deepEqual(answers, [{ ok: true, processes: [] }]);
    } finally {
      clearTimeout(opens);
      (server as { close: () => void } | null)?.close();
      rmSync(bench, { recursive: true, force: true });
    }
  });

  test('a session that never opens its socket is given up on with one clear line', async () => {
    const { bench } = starting();
    try {
      await assert.rejects(
        request(bench, { cmd: 'ps' }, () => {}),
        /cannot reach the running fbench \(pid \d+\): its control socket is missing/,
      );
    } finally {
      rmSync(bench, { recursive: true, force: true });
    }
  });
});
