import { mkdirSync, openSync, closeSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

// Test files run in parallel processes, and the kernel may hand the same just-freed port to two
// of them: each port is also claimed by a file, created exclusively, for the whole test run.
const CLAIMS = path.join(tmpdir(), `fbench-test-ports-${process.env.FBENCH_TEST_RUN ?? process.ppid}`);

function claim(port: number): boolean {
  mkdirSync(CLAIMS, { recursive: true });
  try {
    closeSync(openSync(path.join(CLAIMS, String(port)), 'wx'));
    return true;
  } catch {
    return false;
  }
}

/** A TCP port that was free a moment ago (the kernel picks it) and that no other test file has taken. */
export async function freePort(): Promise<number> {
  for (;;) {
    const port = await new Promise<number>((resolve, reject) => {
      const srv = net.createServer();
      srv.once('error', reject);
      srv.listen(0, '127.0.0.1', () => {
        const { port } = srv.address() as net.AddressInfo;
        srv.close(() => resolve(port));
      });
    });
    if (claim(port)) return port;
  }
}

export async function freePorts(n: number): Promise<number[]> {
  const out = new Set<number>();
  while (out.size < n) out.add(await freePort());
  return [...out];
}

/** Resolve once something accepts connections on the port (a listener a test started is up). */
export async function listening(port: number, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect({ host: '127.0.0.1', port }, () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > end) throw new Error(`nothing listens on ${port} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
