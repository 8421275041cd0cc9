import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, test } from 'node:test';
import { finalState, LineRelay } from '../../src/output/line-relay.js';
import { colorFor, paint } from '../../src/output/colors.js';
import { LogFile } from '../../src/output/log-file.js';
import { Printer, sinkFor, type Sink } from '../../src/output/printer.js';
import { diffPlans } from '../../src/plan/diff.js';
import type { ControlRequest } from '../../src/session/control-protocol.js';
import type { Plan, PlanProcess } from '../../src/plan/types.js';
import { backoffDelay, DEFAULT_BACKOFF, nextCrashCount } from '../../src/runtime/backoff.js';
import { LogRing, mergeKept } from '../../src/runtime/log-ring.js';
import { ProcessReadings } from '../../src/runtime/process-group.js';
import type { ProcessRow, ProcessTable } from '../../src/util/process-table.js';
import { ControlServer } from '../../src/runtime/control-server.js';
import { Debounce } from '../../src/runtime/debounce.js';
import { request } from '../../src/client/control-client.js';
import { readSessionLog } from '../../src/session/session-log.js';
import { blindToOutsideEdits, mountsOf, parseMountInfo } from '../../src/runtime/mount-table.js';
import { liveWatchdog } from '../../src/runtime/watchdog.js';
import { FakeClock } from '../helpers/fakes.js';

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
    p.suspend();
    for (let i = 0; i < 3000; i++) p.lines('web.1', Buffer.from(`line ${i} ${'z'.repeat(100)}\n`));
    await new Promise((r) => setImmediate(r));
    assert.equal(sink.text(), '');
    p.resume();
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
      const pass = new PassThrough();
      const got: Buffer[] = [];
      pass.on('data', (d: Buffer) => got.push(d));
      const streamSink = sinkFor(pass as unknown as NodeJS.WriteStream & { fd: number });
      streamSink.write(Buffer.from('x\n'), () => {});
      await new Promise((r) => setImmediate(r));
      assert.equal(Buffer.concat(got).toString(), 'x\n');
      // A reader that went away: written to no more, and no error for fbench.
      pass.emit('error', Object.assign(new Error('EPIPE'), { code: 'EPIPE' }));
      let done = false;
      assert.equal(
        streamSink.write(Buffer.from('y\n'), () => (done = true)),
        true,
      );
      assert.ok(done);
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

describe('prefixing', { timeout: 5000 }, () => {
  /** What prefixing means, said with strings. */
  const reference = (prefix: string, input: Buffer): string => {
    const text = input.toString('latin1');
    return `${prefix}${text.slice(0, -1).replaceAll('\n', `\n${prefix}`)}\n`;
  };
  test('the same bytes as a string replace: empty lines, long lines, bytes of any value, long prefixes, many slices', async () => {
    let seed = 7;
    const random = (n: number): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
    for (let round = 0; round < 200; round++) {
      const lines: Buffer[] = [];
      for (let i = random(60) + 1; i > 0; i--) {
        const line = Buffer.alloc(random(4) === 0 ? 0 : random(8) === 0 ? 5000 + random(9000) : random(300));
        for (let j = 0; j < line.length; j++) line[j] = random(255) + 1 === 10 ? 11 : random(255) + 1; // anything but a newline
        lines.push(line, Buffer.from('\n'));
      }
      const input = Buffer.concat(lines);
      const name = random(3) === 0 ? 'w'.repeat(40) : 'web.1';
      const sink = new MemorySink();
      const p = new Printer(sink, { prefix: true, timestamps: false, color: false, names: [name] });
      p.lines(name, input);
      p.flush();
      const prefix = `${name.padEnd(Math.max(6, name.length))} | `;
      assert.equal(Buffer.concat(sink.chunks).toString('latin1'), reference(Buffer.from(prefix).toString('latin1'), input), `round ${round}`);
    }
  });

  test('UTF-8 names and text pass through byte for byte', () => {
    const sink = new MemorySink();
    const p = new Printer(sink, { prefix: true, timestamps: false, color: false, names: ['wörker.1'] });
    p.lines('wörker.1', Buffer.from('héllo ✓\n'));
    p.flush();
    assert.equal(sink.text(), 'wörker.1 | héllo ✓\n');
  });
});

describe('line relay (virtual time)', { timeout: 5000 }, () => {
  const relay = (opts: ConstructorParameters<typeof LineRelay>[3] = {}) => {
    const sink = new MemorySink();
    const p = printer(sink);
    const stream = new PassThrough();
    const clock = new FakeClock();
    const kept: string[] = [];
    const r = new LineRelay('web.1', stream, p, { idleMs: 80, onText: (t) => kept.push(t.toString()), clock, ...opts });
    const flushed = (): string => {
      p.flush();
      return sink.text();
    };
    return { stream, clock, kept, r, flushed };
  };

  test('lines cut across reads arrive whole; a partial line waits for its writer to be quiet', async () => {
    const { stream, clock, kept, r, flushed } = relay();
    stream.write('hel');
    stream.write('lo\nwor');
    await clock.advance(10);
    stream.write('ld\n(Pdb) ');
    await clock.advance(79);
    assert.equal(flushed(), 'web.1    | hello\nweb.1    | world\n', 'the prompt waits its 80 ms');
    await clock.advance(1);
    assert.equal(flushed(), 'web.1    | hello\nweb.1    | world\nweb.1    | (Pdb) \n');
    stream.end();
    await r.done;
    assert.deepEqual(kept, ['hello\n', 'world\n', '(Pdb) \n']);
  });

  test('while the writer is busy, a partial line is held', async () => {
    let busy = true;
    const { stream, clock, r, flushed } = relay({ writerBusy: () => busy });
    stream.write('half a li');
    await clock.advance(500);
    assert.equal(flushed(), '');
    busy = false;
    stream.write('ne\n');
    stream.end();
    await r.done;
    assert.equal(flushed(), 'web.1    | half a line\n');
  });

  test('a line redrawn with \\r is one line: its state at most once a second on the terminal, its final state kept', async () => {
    const { stream, clock, kept, r, flushed } = relay();
    for (let i = 1; i <= 30; i++) {
      stream.write(`\r${i}/30 ${'#'.repeat(i)}`);
      await clock.advance(100); // quiet after each redraw, as a progress bar is
    }
    stream.write('\r30/30 done\n');
    stream.end();
    await r.done;
    const shown = flushed().split('\n').filter(Boolean);
    assert.ok(shown.length >= 2 && shown.length <= 5, `at most one state a second over 3 s: ${shown.length}`);
    assert.ok(
      shown.every((l) => l.startsWith('web.1    | ') && !l.includes('\r')),
      'never a raw \\r over the prefix',
    );
    assert.equal(shown.at(-1), 'web.1    | 30/30 done');
    assert.deepEqual(kept, ['30/30 done\n'], 'files and fbench logs get the final state only');
  });

  test('the final state of a redrawn line', () => {
    assert.equal(finalState(Buffer.from('a\rb\rc')).toString(), 'c');
    assert.equal(finalState(Buffer.from('progress 10%\r')).toString(), 'progress 10%');
    assert.equal(finalState(Buffer.from('windows line\r')).toString(), 'windows line');
    assert.equal(finalState(Buffer.from('plain')).toString(), 'plain');
    // yarn (frappe watch) erases the line and goes to its first column before each line: that would wipe the prefix.
    assert.equal(finalState(Buffer.from('\x1b[2K\x1b[1G\x1b[32msuccess\x1b[39m Built')).toString(), '\x1b[32msuccess\x1b[39m Built');
    assert.equal(finalState(Buffer.from('a\x1b[Ab\x1b[0Jc\x1b[')).toString(), 'abc\x1b[', 'a cut sequence at the end is left as it is');
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

describe('log rings merged', { timeout: 5000 }, () => {
  test('lines of several rings come back in the order they came, each with its time', () => {
    const clock = new FakeClock();
    const a = new LogRing(1000, clock);
    const b = new LogRing(1000, clock);
    a.push(Buffer.from('a1\n'));
    b.push(Buffer.from('b1\nb2\n'));
    a.push(Buffer.from('a2\n'));
    const merged = mergeKept([
      { name: 'a', lines: a.entries(10) },
      { name: 'b', lines: b.entries(10) },
    ]).map((l) => `${l.name}:${l.text}`);
    assert.deepEqual(merged, ['a:a1', 'b:b1', 'b:b2', 'a:a2']);
    assert.deepEqual(
      b.entries(1).map((l) => l.text),
      ['b2'],
    );
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
    stop: { graceSeconds: 5, keepsData: false },
    start: { waitsForRedis: true, nice: 0 },
    shape: { env: {}, argv: ['x'], redirects: [], compound: false },
    exec: { command: 'exec x', stdout: 'fbench', stderr: 'fbench' },
    redis: null,
    ...extra,
  });
  const plan = (...processes: PlanProcess[]): Plan => ({ bench: '/b', procfile: '/b/Procfile', env: {}, processes, externals: [], warnings: [] });

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

  test("a reordered Procfile: honcho's PORT moves with a line's place, no reason to restart Frappe's programs, which never read it; another program's PORT still counts", () => {
    const at = (name: string, port: number, role: PlanProcess['role']): PlanProcess => proc(name, { role, env: { PORT: String(port) } });
    const d = diffPlans(
      plan(at('redis_queue.1', 5000, 'redis'), at('worker.1', 5100, 'worker'), at('app.1', 5200, 'other')),
      plan(at('worker.1', 5000, 'worker'), at('redis_queue.1', 5100, 'redis'), at('app.1', 5300, 'other')),
    );
    assert.deepEqual(
      d.changed.map((c) => `${c.process.name}: ${c.why}`),
      ['app.1: environment changed'],
    );
  });
});

describe('control socket', { timeout: 10_000 }, () => {
  test('one request a connection, answered by its handler; an unknown one and a failing one are one clear line; found through a pointer of any length', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'fbench-control-'));
    const deep = path.join(dir, 'a-bench-folder-with-a-long-name'.repeat(5));
    mkdirSync(deep);
    const socket = path.join(deep, 'c.sock'); // over the 107 bytes a socket's own path may have
    assert.ok(Buffer.byteLength(socket) > 107);
    const server = new ControlServer(
      { socket: path.join(dir, 'short.sock'), pointer: socket },
      {
        ps: (_req, ch) => ch.send({ ok: true, processes: [] }),
        boom: () => {
          throw Object.assign(new Error('no such process'), { hint: 'try another' });
        },
      },
    );
    server.start();
    try {
      assert.deepEqual(await request(socket, { cmd: 'ps' }), [{ ok: true, processes: [] }]);
      // What a client of another version (or any program) may send: no request of the contract.
      const foreign = (cmd: string): ControlRequest => ({ cmd }) as unknown as ControlRequest;
      assert.deepEqual(await request(socket, foreign('nope')), [{ ok: false, error: 'unknown request "nope"' }]);
      assert.deepEqual(await request(socket, foreign('boom')), [{ ok: false, error: 'no such process → try another' }]);
      server.close();
      assert.deepEqual(readdirSync(deep), [], 'the pointer goes with the socket');
      assert.ok(!existsSync(path.join(dir, 'short.sock')));
    } finally {
      server.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('no session listening is one clear line', async () => {
    await assert.rejects(request('/nonexistent/fbench.sock', { cmd: 'ps' }), /cannot reach the running session .*: its control socket is missing/);
  });
});

describe('log file', { timeout: 5000 }, () => {
  test('a write that fails is said once, naming the file and why; the lines are counted, never half-written', () => {
    const said: string[] = [];
    const dir = mkdtempSync(path.join(tmpdir(), 'fbench-log-'));
    const f = new LogFile(path.join(dir, 'full.log'), { append: true, onFailure: (m) => said.push(m) });
    assert.ok(f.open());
    // A file on a full disk: the file opened is swapped for /dev/full (open() refuses devices).
    const internals = f as unknown as { fd: number };
    closeSync(internals.fd);
    internals.fd = openSync('/dev/full', 'w');
    rmSync(dir, { recursive: true, force: true });
    f.write(Buffer.from('a\nb\n'));
    f.write(Buffer.from('c\n'));
    f.close();
    assert.deepEqual(said, [`cannot write ${path.join(dir, 'full.log')} (disk full): its lines are still shown and kept for fbench logs`]);
  });

  test('past its size, the session log is begun again and the previous one kept as .1', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'fbench-log-'));
    try {
      const file = path.join(dir, 'fbench.log');
      const f = new LogFile(file, { append: true, maxBytes: 100, onFailure: () => {} });
      f.open();
      for (let i = 0; i < 30; i++) f.write(Buffer.from(`line ${i}\n`));
      f.close();
      assert.ok(readFileSync(file, 'utf8').length <= 100);
      assert.match(readFileSync(`${file}.1`, 'utf8'), /^line \d+\n/);
      assert.match(readFileSync(file, 'utf8'), /line 29\n$/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('session log', { timeout: 5000 }, () => {
  test('it holds what a plain terminal shows, after the date of each new day, and reads back as fbench logs reads it', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'fbench-slog-'));
    try {
      const file = path.join(dir, 'fbench.log');
      const log = new LogFile(file, { append: false, onFailure: () => {} });
      log.open();
      let now = new Date(2026, 11, 31, 23, 59, 58);
      const run = (color: boolean): { p: Printer; sink: MemorySink } => {
        const sink = new MemorySink();
        return {
          sink,
          p: new Printer(sink, {
            prefix: true,
            timestamps: true,
            color,
            names: ['web.1', 'worker.1'],
            log,
            clock: { now: () => now.getTime(), setTimer: () => () => {} },
          }),
        };
      };
      const plain = run(false);
      plain.p.lines('web.1', Buffer.from('GET /\nGET /app\n'));
      plain.p.lines('worker.1', Buffer.from('quiet line\n'), { terminal: false, log: true });
      now = new Date(2027, 0, 1, 0, 0, 1);
      plain.p.lines('worker.1', Buffer.from('happy new year\n'));
      plain.p.flush();
      // A colour terminal gets its own bytes; the log the same plain lines.
      const colour = run(true);
      colour.p.lines('web.1', Buffer.from('coloured\n'));
      colour.p.flush();
      log.close();

      assert.equal(plain.sink.text(), '23:59:58 web.1    | GET /\n23:59:58 web.1    | GET /app\n00:00:01 worker.1 | happy new year\n');
      assert.equal(colour.sink.text(), `${paint('00:00:01 web.1    |', colorFor(0))} coloured\n`);
      assert.equal(
        readFileSync(file, 'utf8'),
        '---- 2026-12-31\n23:59:58 web.1    | GET /\n23:59:58 web.1    | GET /app\n23:59:58 worker.1 | quiet line\n---- 2027-01-01\n00:00:01 worker.1 | happy new year\n---- 2027-01-01\n00:00:01 web.1    | coloured\n',
      );
      const back = readSessionLog(file, { names: ['worker'], n: 10 })!;
      assert.deepEqual(
        back.map((l) => [new Date(l.time).toISOString().slice(0, 10), l.name, l.text]),
        [
          [new Date(2026, 11, 31, 12).toISOString().slice(0, 10), 'worker.1', 'quiet line'],
          [new Date(2027, 0, 1, 12).toISOString().slice(0, 10), 'worker.1', 'happy new year'],
        ],
      );
      assert.deepEqual(
        readSessionLog(file, { names: [], n: 10, since: new Date(2027, 0, 1).getTime() })!.map((l) => l.text),
        ['happy new year', 'coloured'],
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('debounce (virtual time)', { timeout: 5000 }, () => {
  test('a burst is one call, after its last push, with everything it carried', async () => {
    const clock = new FakeClock();
    const calls: string[][] = [];
    const d = new Debounce<string>(100, (items) => calls.push(items), clock);
    for (let i = 0; i < 500; i++) {
      d.push(`f${i}.py`);
      await clock.advance(10);
    }
    assert.equal(calls.length, 0);
    await clock.advance(100);
    assert.equal(calls.length, 1);
    assert.equal(calls[0]!.length, 500);
  });
});

describe('mount table', { timeout: 5000 }, () => {
  test('the mounts that hold a folder: the one it is on, and those inside it; which ones file events do not cross', () => {
    const table = parseMountInfo(
      [
        '26 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw',
        '90 26 0:50 / /home/me/bench/apps/erpnext rw,nosuid - fuse.bindfs /src rw',
        '91 26 0:51 / /home/me/other rw - 9p drvfs rw',
        '93 26 0:53 / /home/me/shared rw - fuse sshfs rw',
        '92 26 0:52 / /mnt/my\\040code rw - drvfs C: rw',
      ].join('\n'),
    );
    assert.deepEqual(table.at(-1), { point: '/mnt/my code', type: 'drvfs' });
    assert.equal(table.find((m) => m.point === '/home/me/shared')?.type, 'fuse.sshfs', 'a plain fuse named by its program');
    assert.deepEqual(
      mountsOf('/home/me/bench/apps', table).map((m) => `${m.point} ${m.type}`),
      ['/ ext4', '/home/me/bench/apps/erpnext fuse.bindfs'],
    );
    assert.deepEqual(
      mountsOf('/mnt/my code/bench/apps', table).map((m) => m.type),
      ['drvfs'],
    );
    assert.deepEqual(['ext4', 'fuse.bindfs', '9p', 'virtiofs', 'nfs4', 'cifs', 'tmpfs', 'overlay'].filter(blindToOutsideEdits), [
      'fuse.bindfs',
      '9p',
      'virtiofs',
      'nfs4',
      'cifs',
    ]);
  });
});

describe("a killed session's watchdog", { timeout: 10_000 }, () => {
  test('found by its pid file while it is that watchdog (its environment names the session, not its arguments) and its session is gone', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'fbench-wd-'));
    const file = path.join(dir, 'fbench.watchdog');
    // One process (no shell forking a child that would outlive it); its session in its environment.
    const stand = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)'], { stdio: 'ignore', env: { FBENCH_WATCHDOG: 'sess-123' } });
    // Anybody can put the session in their arguments: that is not the watchdog.
    const pretender = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)', 'sess-123', ' FBENCH_WATCHDOG=sess-123'], { stdio: 'ignore' });
    try {
      await new Promise((r) => setTimeout(r, 100));
      writeFileSync(file, `${stand.pid} sess-123 999999999\n`);
      assert.equal(liveWatchdog(file), stand.pid, 'its session (pid 999999999) is gone');
      writeFileSync(file, `${stand.pid} sess-123 ${process.pid}\n`);
      assert.equal(liveWatchdog(file), null, 'a live session: waiting, not stopping anything');
      writeFileSync(file, `${stand.pid} other-session 999999999\n`);
      assert.equal(liveWatchdog(file), null, 'not that watchdog (a pid reused)');
      writeFileSync(file, `${pretender.pid} sess-123 999999999\n`);
      assert.equal(liveWatchdog(file), null, 'the session in its arguments only');
    } finally {
      stand.kill('SIGKILL');
      pretender.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('readings of the process table (virtual time)', () => {
  test('shared while fresh (5 ms under /proc, 200 ms under ps); a reading asked for now is new; none when the table cannot be read', async () => {
    const clock = new FakeClock();
    let reads = 0;
    const row: ProcessRow = { pid: 1, ppid: 0, pgrp: 1, state: 'S', start: 0, cpuTicks: 0, rssBytes: 0 };
    const table = (source: 'proc' | 'ps'): Pick<ProcessTable, 'all' | 'source'> => ({ source, all: () => (reads++, [row]) });
    const proc = new ProcessReadings(table('proc'), clock);
    proc.all();
    proc.all();
    assert.equal(reads, 1);
    await clock.advance(6);
    proc.all();
    assert.equal(reads, 2);
    proc.all(-1);
    assert.equal(reads, 3, 'asked for now');
    const ps = new ProcessReadings(table('ps'), clock);
    ps.all();
    await clock.advance(150);
    ps.all();
    assert.equal(reads, 4, 'a ps reading serves 200 ms');
    assert.equal(new ProcessReadings({ source: 'ps', all: () => null }, clock).all(), null);
  });
});
