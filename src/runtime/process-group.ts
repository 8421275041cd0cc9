import { readdirSync, readFileSync } from 'node:fs';

/** Signal a whole process group; false when it is already gone. */
export function signalGroup(pgid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch {
    return false;
  }
}

const HAS_PROC = (() => {
  try {
    readFileSync('/proc/self/stat');
    return true;
  } catch {
    return false;
  }
})();

interface ProcStat {
  pid: number;
  state: string;
  ppid: number;
  pgrp: number;
}

/** State, parent and process group from /proc/PID/stat; null when gone. */
function procStat(pid: string | number): ProcStat | null {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
    return { pid: Number(pid), state: f[0]!, ppid: Number(f[1]), pgrp: Number(f[2]) };
  } catch {
    return null;
  }
}

/** Every process on the machine, from /proc; null where /proc cannot tell. */
function allProcesses(): ProcStat[] | null {
  if (!HAS_PROC) return null;
  const out: ProcStat[] = [];
  for (const entry of readdirSync('/proc')) {
    if (entry.charCodeAt(0) > 57) continue; // not a pid (digits sort first)
    const st = procStat(entry);
    if (st) out.push(st);
  }
  return out;
}

/**
 * The live processes of a group and their descendants. A descendant may have left the group
 * (RQ's work horse calls setsid()), yet it is part of what the process started.
 */
export function processTree(pgid: number): number[] {
  const all = allProcesses();
  if (!all) return [];
  const children = new Map<number, number[]>();
  for (const p of all) if (p.state !== 'Z') children.set(p.ppid, [...(children.get(p.ppid) ?? []), p.pid]);
  const out = new Set(all.filter((p) => p.pgrp === pgid && p.state !== 'Z').map((p) => p.pid));
  const queue = [...out];
  while (queue.length > 0) {
    for (const c of children.get(queue.pop()!) ?? []) {
      if (!out.has(c)) {
        out.add(c);
        queue.push(c);
      }
    }
  }
  return [...out];
}

/** SIGKILL a group and every descendant of its members (taken before the kill, while they are still linked). */
export function killTree(pgid: number): void {
  const tree = processTree(pgid);
  signalGroup(pgid, 'SIGKILL');
  for (const pid of tree) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

/**
 * True when a process of the group is on a CPU, waiting for one, or blocked writing to a full
 * pipe: a quiet pipe then means "mid-line", not "waiting at a prompt".
 */
export function groupWriting(pgid: number): boolean {
  const all = allProcesses();
  return all?.some((p) => p.pgrp === pgid && (p.state === 'R' || blockedOnPipeWrite(p.pid))) ?? false;
}

function blockedOnPipeWrite(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/wchan`, 'utf8').includes('pipe_write');
  } catch {
    return false;
  }
}

/**
 * True while any process of the group is alive. Zombies do not count: a grandchild whose
 * parent died is reparented to init, which may take its time to reap it.
 */
export function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  const all = allProcesses();
  return all ? all.some((p) => p.pgrp === pgid && p.state !== 'Z') : true;
}

/** True while the process exists and is not a zombie. */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  return !HAS_PROC || procStat(pid)?.state !== 'Z';
}
