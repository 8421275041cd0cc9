import { EventEmitter } from 'node:events';
import { colorFor, paint, SYSTEM_COLOR } from './colors.js';

export interface PrinterOptions {
  prefix: boolean;
  timestamps: boolean;
  color: boolean;
  /** Names to pad the prefix to (honcho pads to the longest). */
  names: readonly string[];
  now?: () => Date;
}

/** Where output goes: a stream, or anything with the same write/drain contract. */
export interface Sink {
  write(chunk: string, encoding: 'latin1'): boolean;
  once(event: 'drain', listener: () => void): unknown;
}

export const SYSTEM = 'system';

/**
 * Formats whole lines with honcho's `HH:MM:SS name | ` prefix and writes them in batches:
 * everything queued during one turn of the event loop goes out in a single write.
 * Emits 'congested' when the sink pushes back and 'drain' when it can take more, so the
 * relays can pause the children instead of buffering without bound.
 */
export class Printer extends EventEmitter {
  /** Output waiting for the end of this loop turn, as latin1 text (one char per byte). */
  private pending = '';
  private scheduled = false;
  private width: number;
  private colors = new Map<string, number>();
  private stampSecond = -1;
  private stamp = '';
  /** Prefix per name as latin1 text of its UTF-8 bytes, valid for the second in `stampSecond`. */
  private prefixCache = new Map<string, string>();
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
   * prefix after every newline, with no UTF-8 decoding or encoding (ten times cheaper than
   * strings, twice cheaper than copying line by line).
   */
  lines(name: string, chunk: Buffer): void {
    if (chunk.length === 0) return;
    const prefix = this.prefixBytes(name);
    if (prefix === '') return this.enqueue(chunk.toString('latin1'));
    this.enqueue(`${prefix}${chunk.toString('latin1', 0, chunk.length - 1).replaceAll('\n', `\n${prefix}`)}\n`);
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
    this.flush();
  }

  /** Write out what is queued now (also called at exit). */
  flush(): void {
    this.scheduled = false;
    if (this.pending.length === 0 || this.held) return;
    const out = this.pending;
    this.pending = '';
    // Written as a string: the bytes are made by the write itself and freed with it rather than
    // left as Buffers for the garbage collector.
    const ok = this.sink.write(out, 'latin1');
    if (!ok && !this.congested) {
      this.congested = true;
      this.emit('congested');
      this.sink.once('drain', () => {
        this.congested = false;
        this.emit('drain');
      });
    }
  }

  private prefixBytes(name: string): string {
    if (!this.opts.prefix) return '';
    if (this.opts.timestamps) this.timestamp(); // a new second empties the cache
    let p = this.prefixCache.get(name);
    if (p === undefined) this.prefixCache.set(name, (p = Buffer.from(this.prefix(name)).toString('latin1')));
    return p;
  }

  private enqueue(s: string): void {
    this.pending += s;
    if (this.pending.length >= 1 << 20 && !this.held) this.flush();
    else if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
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
