import { readdirSync, readFileSync } from 'node:fs';

/**
 * The variable every process fbench starts carries, `<session>:<process>`: its descendants
 * inherit it, even those that leave the process group (RQ's work horse calls setsid(), a daemon
 * double-forks), so a stop can find them.
 */
export const MARKER_VAR = 'FBENCH_SESSION';

/** Signal a whole process group; false when it is already gone. */
export function signalGroup(pgid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch {
    return false;
  }
}

/** Signal one process; false when it is already gone. */
export function signalPid(pid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(pid, signal);
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
  /** utime + stime, in clock ticks. */
  cpuTicks: number;
  /** Resident pages. */
  rssPages: number;
}

/** State, parent, process group and usage from /proc/PID/stat; null when gone. */
function procStat(pid: string | number): ProcStat | null {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
    return { pid: Number(pid), state: f[0]!, ppid: Number(f[1]), pgrp: Number(f[2]), cpuTicks: Number(f[11]) + Number(f[12]), rssPages: Number(f[21]) };
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

/** The live processes whose environment has MARKER_VAR set to `value` (or, with `prefix`, starting with it). */
export function markedProcesses(value: string, prefix = false): number[] {
  if (!HAS_PROC) return [];
  const needle = Buffer.from(`${MARKER_VAR}=${value}${prefix ? '' : '\0'}`);
  const out: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (entry.charCodeAt(0) > 57 || Number(entry) === process.pid) continue;
    let env: Buffer;
    try {
      env = readFileSync(`/proc/${entry}/environ`);
    } catch {
      continue; // gone, or not ours to read
    }
    const at = env.indexOf(needle);
    if (at === -1 || (at > 0 && env[at - 1] !== 0)) continue;
    if (pidAlive(Number(entry))) out.push(Number(entry));
  }
  return out;
}

/** The session a process belongs to, from its marker (`<fbench pid>.<id>:<process>`): the fbench pid, or null. */
export function sessionOfProcess(pid: number): number | null {
  try {
    const env = readFileSync(`/proc/${pid}/environ`, 'latin1');
    const m = new RegExp(String.raw`(?:^|\x00)${MARKER_VAR}=(\d+)\.`).exec(env);
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

/** True when `ancestor` started `pid`, directly or not (a process that was not re-parented). */
export function isDescendantOf(pid: number, ancestor: number): boolean {
  for (let p = pid, i = 0; p > 1 && i < 64; i++) {
    if (p === ancestor) return true;
    const st = procStat(p);
    if (!st) return false;
    p = st.ppid;
  }
  return false;
}

/**
 * The fbench session a process belongs to: the one its marker names, else the one it descends
 * from (a program that rewrites its own title, as Redis does, no longer shows its environment).
 */
export function sessionOf(pid: number, sessionPids: readonly number[]): number | null {
  const marked = sessionOfProcess(pid);
  if (marked !== null) return marked;
  return sessionPids.find((s) => isDescendantOf(pid, s)) ?? null;
}

/**
 * The live processes of a group, their descendants, and the processes carrying `marker`. A
 * descendant may have left the group (RQ's work horse calls setsid()), yet it is part of what
 * the process started; a marked one may have lost its parent too (a double-forked daemon).
 */
export function processTree(pgid: number, marker?: string): number[] {
  const all = allProcesses();
  if (!all) return [];
  const children = new Map<number, number[]>();
  for (const p of all) if (p.state !== 'Z') children.set(p.ppid, [...(children.get(p.ppid) ?? []), p.pid]);
  const out = new Set(all.filter((p) => p.pgrp === pgid && p.state !== 'Z').map((p) => p.pid));
  for (const m of marker ? markedProcesses(marker) : []) out.add(m);
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

/** SIGKILL a group and everything of it (taken before the kill, while they are still linked). */
export function killTree(pgid: number, marker?: string): void {
  const tree = processTree(pgid, marker);
  signalGroup(pgid, 'SIGKILL');
  for (const pid of tree) signalPid(pid, 'SIGKILL');
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

/** When a process started (clock ticks after boot): with its pid, it names one process for good, even once pids are reused. */
export function processStartTicks(pid: number): number | null {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(s.slice(s.lastIndexOf(')') + 2).split(' ')[19]);
  } catch {
    return null;
  }
}

/** CPU time (clock ticks) and resident memory (bytes) of these processes together, from /proc. */
export function usageOf(pids: readonly number[]): { cpuTicks: number; rssBytes: number } {
  let cpuTicks = 0;
  let rssPages = 0;
  for (const pid of pids) {
    const st = procStat(pid);
    if (!st || st.state === 'Z') continue;
    cpuTicks += st.cpuTicks;
    rssPages += st.rssPages;
  }
  return { cpuTicks, rssBytes: rssPages * pageBytes() };
}

/** /proc counts CPU time in USER_HZ ticks, 100 a second on Linux whatever the kernel's own rate. */
export const TICKS_PER_SECOND = 100;

let page: number | undefined;
/** The page size /proc counts resident memory in: this process's RSS in bytes over its RSS in pages. */
function pageBytes(): number {
  if (page === undefined) {
    const pages = Number(readFileSync('/proc/self/statm', 'utf8').split(' ')[1]);
    const ratio = process.memoryUsage().rss / pages;
    page = 2 ** Math.round(Math.log2(Number.isFinite(ratio) && ratio > 0 ? ratio : 4096));
  }
  return page;
}
