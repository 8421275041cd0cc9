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
  /** When it started (clock ticks after boot): with the pid, one process for good. */
  start: number;
}

/** State, parent, process group and usage from /proc/PID/stat; null when gone. */
function procStat(pid: string | number): ProcStat | null {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
    return {
      pid: Number(pid),
      state: f[0]!,
      ppid: Number(f[1]),
      pgrp: Number(f[2]),
      cpuTicks: Number(f[11]) + Number(f[12]),
      rssPages: Number(f[21]),
      start: Number(f[19]),
    };
  } catch {
    return null;
  }
}

/**
 * How long one reading of /proc serves. A bench stopping at once has a dozen exits to look
 * into within a few milliseconds; each reading is a file per process on the machine (hundreds
 * on a desktop), so they share one.
 */
const READING_FRESH_MS = 5;
let reading: { at: number; list: ProcStat[] } | null = null;

/** Every process on the machine, from /proc, as read at most `maxAgeMs` ago; null where /proc cannot tell. */
function allProcesses(maxAgeMs = READING_FRESH_MS): ProcStat[] | null {
  if (!HAS_PROC) return null;
  const now = Date.now();
  if (reading && now - reading.at <= maxAgeMs) return reading.list;
  const list: ProcStat[] = [];
  for (const entry of readdirSync('/proc')) {
    if (entry.charCodeAt(0) > 57) continue; // not a pid (digits sort first)
    const st = procStat(entry);
    if (st) list.push(st);
  }
  reading = { at: now, list };
  return list;
}

/**
 * The marker of each process, read from its environment once: the environment a process
 * starts with stays (Redis overwrites it later with its title, which would hide the marker).
 * Keyed by pid and start, so a reused pid is read again; entries of processes gone are dropped.
 */
const markers = new Map<number, { start: number; marker: string | null }>();
const MARKER_PREFIX = `${MARKER_VAR}=`;

function markerOf(p: ProcStat): string | null {
  const known = markers.get(p.pid);
  if (known?.start === p.start) return known.marker;
  let marker: string | null = null;
  try {
    const env = `\0${readFileSync(`/proc/${p.pid}/environ`, 'latin1')}`;
    const at = env.indexOf(`\0${MARKER_PREFIX}`);
    if (at !== -1) {
      const from = at + 1 + MARKER_PREFIX.length;
      const end = env.indexOf('\0', from);
      marker = env.slice(from, end === -1 ? undefined : end);
    }
  } catch {
    return null; // gone, or not ours to read: asked again next time
  }
  markers.set(p.pid, { start: p.start, marker });
  return marker;
}

/**
 * The live processes whose MARKER_VAR is `value` (or, with `prefix`, starts with it). `fresh`:
 * from a new reading of /proc (a process born a moment ago is in it). `bornSince`: processes
 * started before then (clock ticks after boot) are not looked at: they cannot carry a marker
 * of a session that started later (on a desktop, that is nearly every process).
 */
export function markedProcesses(value: string, prefix = false, fresh = false, bornSince = 0): number[] {
  const all = allProcesses(fresh ? -1 : READING_FRESH_MS);
  if (!all) return [];
  const live = new Set(all.map((p) => p.pid));
  for (const pid of markers.keys()) if (!live.has(pid)) markers.delete(pid);
  return all
    .filter((p) => {
      if (p.pid === process.pid || p.state === 'Z' || p.start < bornSince) return false;
      const m = markerOf(p);
      return m !== null && (prefix ? m.startsWith(value) : m === value);
    })
    .map((p) => p.pid);
}

/** The session a process belongs to, from its marker (`<fbench pid>.<id>:<process>`): the fbench pid, or null. */
export function sessionOfProcess(pid: number): number | null {
  const st = procStat(pid);
  const m = st ? /^(\d+)\./.exec(markerOf(st) ?? '') : null;
  return m ? Number(m[1]) : null;
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
export function processTree(pgid: number, marker?: string, fresh = false, bornSince = 0): number[] {
  const all = allProcesses(fresh ? -1 : READING_FRESH_MS);
  if (!all) return [];
  const children = new Map<number, number[]>();
  for (const p of all) if (p.state !== 'Z') children.set(p.ppid, [...(children.get(p.ppid) ?? []), p.pid]);
  const out = new Set(all.filter((p) => p.pgrp === pgid && p.state !== 'Z').map((p) => p.pid));
  for (const m of marker ? markedProcesses(marker, false, false, bornSince) : []) out.add(m);
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
