import net from 'node:net';
import path from 'node:path';
import { FbenchError } from '../errors.js';
import type { ControlRequest } from '../runtime/control-server.js';
import { readLivePid } from '../runtime/pidfile.js';

export function controlSocket(bench: string): string {
  return path.join(bench, 'config', 'pids', 'fbench.sock');
}

/** Send one request to the running session; `onMessage` gets each JSON line of the answer. */
export function request(bench: string, req: ControlRequest, onMessage: (m: Record<string, unknown>) => void): Promise<void> {
  const pid = readLivePid(path.join(bench, 'config', 'pids', 'fbench.pid'));
  if (pid === null) throw new FbenchError(`no fbench start is running for ${bench}`, 'start one with `fbench start`');
  return new Promise((resolve, reject) => {
    const sock = net.connect(controlSocket(bench));
    let buf = '';
    sock.setEncoding('utf8');
    sock.once('connect', () => sock.write(`${JSON.stringify(req)}\n`));
    sock.on('data', (d: string) => {
      buf += d;
      const lines = buf.split('\n');
      buf = lines.pop() ?? '';
      for (const l of lines) if (l) onMessage(JSON.parse(l) as Record<string, unknown>);
    });
    sock.once('error', (err) => reject(new FbenchError(`cannot reach the running fbench (pid ${pid}): ${err.message}`, 'is it still starting? try again in a moment')));
    sock.once('close', () => resolve());
  });
}
