import { timeOfDay } from '../util/units.js';
import { realClock, type Clock } from '../util/clock.js';
import { EventEmitter } from 'node:events';
import { fstatSync } from 'node:fs';
import { writeAll } from '../util/write-all.js';
import { colorFor, ERROR_COLOR, paint, SYSTEM_COLOR, WARN_COLOR } from './colors.js';

/**
 * Where output goes: a stream, or anything with the same write/drain contract. `done` is
 * called once the bytes are handed over; until then the chunk must be left as it is (it is
 * one of the printer's reused buffers).
 */
export interface Sink {
  write(chunk: Uint8Array, done: () => void): boolean;
  once(event: 'drain', listener: () => void): unknown;
}

/**
 * `stream` as a sink. A stream whose reader went away (EPIPE: `fbench start | head`, a dead
 * `tee`; EIO: a closed terminal) is written to no more, and fbench carries on without it.
 * Output to a regular file (`fbench start > bench.log`) is written with write(2) directly: a
 * stream there writes synchronously too, through machinery that cost a sixth of relaying.
 */
export function sinkFor(stream: NodeJS.WriteStream & { fd: number }): Sink {
  try {
    if (fstatSync(stream.fd).isFile()) {
      const fd = stream.fd;
      return {
        write(chunk, done) {
          writeAll(fd, chunk); // a full disk: the output is lost, and fbench goes on
          done();
          return true;
        },
        once: () => undefined,
      };
    }
  } catch {
    // not a file descriptor we can look at: the stream it is
  }
  const drained = new EventEmitter();
  let closed = false;
  stream.on('error', () => {
    closed = true;
    drained.emit('drain'); // a reader that is gone holds nothing back
  });
  stream.on('drain', () => drained.emit('drain'));
  return {
    write(chunk, done) {
      if (closed || stream.destroyed) {
        done();
        return true;
      }
      return stream.write(chunk, () => done());
    },
    once: (event, listener) => drained.once(event, listener),
  };
}

export const SYSTEM = 'system';

export interface PrinterOptions {
  prefix: boolean;
  timestamps: boolean;
  color: boolean;
  /** Names to pad the prefix to (honcho pads to the longest). */
  names: readonly string[];
  /**
   * Every line also goes here (the session's log file), plain: `HH:MM:SS name | line`, after a
   * `---- YYYY-MM-DD` line for each new day. Written as the terminal's bytes when the terminal
   * gets exactly that (no colour), so a line is formatted once.
   */
  log?: { write(lines: Uint8Array): void };
  /** Where the prefixes' time comes from (the session's clock). */
  clock?: Clock;
}

/** Where a run of lines goes: the terminal (stdout), the session's log file, or both. */
export interface Route {
  terminal: boolean;
  log: boolean;
}
export const EVERYWHERE: Route = { terminal: true, log: true };

/** Output is gathered in reused buffers of this size: one write each, and no garbage per chunk. */
const OUT_BYTES = 128 * 1024;
/**
 * Input is prefixed this many bytes at a time: the strings of a slice die young (strings of
 * whole 64 KiB reads survived collections and grew V8's young generation to 32 MB).
 */
const SLICE_BYTES = 4096;
/** Buffers kept for reuse; more are only in flight while the sink is slow, and then dropped. */
const POOL = 4;

const two = (n: number): string => String(n).padStart(2, '0');

/** Lines gathered for one destination, in reused buffers. */
class Batch {
  out: Buffer | null = null;
  used = 0;
  readonly free: Buffer[] = [];

  constructor(private readonly flushOut: (data: Buffer, pooled: Buffer) => void) {}

  /**
   * `prefix` before every line of `chunk` (whole lines), as latin1 text: each byte one
   * character, unchanged. What is written here is also put in `mirror` (the same bytes).
   */
  lines(prefix: string, chunk: Buffer, mirror?: Batch): void {
    if (prefix === '') {
      this.put(chunk);
      mirror?.put(chunk);
      return;
    }
    const last = chunk.length - 1;
    for (let from = 0; from <= last;) {
      // Up to SLICE_BYTES, ending at a newline (a longer line is taken whole).
      let to = last;
      if (last - from > SLICE_BYTES) {
        to = chunk.lastIndexOf(10, from + SLICE_BYTES);
        if (to < from) to = chunk.indexOf(10, from + SLICE_BYTES);
        if (to === -1) to = last;
      }
      const body = chunk.toString('latin1', from, to).replaceAll('\n', `\n${prefix}`);
      const n = prefix.length + body.length + 1;
      if (n > OUT_BYTES) {
        this.flush();
        const whole = Buffer.from(`${prefix}${body}\n`, 'latin1');
        this.put(whole);
        mirror?.put(whole);
      } else {
        const out = this.room(n);
        const at = this.used;
        this.used += out.write(prefix, this.used, 'latin1');
        this.used += out.write(body, this.used, 'latin1');
        out[this.used++] = 10;
        mirror?.put(out.subarray(at, this.used));
      }
      from = to + 1;
    }
  }

  put(bytes: Uint8Array): void {
    if (bytes.length > OUT_BYTES) {
      this.flush();
      const own = Buffer.from(bytes);
      this.flushOut(own, own);
      return;
    }
    const out = this.room(bytes.length);
    out.set(bytes, this.used);
    this.used += bytes.length;
  }

  flush(): void {
    if (this.used === 0 || !this.out) return;
    const b = this.out;
    const n = this.used;
    this.out = null;
    this.used = 0;
    this.flushOut(b.subarray(0, n), b);
  }

  release(b: Buffer): void {
    if (b.length === OUT_BYTES && this.free.length < POOL) this.free.push(b);
  }

  private room(bytes: number): Buffer {
    if (this.out && this.used + bytes > this.out.length) this.flush();
    return (this.out ??= this.free.pop() ?? Buffer.allocUnsafeSlow(OUT_BYTES));
  }
}

/**
 * Formats whole lines with honcho's `HH:MM:SS name | ` prefix and writes them in batches:
 * everything queued during one turn of the event loop goes out in one write per 128 KiB.
 * Emits 'congested' when the sink pushes back and 'drain' when it can take more, so the
 * relays can pause the children instead of buffering without bound; 'system' (text) with each
 * of fbench's own lines.
 */
export class Printer extends EventEmitter {
  private readonly terminal: Batch;
  private readonly log: Batch | null;
  /** Filled terminal buffers kept back while suspended. */
  private heldBack: { data: Buffer; pooled: Buffer }[] = [];
  private suspended = false;
  private scheduled = false;
  private width: number;
  private colors = new Map<string, number>();
  private stampSecond = -1;
  private stamp = '';
  private day = '';
  /** Terminal and log prefixes per name, valid for the second in `stampSecond`. */
  private prefixCache = new Map<string, string>();
  private logPrefixCache = new Map<string, string>();
  /** The terminal shows what the log holds: one formatting for both. */
  private readonly terminalIsLog: boolean;
  congested = false;

  constructor(
    private sink: Sink,
    private readonly opts: PrinterOptions,
  ) {
    super();
    this.setMaxListeners(0); // one pair of listeners per relayed stream
    this.width = Math.max(SYSTEM.length, ...opts.names.map((n) => n.length));
    opts.names.forEach((n, i) => this.colors.set(n, colorFor(i)));
    this.terminal = new Batch((data, pooled) => {
      if (this.suspended) this.heldBack.push({ data, pooled });
      else this.write(data, pooled);
    });
    this.terminalIsLog = opts.prefix && opts.timestamps && !opts.color;
    this.log = opts.log
      ? new Batch((data, pooled) => {
          opts.log!.write(data);
          this.log!.release(pooled);
        })
      : null;
  }

  /** Register a name that appeared after start (a process added by a re-plan). */
  addName(name: string): void {
    if (!this.colors.has(name)) this.colors.set(name, colorFor(this.colors.size));
    if (name.length > this.width) {
      this.width = name.length;
      this.prefixCache.clear();
      this.logPrefixCache.clear();
    }
  }

  /** Queue whole lines (each ending in "\n") from one process. */
  lines(name: string, chunk: Buffer, route: Route = EVERYWHERE): void {
    if (chunk.length === 0) return;
    const log = route.log ? this.log : null;
    if (route.terminal && log && this.terminalIsLog) this.terminal.lines(this.prefixOf(name), chunk, log);
    else {
      if (route.terminal) this.terminal.lines(this.prefixOf(name), chunk);
      if (log) log.lines(this.logPrefix(name), chunk);
    }
    this.scheduleFlush();
  }

  /**
   * One line of fbench's own; a warning or an error stands out in colour. `terminal: false`:
   * for the log and `fbench logs` only (what the task list already shows on the terminal).
   */
  system(message: string, level: 'info' | 'warn' | 'error' = 'info', { terminal = true } = {}): void {
    const text = level === 'info' ? message : `${level === 'warn' ? 'warning' : 'error'}: ${message}`;
    const plain = Buffer.from(`${text}\n`);
    const shown = this.opts.color && level !== 'info' ? Buffer.from(`${paint(text, level === 'warn' ? WARN_COLOR : ERROR_COLOR)}\n`) : plain;
    if (terminal) this.lines(SYSTEM, shown, { terminal: true, log: false });
    this.lines(SYSTEM, plain, { terminal: false, log: true });
    this.emit('system', text);
  }

  warn(message: string): void {
    this.system(message, 'warn');
  }

  error(message: string): void {
    this.system(message, 'error');
  }

  /** Keep terminal output back (a start-up task list owns the terminal) until resume(). */
  suspend(): void {
    this.suspended = true;
  }

  resume(): void {
    if (!this.suspended) return;
    this.suspended = false;
    const kept = this.heldBack;
    this.heldBack = [];
    for (const b of kept) this.write(b.data, b.pooled);
    this.flush();
  }

  /** From now on, write to this sink (`start --ui`: once the view is closed, the stop is said on the terminal). */
  showOn(sink: Sink): void {
    this.flush();
    this.sink = sink;
  }

  /** Write out what is queued now (also called at exit). */
  flush(): void {
    this.scheduled = false;
    this.terminal.flush();
    this.log?.flush();
  }

  private write(data: Buffer, pooled: Buffer): void {
    const ok = this.sink.write(data, () => this.terminal.release(pooled));
    if (!ok && !this.congested) {
      this.congested = true;
      this.emit('congested');
      this.sink.once('drain', () => {
        this.congested = false;
        this.emit('drain');
      });
    }
  }

  private scheduleFlush(): void {
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
  }

  /** The terminal prefix for `name` at this moment, as latin1 text of its UTF-8 bytes. */
  private prefixOf(name: string): string {
    if (!this.opts.prefix) return '';
    if (this.opts.timestamps) this.timestamp(); // a new second empties the cache
    let p = this.prefixCache.get(name);
    if (p === undefined) {
      let text = `${name.padEnd(this.width)} |`;
      if (this.opts.timestamps) text = `${this.stamp} ${text}`;
      if (this.opts.color) text = paint(text, name === SYSTEM ? SYSTEM_COLOR : (this.colors.get(name) ?? SYSTEM_COLOR));
      p = Buffer.from(`${text} `).toString('latin1');
      this.prefixCache.set(name, p);
    }
    return p;
  }

  /** The session log's prefix: the time and the name, plain. */
  private logPrefix(name: string): string {
    this.timestamp();
    let p = this.logPrefixCache.get(name);
    if (p === undefined) {
      p = Buffer.from(`${this.stamp} ${name.padEnd(this.width)} | `).toString('latin1');
      this.logPrefixCache.set(name, p);
    }
    return p;
  }

  /** The time of the prefixes, to the second; a new day starts with its date in the log. */
  private timestamp(): void {
    const d = new Date((this.opts.clock ?? realClock).now());
    const second = Math.floor(d.getTime() / 1000);
    if (second === this.stampSecond) return;
    this.stampSecond = second;
    this.prefixCache.clear();
    this.logPrefixCache.clear();
    this.stamp = timeOfDay(d.getTime());
    const day = `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())}`;
    if (day !== this.day) {
      this.day = day;
      this.log?.put(Buffer.from(`---- ${day}\n`));
    }
  }
}
