import { readFileSync } from 'node:fs';
import { findPortHolder, type PortHolder } from '../health/port-holder.js';
import { canConnect } from '../health/tcp.js';

export type PortState = { free: true } | { free: false; holder: PortHolder | null; ownFbench: boolean };

/** Is a local port free, and if not, who holds it (and is that our own running fbench)? */
export async function portState(port: number, fbenchPid: number | null, host = '127.0.0.1'): Promise<PortState> {
  if (!(await canConnect(host, port, 300))) return { free: true };
  const holder = findPortHolder(port);
  return { free: false, holder, ownFbench: holder !== null && fbenchPid !== null && isDescendant(holder.pid, fbenchPid) };
}

export function describeHeld(port: number, s: Extract<PortState, { free: false }>): string {
  if (s.ownFbench) return `port ${port} is held by your own running fbench (pid ${s.holder!.pid}: ${s.holder!.command})`;
  return s.holder ? `port ${port} is held by pid ${s.holder.pid} (${s.holder.command})` : `port ${port} is held by a process this user cannot see`;
}

function isDescendant(pid: number, ancestor: number): boolean {
  for (let p = pid, i = 0; p > 1 && i < 64; i++) {
    if (p === ancestor) return true;
    try {
      const stat = readFileSync(`/proc/${p}/stat`, 'utf8');
      p = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    } catch {
      return false;
    }
  }
  return false;
}
