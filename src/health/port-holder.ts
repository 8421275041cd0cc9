import { commandLine } from '../util/process-facts.js';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

export interface PortHolder {
  pid: number;
  command: string;
}

/** The inodes of the sockets listening on a TCP port (any address), from /proc/net/tcp and tcp6 (Linux). */
export function listeningInodes(port: number): Set<string> {
  const inodes = new Set<string>();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string;
    try {
      text = readFileSync(table, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols.length < 10 || cols[3] !== '0A') continue; // 0A = LISTEN
      const local = cols[1]!;
      if (parseInt(local.slice(local.lastIndexOf(':') + 1), 16) === port) inodes.add(cols[9]!);
    }
  }
  return inodes;
}

/** The socket inodes a process has open (none when it is gone or not ours to see). */
function socketInodes(pid: number): string[] {
  let fds: string[];
  try {
    fds = readdirSync(`/proc/${pid}/fd`);
  } catch {
    return [];
  }
  const out: string[] = [];
  for (const fd of fds) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m) out.push(m[1]!);
    } catch {
      // closed meanwhile
    }
  }
  return out;
}

/** True when one of `pids` holds a socket listening on `port`: the port is theirs, not merely open. */
export function holdsPort(pids: Iterable<number>, port: number): boolean {
  const inodes = listeningInodes(port);
  if (inodes.size === 0) return false;
  for (const pid of pids) if (socketInodes(pid).some((i) => inodes.has(i))) return true;
  return false;
}

/**
 * Which process listens on a TCP port, read from /proc (Linux). Null when nothing listens
 * or the holder cannot be seen (another user's process without root).
 */
export function findPortHolder(port: number): PortHolder | null {
  const inodes = listeningInodes(port);
  if (inodes.size === 0) return null;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    if (socketInodes(Number(entry)).some((i) => inodes.has(i))) return { pid: Number(entry), command: commandLine(Number(entry)) };
  }
  return null;
}

export function describeHolder(port: number, holder: PortHolder | null): string {
  return holder ? `port ${port} is held by pid ${holder.pid} (${holder.command})` : `port ${port} is held by a process fbench cannot see`;
}
