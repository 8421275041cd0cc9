import net from 'node:net';

/** Whether nothing listens on 127.0.0.1:`port` now (bind and let go). */
function bindable(port: number): Promise<number | null> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(null));
    s.listen(port, '127.0.0.1', () => {
      const got = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(got));
    });
  });
}

/** The first of `preferred` that is free, else one the system picks. */
export async function freePort(preferred: readonly number[] = []): Promise<number> {
  for (const p of preferred) if ((await bindable(p)) !== null) return p;
  return (await bindable(0))!;
}
