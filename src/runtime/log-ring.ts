import { realClock, type Clock } from '../util/clock.js';

/** One line as it was kept: when it came, its place in the order of every ring's lines, its text. */
export interface KeptLine {
  time: number;
  seq: number;
  text: string;
}

/** Arrival order across every ring of the session: lines that came in the same millisecond merge in the order they came. */
let nextSeq = 0;

/** Where a pushed run of lines starts in the ring's byte stream, and when it came. */
interface Mark {
  start: number;
  time: number;
  seq: number;
}

/**
 * The most recent output of a process (or of fbench itself), kept in memory for `fbench
 * logs`, `fbench ui` and start-up errors: one buffer of fixed size written round and round,
 * and beside it when each run of lines came, so lines of several rings merge in time order.
 */
export class LogRing {
  private buf: Buffer | null = null;
  /** Bytes ever pushed: the ring holds the last maxBytes of them. */
  private total = 0;
  private marks: Mark[] = [];
  private head = 0;

  constructor(
    private readonly maxBytes = 128 * 1024,
    private readonly clock: Clock = realClock,
  ) {}

  /** Add whole lines (kept as bytes: decoding only happens when someone asks). */
  push(lines: Buffer): void {
    if (lines.length === 0) return;
    const buf = (this.buf ??= Buffer.allocUnsafeSlow(this.maxBytes));
    let data = lines;
    let start = this.total;
    if (data.length > this.maxBytes) {
      // Keep its end, from a line's start.
      const from = data.indexOf(10, data.length - this.maxBytes);
      const cutAt = from === -1 || from === data.length - 1 ? data.length - this.maxBytes : from + 1;
      start += cutAt;
      data = data.subarray(cutAt);
      this.total = start;
    }
    const at = this.total % this.maxBytes;
    const first = Math.min(data.length, this.maxBytes - at);
    buf.set(first === data.length ? data : data.subarray(0, first), at);
    if (first < data.length) buf.set(data.subarray(first), 0);
    this.total += data.length;
    this.marks.push({ start, time: this.clock.now(), seq: nextSeq++ });
    // Runs whose start was written over are gone.
    while (this.head < this.marks.length && this.marks[this.head]!.start < this.total - this.maxBytes) this.head++;
    if (this.head > 1024 && this.head * 2 > this.marks.length) {
      this.marks = this.marks.slice(this.head);
      this.head = 0;
    }
  }

  /** The last `n` lines (all when n is Infinity), oldest first, with when each came. */
  entries(n: number, since = -Infinity): KeptLine[] {
    const out: KeptLine[] = [];
    for (let i = this.marks.length - 1; i >= this.head && out.length < n; i--) {
      const m = this.marks[i]!;
      if (m.time < since) break;
      const end = i + 1 < this.marks.length ? this.marks[i + 1]!.start : this.total;
      const lines = this.read(m.start, end).toString('utf8').split('\n');
      if (lines[lines.length - 1] === '') lines.pop();
      for (let j = lines.length - 1; j >= 0 && out.length < n; j--) out.push({ time: m.time, seq: m.seq, text: lines[j]! });
    }
    return out.reverse();
  }

  /** The last `n` lines' text. */
  last(n: number): string[] {
    return this.entries(n).map((l) => l.text);
  }

  private read(from: number, to: number): Buffer {
    const buf = this.buf!;
    const a = from % this.maxBytes;
    const len = to - from;
    if (a + len <= this.maxBytes) return buf.subarray(a, a + len);
    return Buffer.concat([buf.subarray(a), buf.subarray(0, len - (this.maxBytes - a))]);
  }
}

/** Lines of several rings, merged in the order they came. */
export function mergeKept(lists: readonly { name: string; lines: readonly KeptLine[] }[]): (KeptLine & { name: string })[] {
  return lists.flatMap((l) => l.lines.map((x) => ({ ...x, name: l.name }))).sort((a, b) => a.seq - b.seq);
}
