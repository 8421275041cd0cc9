import net from 'node:net';

/** How a TCP connection attempt ended: open, or why not in words (does not resolve, refused, timed out). */
export type ConnectOutcome = { open: true } | { open: false; why: string };

/** Try a TCP connection to host:port once. */
export function tryConnect(host: string, port: number, timeoutMs = 500): Promise<ConnectOutcome> {
  return new Promise((resolve) => {
    const sock = net.connect({ host, port });
    const done = (o: ConnectOutcome): void => {
      sock.destroy();
      resolve(o);
    };
    let resolved = net.isIP(host) !== 0;
    sock.once('lookup', () => (resolved = true));
    sock.setTimeout(timeoutMs, () =>
      done({
        open: false,
        why: resolved
          ? `no answer from ${host}:${port} within ${timeoutMs} ms (a firewall, or a host that is down?)`
          : `looking up the host ${host} takes over ${timeoutMs} ms (its DNS?)`,
      }),
    );
    sock.once('connect', () => done({ open: true }));
    sock.once('error', (err: NodeJS.ErrnoException) => done({ open: false, why: connectError(err, host, port) }));
  });
}

/** Does something accept a TCP connection on host:port? */
export async function canConnect(host: string, port: number, timeoutMs = 500): Promise<boolean> {
  return (await tryConnect(host, port, timeoutMs)).open;
}

function connectError(err: NodeJS.ErrnoException, host: string, port: number): string {
  switch (err.code) {
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `the host ${host} does not resolve (is its container or VM up? is the name right?)`;
    case 'ECONNREFUSED':
      return `nothing accepts connections on ${host}:${port}`;
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return `${host} cannot be reached (${err.code})`;
    default:
      return err.message;
  }
}
