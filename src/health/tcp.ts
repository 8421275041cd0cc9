import net from 'node:net';
import { sleep } from '../util/sleep.js';

/** Does something accept a TCP connection on host:port? */
export function canConnect(host: string, port: number, timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = net.connect({ host, port });
    const done = (ok: boolean): void => {
      sock.destroy();
      resolve(ok);
    };
    sock.setTimeout(timeoutMs, () => done(false));
    sock.once('connect', () => done(true));
    sock.once('error', () => done(false));
  });
}

/** Resolve once host:port accepts connections; reject at the timeout or on abort. */
export async function waitForPort(host: string, port: number, timeoutMs: number, signal: AbortSignal): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await canConnect(host, port, 200))) {
    if (Date.now() >= deadline) throw new Error(`port ${port} did not open within ${Math.round(timeoutMs / 1000)} s`);
    await sleep(10, signal);
  }
}
