import { findPortHolder, type PortHolder } from '../health/port-holder.js';
import { canConnect } from '../health/tcp.js';
import { sessionOf } from '../runtime/process-group.js';

export type PortState = { free: true } | { free: false; holder: PortHolder | null; ownFbench: boolean };

/** Is a local port free, and if not, who holds it (and is that a process of this bench's own running fbench)? */
export async function portState(port: number, sessionPids: readonly number[], host = '127.0.0.1'): Promise<PortState> {
  if (!(await canConnect(host, port, 300))) return { free: true };
  const holder = findPortHolder(port);
  const session = holder ? sessionOf(holder.pid, sessionPids) : null;
  return { free: false, holder, ownFbench: session !== null && sessionPids.includes(session) };
}

export function describeHeld(port: number, s: Extract<PortState, { free: false }>): string {
  if (s.ownFbench) return `port ${port} is held by your own running fbench (pid ${s.holder!.pid}: ${s.holder!.command})`;
  return s.holder ? `port ${port} is held by pid ${s.holder.pid} (${s.holder.command})` : `port ${port} is held by a process this user cannot see`;
}
