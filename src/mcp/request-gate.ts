import { PassThrough, type Readable, type Writable } from 'node:stream';

/** The largest request taken: every tool's arguments fit in a few KB. */
export const REQUEST_MAX_BYTES = 1024 * 1024;

/**
 * The request's id (to address the refusal), from its first or last bytes: JSON-RPC clients write
 * it before or after the parameters (the SDK's last). The id of the request itself stands at the
 * top level, so at the very start or end; null when neither shows one. Pure.
 */
export function requestId(head: string, tail: string): number | string | null {
  const id = String.raw`"id"\s*:\s*(-?\d{1,15}|"(?:[^"\\]|\\.){0,200}")`;
  const m = new RegExp(String.raw`^\{\s*(?:"jsonrpc"\s*:\s*"2\.0"\s*,\s*)?${id}`).exec(head) ?? new RegExp(String.raw`,\s*${id}\s*\}\s*$`).exec(tail);
  if (!m) return null;
  return m[1]!.startsWith('"') ? (JSON.parse(m[1]!) as string) : Number(m[1]);
}

/** How much of a refused request's start and end is kept to find its id. */
const EDGE_BYTES = 512;

/**
 * Between stdin and the SDK's stdio transport: requests (one JSON line each) pass through whole;
 * one longer than `max` bytes is dropped as it streams in (never held in memory) and answered
 * with a JSON-RPC error on `out`. The SDK's own reader would close the connection instead, and
 * every later call would fail.
 */
export class RequestGate {
  readonly requests: Readable = new PassThrough();
  private line: Buffer[] = [];
  private lineBytes = 0;
  /** The current line is over the limit: its first bytes (for its id) and its size so far. */
  private dropping: { head: string; tail: Buffer; bytes: number } | null = null;

  constructor(
    private readonly input: Readable,
    private readonly out: Writable,
    private readonly max = REQUEST_MAX_BYTES,
  ) {}

  start(): void {
    this.input.on('data', this.onData);
    this.input.once('end', () => (this.requests as PassThrough).end());
  }

  close(): void {
    this.input.off('data', this.onData);
  }

  private readonly onData = (chunk: Buffer): void => {
    let from = 0;
    while (from < chunk.length) {
      const nl = chunk.indexOf(10, from);
      const end = nl === -1 ? chunk.length : nl;
      this.take(chunk.subarray(from, end));
      if (nl === -1) break;
      this.endLine();
      from = nl + 1;
    }
  };

  private take(part: Buffer): void {
    if (this.dropping) {
      this.dropping.bytes += part.length;
      const tail = Buffer.concat([this.dropping.tail, part]);
      this.dropping.tail = tail.subarray(Math.max(0, tail.length - EDGE_BYTES));
      return;
    }
    if (this.lineBytes + part.length <= this.max) {
      this.line.push(Buffer.from(part));
      this.lineBytes += part.length;
      return;
    }
    const all = Buffer.concat([...this.line, part]);
    this.dropping = { head: all.subarray(0, EDGE_BYTES).toString('utf8'), tail: all.subarray(Math.max(0, all.length - EDGE_BYTES)), bytes: all.length };
    this.line = [];
    this.lineBytes = 0;
  }

  private endLine(): void {
    if (this.dropping) {
      const { head, tail, bytes } = this.dropping;
      this.dropping = null;
      const message = `request of ${bytes} bytes refused: fbench's MCP server takes requests of at most ${this.max} bytes`;
      this.out.write(`${JSON.stringify({ jsonrpc: '2.0', id: requestId(head, tail.toString('utf8')), error: { code: -32600, message } })}\n`);
      return;
    }
    this.line.push(Buffer.from('\n'));
    (this.requests as PassThrough).write(Buffer.concat(this.line));
    this.line = [];
    this.lineBytes = 0;
  }
}
