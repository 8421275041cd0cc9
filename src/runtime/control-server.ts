import { chmodSync, rmSync } from 'node:fs';
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
}

/** What a running session offers to `fbench ps/restart/stop/logs`. */
export interface ControlHandlers {
  ps(): ProcessInfo[];
  /** Resolve names (instances, types, roles) to process names; throws on an unknown one. */
  resolve(names: readonly string[]): string[];
  restart(names: readonly string[]): Promise<void>;
  stop(names: readonly string[]): Promise<void>;
  stopAll(): void;
  logs(names: readonly string[], n: number): string[];
  /** Call `onLine` with each new line ("name | text"); returns the unsubscribe. */
  follow(names: readonly string[], onLine: (line: string) => void): () => void;
}

export type ControlRequest =
  | { cmd: 'ps' }
  | { cmd: 'restart'; names: string[] }
  | { cmd: 'stop'; names: string[] }
  | { cmd: 'logs'; names: string[]; n: number; follow: boolean };

/**
 * A Unix socket (mode 0600) speaking newline-delimited JSON: one request per connection,
 * answered by `{ok, ...}` lines; `logs --follow` keeps sending `{line}` until the client leaves.
 */
export function serveControl(socketPath: string, handlers: ControlHandlers): { close: () => void } {
  rmSync(socketPath, { force: true });
  const server = net.createServer((sock) => {
    let buf = '';
    sock.setEncoding('utf8');
    sock.on('error', () => {});
    const send = (o: object): boolean => sock.write(`${JSON.stringify(o)}\n`);
    sock.on('data', (d: string) => {
      buf += d;
      const nl = buf.indexOf('\n');
      if (nl === -1) return;
      const line = buf.slice(0, nl);
      buf = '';
      void handle(line, handlers, send, sock);
    });
  });
  server.listen(socketPath, () => chmodSync(socketPath, 0o600));
  server.unref();
  return {
    close: () => {
      server.close();
      rmSync(socketPath, { force: true });
    },
  };
}

async function handle(line: string, h: ControlHandlers, send: (o: object) => boolean, sock: net.Socket): Promise<void> {
  try {
    const req = JSON.parse(line) as ControlRequest;
    switch (req.cmd) {
      case 'ps':
        send({ ok: true, processes: h.ps() });
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
        const off = h.follow(names, (l) => void send({ line: l }));
        sock.once('close', off);
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
