import { readlinkSync, symlinkSync } from 'node:fs';
import net from 'node:net';
import { removeFile } from '../util/remove-file.js';

/** A request is one short JSON line: anything longer is refused, and a silent client is dropped. */
export const MAX_REQUEST_BYTES = 64 * 1024;
const IDLE_MS = 5000;
/** A follower that stops reading gets nothing more once this much waits for it: messages are skipped and counted. */
const FOLLOW_BACKLOG_BYTES = 256 * 1024;

/** What a follower that did not keep up is sent: this many messages were not. */
export interface Skipped {
  skipped: number;
}

/** One client's connection, as a handler sees it: JSON lines out, JSON lines in. */
export interface Channel<M extends object = object> {
  send(message: M): void;
  /** A sender for a stream of messages that skips them while the client does not read, then sends `{skipped: N}`. */
  follower(): (message: M) => void;
  /** Messages the client sends after its request (what is typed to an attached process). */
  onMessage(fn: (m: Record<string, unknown>) => void): void;
  onClose(fn: () => void): void;
  end(): void;
}

/**
 * Answers one request. Resolves when done (the connection is then closed), or with 'keep' to
 * keep it open (a follow, an attach) until the client leaves or the handler ends it. A throw
 * is answered `{ok: false, error}`.
 */
export type ControlHandler = (request: Record<string, unknown>, channel: Channel) => void | 'keep' | Promise<void | 'keep'>;

/**
 * A Unix socket (mode 0600, made under a private umask) speaking newline-delimited JSON: one
 * request per connection (`{cmd, ...}`), answered by the handler of its `cmd`.
 */
export class ControlServer {
  private server: net.Server | null = null;

  /**
   * `at`: where it listens (a socket path must be short: 107 bytes on Linux). `pointer`: a
   * symbolic link made to it, where clients look for it (see socketAddress).
   */
  constructor(
    private readonly at: { socket: string; pointer: string },
    private readonly handlers: Readonly<Record<string, ControlHandler>>,
  ) {}

  start(): void {
    removeFile(this.at.socket);
    const server = net.createServer((sock) => this.accept(sock));
    // The socket is created with the umask in force: make it private from its first moment.
    const umask = process.umask(0o177);
    try {
      server.listen(this.at.socket);
    } finally {
      process.umask(umask);
    }
    server.unref();
    this.server = server;
    removeFile(this.at.pointer);
    symlinkSync(this.at.socket, this.at.pointer);
  }

  close(): void {
    this.server?.close();
    this.server = null;
    if (socketAddress(this.at.pointer) === this.at.socket) removeFile(this.at.pointer);
    removeFile(this.at.socket);
  }

  private accept(sock: net.Socket): void {
    let buf = '';
    sock.setEncoding('utf8');
    sock.on('error', () => {});
    sock.setTimeout(IDLE_MS, () => sock.destroy());
    const onData = (d: string): void => {
      buf += d;
      const nl = buf.indexOf('\n');
      if (nl === -1) {
        if (buf.length > MAX_REQUEST_BYTES) {
          sock.off('data', onData);
          buf = '';
          sock.write(`${JSON.stringify({ ok: false, error: `request longer than ${MAX_REQUEST_BYTES} bytes` })}\n`, () => sock.destroy());
        }
        return;
      }
      const line = buf.slice(0, nl);
      const rest = buf.slice(nl + 1);
      buf = '';
      sock.off('data', onData);
      sock.setTimeout(0);
      void this.handle(line, rest, sock);
    };
    sock.on('data', onData);
  }

  private async handle(line: string, rest: string, sock: net.Socket): Promise<void> {
    const ch = channel(sock, rest);
    try {
      const req = JSON.parse(line) as Record<string, unknown>;
      const handler = typeof req.cmd === 'string' && Object.hasOwn(this.handlers, req.cmd) ? this.handlers[req.cmd]! : null;
      if (!handler) throw new Error(`unknown request ${JSON.stringify(req.cmd)}`);
      if ((await handler(req, ch)) === 'keep') return;
    } catch (err) {
      const hint = (err as { hint?: string }).hint;
      ch.send({ ok: false, error: hint ? `${(err as Error).message} → ${hint}` : (err as Error).message });
    }
    ch.end();
  }
}

function channel(sock: net.Socket, rest: string): Channel {
  const send = (o: object): void => void sock.write(`${JSON.stringify(o)}\n`);
  return {
    send,
    follower: () => {
      let skipped = 0;
      return (m) => {
        if (sock.writableLength > FOLLOW_BACKLOG_BYTES) {
          skipped++;
          return;
        }
        if (skipped > 0) {
          send({ skipped } satisfies Skipped);
          skipped = 0;
        }
        send(m);
      };
    },
    onMessage: (fn) => {
      // What the client sends, one JSON line at a time, bounded like a request.
      let buf = rest;
      const onInput = (d: string): void => {
        buf += d;
        let nl: number;
        while ((nl = buf.indexOf('\n')) !== -1) {
          const msg = buf.slice(0, nl);
          buf = buf.slice(nl + 1);
          try {
            fn(JSON.parse(msg) as Record<string, unknown>);
          } catch {
            // not a message: ignored
          }
        }
        if (buf.length > MAX_REQUEST_BYTES) sock.destroy();
      };
      sock.on('data', onInput);
      onInput('');
    },
    onClose: (fn) => void sock.once('close', fn),
    end: () => void sock.end(),
  };
}

/** The socket a pointer leads to (a link, as ControlServer makes it), or the pointer itself when it is the socket. */
export function socketAddress(pointer: string): string {
  try {
    return readlinkSync(pointer);
  } catch {
    return pointer;
  }
}
