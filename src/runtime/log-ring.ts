/** The most recent output of a process, kept in memory for `fbench logs` and start-up errors. */
export class LogRing {
  private chunks: string[] = [];
  private size = 0;

  constructor(private readonly maxChars = 128 * 1024) {}

  /** Add text made of whole lines. */
  push(text: string): void {
    this.chunks.push(text);
    this.size += text.length;
    while (this.size > this.maxChars && this.chunks.length > 1) this.size -= this.chunks.shift()!.length;
  }

  /** The last `n` lines, without their newlines. */
  last(n: number): string[] {
    const lines = this.chunks.join('').split('\n');
    if (lines[lines.length - 1] === '') lines.pop();
    return n >= lines.length ? lines : lines.slice(lines.length - n);
  }
}
