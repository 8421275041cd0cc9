/**
 * The most recent output of a process, kept in memory for `fbench logs` and start-up errors:
 * one buffer of fixed size written round and round, so keeping output allocates nothing.
 */
export class LogRing {
  private buf: Buffer | null = null;
  /** Where the next byte goes. */
  private end = 0;
  /** The ring has gone round: its oldest byte is at `end`, and the oldest line may be cut. */
  private wrapped = false;

  constructor(private readonly maxBytes = 128 * 1024) {}

  /** Add whole lines (kept as bytes: decoding only happens when someone asks). */
  push(lines: Buffer): void {
    const buf = (this.buf ??= Buffer.allocUnsafeSlow(this.maxBytes));
    if (lines.length >= this.maxBytes) {
      buf.set(lines.subarray(lines.length - this.maxBytes));
      this.end = 0;
      this.wrapped = true;
      return;
    }
    const first = Math.min(lines.length, this.maxBytes - this.end);
    buf.set(first === lines.length ? lines : lines.subarray(0, first), this.end);
    if (first < lines.length) buf.set(lines.subarray(first));
    this.wrapped ||= this.end + lines.length >= this.maxBytes;
    this.end = (this.end + lines.length) % this.maxBytes;
  }

  /** The last `n` lines, without their newlines. */
  last(n: number): string[] {
    if (!this.buf) return [];
    let bytes = this.wrapped ? Buffer.concat([this.buf.subarray(this.end), this.buf.subarray(0, this.end)]) : this.buf.subarray(0, this.end);
    if (this.wrapped) {
      // The oldest line may have lost its start; one huge line keeps its end.
      const nl = bytes.indexOf(10);
      if (nl !== -1 && nl < bytes.length - 1) bytes = bytes.subarray(nl + 1);
    }
    const lines = bytes.toString('utf8').split('\n');
    if (lines[lines.length - 1] === '') lines.pop();
    return n >= lines.length ? lines : lines.slice(lines.length - n);
  }
}
