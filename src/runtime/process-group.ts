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

/** pid, state and process group from /proc/PID/stat; null when gone. */
function procStat(pid: string | number): { state: string; pgrp: number } | null {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
    return { state: f[0]!, pgrp: Number(f[2]) };
  } catch {
    return null;
  }
}

/** Processes of a group with their states, from /proc; null where /proc cannot tell. */
function groupStates(pgid: number): string[] | null {
  if (!HAS_PROC) return null;
  const states: string[] = [];
  for (const entry of readdirSync('/proc')) {
    if (entry.charCodeAt(0) > 57) continue; // not a pid (digits sort first)
    const st = procStat(entry);
    if (st && st.pgrp === pgid) states.push(st.state);
  }
  return states;
}

/**
 * True when a process of the group is on a CPU or waiting for one: a quiet pipe then means
 * "preempted mid-line", not "waiting at a prompt".
 */
export function groupRunnable(pgid: number): boolean {
  return groupStates(pgid)?.includes('R') ?? false;
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
  return groupStates(pgid)?.some((s) => s !== 'Z') ?? true;
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

/** Resolve when the group is gone, or with false at the deadline. Polls: groups have no exit event. */
export async function waitGroupGone(pgid: number, deadline: number, everyMs = 10): Promise<boolean> {
  while (groupAlive(pgid)) {
    if (Date.now() >= deadline) return false;
    await new Promise((r) => setTimeout(r, everyMs));
  }
  return true;
}
