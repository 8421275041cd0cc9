/** The most recent output of a process, kept in memory for `fbench logs` and start-up errors: bounded in bytes. */
export class LogRing {
  private chunks: Buffer[] = [];
  private size = 0;

  constructor(private readonly maxBytes = 128 * 1024) {}

  /** Add whole lines (kept as bytes: decoding only happens when someone asks). */
  push(lines: Buffer): void {
    // One run longer than the whole ring keeps only its last lines (one huge line: its end).
    if (lines.length > this.maxBytes) {
      const tail = lines.subarray(lines.length - this.maxBytes);
      const nl = tail.indexOf(10);
      lines = nl !== -1 && nl < tail.length - 1 ? tail.subarray(nl + 1) : tail;
      this.chunks = [];
      this.size = 0;
    }
    // A copy: a slice would keep the whole read buffer it came from (64 KiB for a 4 KiB read) alive.
    this.chunks.push(Buffer.from(lines));
    this.size += lines.length;
    while (this.size > this.maxBytes && this.chunks.length > 1) this.size -= this.chunks.shift()!.length;
  }

  /** The last `n` lines, without their newlines. */
  last(n: number): string[] {
    const lines = Buffer.concat(this.chunks).toString('utf8').split('\n');
    if (lines[lines.length - 1] === '') lines.pop();
    return n >= lines.length ? lines : lines.slice(lines.length - n);
  }
}
