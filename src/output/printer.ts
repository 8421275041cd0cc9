import { EventEmitter } from 'node:events';
import { fstatSync } from 'node:fs';
import { writeAll } from '../util/write-all.js';
import { colorFor, paint, SYSTEM_COLOR } from './colors.js';
import { loadPrefixLines, prefixLines } from './prefix-lines.js';

export interface PrinterOptions {
  prefix: boolean;
  timestamps: boolean;
  color: boolean;
  /** Names to pad the prefix to (honcho pads to the longest). */
  names: readonly string[];
  now?: () => Date;
}

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
 * `stream` as a sink. Output to a regular file (`fbench start > bench.log`) is written with
 * write(2) directly: a stream there writes synchronously too, through machinery that cost a
 * sixth of relaying.
 */
export function sinkFor(stream: NodeJS.WriteStream & { fd: number }): Sink {
  try {
    if (!fstatSync(stream.fd).isFile()) return stream;
  } catch {
    return stream;
  }
  const fd = stream.fd;
  return {
    write(chunk, done) {
      writeAll(fd, chunk); // a full disk: the output is lost, as with the stream, and fbench goes on
      done();
      return true;
    },
    once: () => undefined,
  };
}

export const SYSTEM = 'system';

/** A process's prefix as bytes, and as latin1 text of those bytes. */
interface Prefix {
  bytes: Buffer;
  text: string;
}

/** Output is gathered in reused buffers of this size: one write each, and no garbage per chunk. */
const OUT_BYTES = 128 * 1024;
/**
 * Input is prefixed this many bytes at a time: that bounds the WebAssembly memory (every
 * byte a newline, at worst) and, with strings, keeps them short-lived (strings of whole
 * 64 KiB reads survived collections and grew V8's young generation to 32 MB).
 */
const SLICE_BYTES = 4096;
/** Buffers kept for reuse; more are only in flight while the sink is slow, and then dropped. */
const POOL = 4;

/**
 * Formats whole lines with honcho's `HH:MM:SS name | ` prefix and writes them in batches:
 * everything queued during one turn of the event loop goes out in one write per 128 KiB.
 * Emits 'congested' when the sink pushes back and 'drain' when it can take more, so the
 * relays can pause the children instead of buffering without bound.
 */
export class Printer extends EventEmitter {
  /** The buffer being filled, and how much of it is. */
  private out: Buffer | null = null;
  private used = 0;
  private readonly free: Buffer[] = [];
  /** Filled buffers kept back while held. */
  private heldBack: Uint8Array[] = [];
  private scheduled = false;
  private width: number;
  private colors = new Map<string, number>();
  private stampSecond = -1;
  private stamp = '';
  /** Prefix per name, valid for the second in `stampSecond`. */
  private prefixCache = new Map<string, Prefix>();
  congested = false;
  /** While held (a start-up task list owns the terminal), output is kept, not written. */
  private held = false;

  constructor(
    private readonly sink: Sink,
    private readonly opts: PrinterOptions,
  ) {
    super();
    this.setMaxListeners(0); // one pair of listeners per relayed stream
    this.width = Math.max(SYSTEM.length, ...opts.names.map((n) => n.length));
    opts.names.forEach((n, i) => this.colors.set(n, colorFor(i)));
    // Compiled on another thread while the processes are spawned, ready for their output.
    if (opts.prefix) void loadPrefixLines();
  }

  /** Register a name that appeared after start (a process added by a re-plan). */
  addName(name: string): void {
    if (!this.colors.has(name)) this.colors.set(name, colorFor(this.colors.size));
    if (name.length > this.width) {
      this.width = name.length;
      this.prefixCache.clear();
    }
  }

  /** The prefix for `name` at this moment. */
  private prefix(name: string): string {
    if (!this.opts.prefix) return '';
    let p = `${name.padEnd(this.width)} | `;
    if (this.opts.timestamps) p = `${this.timestamp()} ${p}`;
    if (!this.opts.color) return p;
    return paint(p.slice(0, -1), name === SYSTEM ? SYSTEM_COLOR : (this.colors.get(name) ?? SYSTEM_COLOR)) + ' ';
  }

  /**
   * Queue whole lines (each ending in "\n") from one process. The bytes go through latin1,
   * which maps each byte to one character and back unchanged: one native replace puts the
   * prefix after every newline of a slice, with no UTF-8 decoding or encoding, and the
   * result is copied into the output buffer.
   */
  lines(name: string, chunk: Buffer): void {
    if (chunk.length === 0) return;
    const prefix = this.prefixOf(name);
    if (!prefix) {
      this.put(chunk);
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
      const slice = chunk.subarray(from, to + 1);
      const done = slice.length <= SLICE_BYTES ? prefixLines(prefix.bytes, slice) : null;
      if (done) this.put(done, true);
      else this.putLines(prefix.text, chunk.toString('latin1', from, to).replaceAll('\n', `\n${prefix.text}`));
      from = to + 1;
    }
    this.schedule();
  }

  /** One line of fbench's own. */
  system(message: string): void {
    this.lines(SYSTEM, Buffer.from(`${message}\n`));
  }

  hold(): void {
    this.held = true;
  }

  release(): void {
    this.held = false;
    const kept = this.heldBack;
    this.heldBack = [];
    for (const b of kept) this.write(b, null);
    this.flush();
  }

  /** Write out what is queued now (also called at exit). */
  flush(): void {
    this.scheduled = false;
    if (this.used === 0 || !this.out) return;
    const b = this.out;
    const n = this.used;
    this.out = null;
    this.used = 0;
    if (this.held) this.heldBack.push(b.subarray(0, n));
    else this.write(b.subarray(0, n), b);
  }

  /** Hand `data` to the sink; `pooled`: the buffer it is in goes back to the pool once written. */
  private write(data: Uint8Array, pooled: Buffer | null): void {
    const ok = this.sink.write(data, () => {
      if (pooled && this.free.length < POOL) this.free.push(pooled);
    });
    if (!ok && !this.congested) {
      this.congested = true;
      this.emit('congested');
      this.sink.once('drain', () => {
        this.congested = false;
        this.emit('drain');
      });
    }
  }

  /** The buffer being filled, with room for `bytes` (or empty, for more than a buffer holds). */
  private room(bytes: number): Buffer {
    if (this.out && this.used + bytes > this.out.length) this.flush();
    return (this.out ??= this.free.pop() ?? Buffer.allocUnsafeSlow(OUT_BYTES));
  }

  /** `prefix`, `body` and a newline, as bytes (latin1 text), each written where it goes: no joined string. */
  private putLines(prefix: string, body: string): void {
    const n = prefix.length + body.length + 1;
    if (n > OUT_BYTES) {
      // One line longer than a buffer: its own write, after what came before it.
      this.flush();
      this.put(Buffer.from(`${prefix}${body}\n`, 'latin1'));
      return;
    }
    const out = this.room(n);
    this.used += out.write(prefix, this.used, 'latin1');
    this.used += out.write(body, this.used, 'latin1');
    out[this.used++] = 10;
  }

  /** Queue bytes as they are; `transient`: they will be overwritten (WebAssembly memory), so a write of their own gets a copy. */
  private put(bytes: Uint8Array, transient = false): void {
    if (bytes.length > OUT_BYTES) {
      this.flush();
      const own = transient ? Buffer.from(bytes) : bytes;
      if (this.held) this.heldBack.push(own);
      else this.write(own, null);
      return;
    }
    const out = this.room(bytes.length);
    out.set(bytes, this.used);
    this.used += bytes.length;
    this.schedule();
  }

  private schedule(): void {
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
  }

  /** The prefix for `name` as bytes, and as latin1 text of those bytes (for a string replace). */
  private prefixOf(name: string): Prefix | null {
    if (!this.opts.prefix) return null;
    if (this.opts.timestamps) this.timestamp(); // a new second empties the cache
    let p = this.prefixCache.get(name);
    if (p === undefined) {
      const bytes = Buffer.from(this.prefix(name));
      this.prefixCache.set(name, (p = { bytes, text: bytes.toString('latin1') }));
    }
    return p;
  }

  private timestamp(): string {
    const d = this.opts.now ? this.opts.now() : new Date();
    const second = Math.floor(d.getTime() / 1000);
    if (second !== this.stampSecond) {
      this.stampSecond = second;
      this.prefixCache.clear();
      const two = (n: number): string => String(n).padStart(2, '0');
      this.stamp = `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`;
    }
    return this.stamp;
  }
}
