import net from 'node:net';
import { FbenchError } from '../errors.js';
import type { ControlRequest } from '../runtime/control-server.js';
import { readLivePid } from '../runtime/pidfile.js';
import { sessionFiles } from './session.js';

/** An open conversation with the running session. */
export interface Connection {
  send(message: object): void;
  close(): void;
  /** Settles when the connection is closed (by either side). */
  done: Promise<void>;
}

/** A session opens its control socket a moment into its start-up: a client arriving earlier tries again for this long. */
const STARTING_RETRY_MS = 3000;
const RETRY_EVERY_MS = 20;

/**
 * Open a connection to the running `fbench start` and send `req`; `onMessage` gets each JSON
 * line of the answer. `timeoutMs`: give up on a session that does not answer.
 */
export function connect(bench: string, req: ControlRequest, onMessage: (m: Record<string, unknown>) => void, timeoutMs?: number): Connection {
  const files = sessionFiles(bench);
  const pid = readLivePid(files.pid);
  if (pid === null) throw new FbenchError(`no fbench start is running for ${bench}`, 'start one with `fbench start`');
  const giveUpAt = Date.now() + STARTING_RETRY_MS;
  let sock: net.Socket;
  const done = new Promise<void>((resolve, reject) => {
    const open = (): void => {
      let buf = '';
      sock = net.connect(files.socket);
      sock.setEncoding('utf8');
      sock.once('connect', () => sock.write(`${JSON.stringify(req)}\n`));
      if (timeoutMs !== undefined) sock.setTimeout(timeoutMs, () => sock.destroy(new Error(`no answer within ${timeoutMs} ms`)));
      sock.on('data', (d: string) => {
        buf += d;
        const lines = buf.split('\n');
        buf = lines.pop() ?? '';
        for (const l of lines) {
          if (!l) continue;
          let m: Record<string, unknown>;
          try {
            m = JSON.parse(l) as Record<string, unknown>;
          } catch {
            continue; // not from a session of this version: ignore rather than crash
          }
          onMessage(m);
        }
      });
      sock.once('error', (err: NodeJS.ErrnoException) => {
        const starting = (err.code === 'ENOENT' || err.code === 'ECONNREFUSED') && Date.now() < giveUpAt && readLivePid(files.pid) === pid;
        if (starting) {
          sock.removeAllListeners('close');
          setTimeout(open, RETRY_EVERY_MS);
          return;
        }
        const why =
          err.code === 'EACCES'
            ? 'permission denied (the session belongs to another user?)'
            : err.code === 'ENOENT'
              ? 'its control socket is missing'
              : (err.code ?? err.message);
        reject(
          new FbenchError(
            `cannot reach the running fbench (pid ${pid}): ${why}`,
            err.code === 'EACCES' ? 'run fbench as the user who started it' : 'if it is still starting, try again in a moment',
          ),
        );
      });
      sock.once('close', () => resolve());
    };
    open();
  });
  return { send: (m) => void sock.write(`${JSON.stringify(m)}\n`), close: () => sock.end(), done };
}

/** Send one request and wait for the session to finish answering. */
export function request(bench: string, req: ControlRequest, onMessage: (m: Record<string, unknown>) => void, timeoutMs?: number): Promise<void> {
  return connect(bench, req, onMessage, timeoutMs).done;
}
