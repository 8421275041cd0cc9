import { removeFile } from '../util/remove-file.js';
import net from 'node:net';

/** One process as `fbench ps` shows it. */
export interface ProcessInfo {
  name: string;
  state: string;
  pid: number | null;
  uptimeMs: number | null;
  restarts: number;
  port: number | null;
  health: string;
  /** Its last line of output, for a process that is in trouble. */
  lastLine: string | null;
}

/** What a running session offers to `fbench ps/restart/stop/logs`. */
export interface ControlHandlers {
  ps(): Promise<ProcessInfo[]>;
  /** Resolve names (instances, types, roles) to process names; throws on an unknown one. */
  resolve(names: readonly string[]): string[];
  restart(names: readonly string[]): Promise<void>;
  stop(names: readonly string[]): Promise<void>;
  stopAll(): void;
  logs(names: readonly string[], n: number): string[];
  /** Call `onLine` with each new line ("name | text"); returns the unsubscribe. */
  follow(names: readonly string[], onLine: (line: string) => void): () => void;
  /**
   * Attach one client to one process: its recent and new output (bare lines) go to `onLine`;
   * `input` sends to its stdin; `detach` lets go. Throws when another client is attached.
   */
  attach(name: string, who: string, onLine: (line: string) => void): { input: (text: string) => void; detach: () => void };
}

export type ControlRequest =
  | { cmd: 'ps' }
  | { cmd: 'restart'; names: string[] }
  | { cmd: 'stop'; names: string[] }
  | { cmd: 'logs'; names: string[]; n: number; follow: boolean }
  /** Then the client sends `{input}` lines, and gets `{line}` lines until it leaves. */
  | { cmd: 'attach'; name: string; who?: string };

/** A request is one short JSON line: anything longer is refused, and a silent client is dropped. */
export const MAX_REQUEST_BYTES = 64 * 1024;
const IDLE_MS = 5000;
/** A follower that stops reading gets nothing more once this much waits for it: lines are skipped and counted. */
const FOLLOW_BACKLOG_BYTES = 256 * 1024;

/**
 * A Unix socket (mode 0600, made under a private umask) speaking newline-delimited JSON: one
 * request per connection, answered by `{ok, ...}` lines; `logs --follow` keeps sending
 * `{line}` until the client leaves, skipping (and saying how many) while the client does not read.
 */
export function serveControl(socketPath: string, handlers: ControlHandlers): { close: () => void } {
  removeFile(socketPath);
  const server = net.createServer((sock) => {
    let buf = '';
    sock.setEncoding('utf8');
    sock.on('error', () => {});
    sock.setTimeout(IDLE_MS, () => sock.destroy());
    const send = (o: object): boolean => sock.write(`${JSON.stringify(o)}\n`);
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
      void handle(line, rest, handlers, send, sock);
    };
    sock.on('data', onData);
  });
  // The socket is created with the umask in force: make it private from its first moment.
  const umask = process.umask(0o177);
  try {
    server.listen(socketPath);
  } finally {
    process.umask(umask);
  }
  server.unref();
  return {
    close: () => {
      server.close();
      removeFile(socketPath);
    },
  };
}

/** Send lines to a follower while it reads; past the backlog, count what it missed and say so when it catches up. */
function follower(sock: net.Socket, send: (o: object) => boolean): (line: string) => void {
  let skipped = 0;
  return (line) => {
    if (sock.writableLength > FOLLOW_BACKLOG_BYTES) {
      skipped++;
      return;
    }
    if (skipped > 0) {
      send({ line: `… ${skipped} lines skipped (the reader was not keeping up)` });
      skipped = 0;
    }
    send({ line });
  };
}

async function handle(line: string, rest: string, h: ControlHandlers, send: (o: object) => boolean, sock: net.Socket): Promise<void> {
  try {
    const req = JSON.parse(line) as ControlRequest;
    switch (req.cmd) {
      case 'ps':
        send({ ok: true, processes: await h.ps() });
        break;
      case 'restart': {
        const names = h.resolve(req.names);
        await h.restart(names);
        send({ ok: true, names });
        break;
      }
      case 'stop': {
        if (req.names.length === 0) {
          send({ ok: true, names: [] });
          sock.end();
          h.stopAll();
          return;
        }
        const names = h.resolve(req.names);
        await h.stop(names);
        send({ ok: true, names });
        break;
      }
      case 'logs': {
        const names = req.names.length ? h.resolve(req.names) : [];
        for (const l of h.logs(names, req.n)) send({ line: l });
        if (!req.follow) break;
        const off = h.follow(names, follower(sock, send));
        sock.once('close', off);
        return;
      }
      case 'attach': {
        const names = h.resolve([req.name]);
        if (names.length !== 1) throw new Error(`attach takes one process: "${req.name}" is ${names.join(', ')}`);
        const session = h.attach(names[0]!, req.who ?? 'another client', follower(sock, send));
        send({ ok: true, name: names[0] });
        // What the client types, one {input} line at a time, bounded like a request.
        let buf = rest;
        const onInput = (d: string): void => {
          buf += d;
          let nl: number;
          while ((nl = buf.indexOf('\n')) !== -1) {
            const msg = buf.slice(0, nl);
            buf = buf.slice(nl + 1);
            try {
              const m = JSON.parse(msg) as { input?: unknown };
              if (typeof m.input === 'string') session.input(m.input);
            } catch {
              // not a message: ignored
            }
          }
          if (buf.length > MAX_REQUEST_BYTES) sock.destroy();
        };
        sock.on('data', onInput);
        onInput('');
        sock.once('close', session.detach);
        return;
      }
      default:
        send({ ok: false, error: `unknown request ${JSON.stringify(req)}` });
    }
  } catch (err) {
    const hint = (err as { hint?: string }).hint;
    send({ ok: false, error: hint ? `${(err as Error).message}; ${hint}` : (err as Error).message });
  }
  sock.end();
}
