import net from 'node:net';

export type DbGreeting = { ok: true; server: string } | { ok: false; reason: 'refused' | 'timeout' | 'not-a-database' | 'error'; message: string };

/**
 * Connect and read what the server says first. MariaDB/MySQL greet with a handshake packet
 * (protocol 10, then the version string); PostgreSQL says nothing until asked, so it is
 * sent an SSLRequest and must answer 'S' or 'N'.
 */
export function greetDatabase(host: string, port: number, kind: 'mariadb' | 'postgres', timeoutMs = 1000): Promise<DbGreeting> {
  return new Promise((resolve) => {
    const sock = net.connect({ host, port });
    let buf = Buffer.alloc(0);
    const done = (g: DbGreeting): void => {
      sock.destroy();
      resolve(g);
    };
    sock.setTimeout(timeoutMs, () => done({ ok: false, reason: 'timeout', message: `no answer within ${timeoutMs} ms` }));
    sock.once('error', (err: NodeJS.ErrnoException) =>
      done({ ok: false, reason: err.code === 'ECONNREFUSED' ? 'refused' : 'error', message: err.code === 'ECONNREFUSED' ? 'connection refused' : err.message }),
    );
    sock.once('connect', () => {
      if (kind === 'postgres') sock.write(Buffer.from([0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f]));
    });
    sock.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      if (kind === 'postgres') {
        const c = String.fromCharCode(buf[0]!);
        return done(
          c === 'S' || c === 'N' ? { ok: true, server: 'PostgreSQL' } : { ok: false, reason: 'not-a-database', message: 'did not answer as PostgreSQL' },
        );
      }
      if (buf.length < 5) return;
      const len = buf.readUIntLE(0, 3);
      if (buf.length < 4 + len) return;
      const payload = buf.subarray(4, 4 + len);
      if (payload[0] === 0xff)
        return done({
          ok: false,
          reason: 'error',
          message: `refused: ${payload
            .subarray(3)
            .toString('utf8')
            .replace(/^#\w{5}/, '')}`,
        });
      if (payload[0] !== 10) return done({ ok: false, reason: 'not-a-database', message: 'did not greet as MariaDB/MySQL' });
      const end = payload.indexOf(0, 1);
      done({ ok: true, server: payload.subarray(1, end === -1 ? undefined : end).toString('utf8') });
    });
  });
}
