import { commandLine } from '../util/process-facts.js';
import { processTable } from '../util/process-table.js';

export interface PortHolder {
  pid: number;
  command: string;
}

/** True when a socket listens on this TCP port (any address) as far as the kernel lets this user see. */
export function portListened(port: number): boolean {
  return processTable.listeners(port).listening === true;
}

/**
 * True when one of `pids` holds a socket listening on `port`: the port is theirs, not merely
 * open. Null where who holds it cannot be known (no /proc and no lsof).
 */
export function holdsPort(pids: Iterable<number>, port: number): boolean | null {
  const l = processTable.listeners(port, pids);
  return l.listening === null ? null : l.holders.length > 0;
}

/**
 * Which process listens on a TCP port. Null when nothing listens or the holder cannot be seen
 * (another user's process without root).
 */
export function findPortHolder(port: number): PortHolder | null {
  const pid = processTable.listeners(port).holders[0];
  return pid === undefined ? null : { pid, command: commandLine(pid) };
}

export function describeHolder(port: number, holder: PortHolder | null): string {
  return holder ? `port ${port} is held by pid ${holder.pid} (${holder.command})` : `port ${port} is held by a process fbench cannot see`;
}
