import { closeSync, mkdirSync, openSync, readFileSync } from 'node:fs';
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

/** The lowest port the kernel hands out itself (a listen on port 0, as freePort asks). */
function ephemeralLow(): number {
  try {
    return Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]) || 32768;
  } catch {
    return 32768;
  }
}

const bindable = (port: number): Promise<boolean> =>
  new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });

/**
 * `n` free ports below the kernel's own range, each followed by `room` free ports, all claimed:
 * for a bench whose copies take the ports right after its own (`fbench ports --reassign`).
 * There no port another test gets from freePort can land.
 */
export async function portsWithRoom(n: number, room: number): Promise<number[]> {
  const span = room + 1;
  const high = ephemeralLow() - n * span;
  for (;;) {
    const base = 20000 + Math.floor(Math.random() * (high - 20000));
    const all = Array.from({ length: n * span }, (_, i) => base + i);
    if (!(await Promise.all(all.map(bindable))).every(Boolean)) continue;
    if (all.every(claim)) return Array.from({ length: n }, (_, i) => base + i * span);
  }
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
