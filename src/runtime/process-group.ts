import { processTable, type ProcessRow, type ProcessTable } from '../util/process-table.js';
import { realClock, type Clock } from '../util/clock.js';

/**
 * The variable every process fbench starts carries, `<session>:<process>`: its descendants
 * inherit it, even those that leave the process group (RQ's work horse calls setsid(), a daemon
 * double-forks), so a stop can find them.
 */
export const MARKER_VAR = 'FBENCH_SESSION';

/**
 * The watchdog's variable holding its session: not an argument, since arguments are anybody's to
 * read in `ps`, an environment only its user's (and root's).
 */
export const WATCHDOG_VAR = 'FBENCH_WATCHDOG';

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

/**
 * Readings of the whole process table, shared while fresh. A bench stopping at once has a dozen
 * exits to look into within a few milliseconds; each reading is a file per process on the
 * machine (hundreds on a desktop) or a run of `ps`, so they share one: 5 ms under /proc,
 * 200 ms under ps.
 */
export class ProcessReadings {
  readonly freshMs: number;
  private reading: { at: number; list: ProcessRow[] } | null = null;

  constructor(
    private readonly table: Pick<ProcessTable, 'all' | 'source'>,
    private readonly clock: Clock = realClock,
  ) {
    this.freshMs = table.source === 'proc' ? 5 : 200;
  }

  /** Every process on the machine, as read at most `maxAgeMs` ago (-1: now); null where it cannot be read. */
  all(maxAgeMs = this.freshMs): ProcessRow[] | null {
    const now = this.clock.now();
    if (this.reading && now - this.reading.at <= maxAgeMs) return this.reading.list;
    const list = this.table.all();
    if (!list) return null;
    this.reading = { at: now, list };
    return list;
  }
}

const readings = new ProcessReadings(processTable);
const READING_FRESH_MS = readings.freshMs;
const allProcesses = (maxAgeMs?: number): ProcessRow[] | null => readings.all(maxAgeMs);

/** A new reading of the process table now: what is asked next (the members of each process, their usage) is of this moment. */
export function readProcessesNow(): void {
  readings.all(-1);
}

/**
 * The marker of each process, read from its environment once: the environment a process
 * starts with stays (Redis overwrites it later with its title, which would hide the marker).
 * Keyed by pid and start, so a reused pid is read again; entries of processes gone are dropped.
 */
const markers = new Map<number, { start: number; marker: string | null }>();

/** The markers of these processes (those that could not be read are left out, and asked again next time). */
function markersOf(rows: readonly ProcessRow[]): Map<number, string | null> {
  const out = new Map<number, string | null>();
  const unknown: ProcessRow[] = [];
  for (const p of rows) {
    const known = markers.get(p.pid);
    if (known?.start === p.start) out.set(p.pid, known.marker);
    else unknown.push(p);
  }
  if (unknown.length === 0) return out;
  const read = processTable.environ(
    MARKER_VAR,
    unknown.map((p) => p.pid),
  );
  for (const p of unknown) {
    if (!read.has(p.pid)) continue;
    const marker = read.get(p.pid)!;
    markers.set(p.pid, { start: p.start, marker });
    out.set(p.pid, marker);
  }
  return out;
}

/**
 * The live processes whose MARKER_VAR is `value` (or, with `prefix`, starts with it). `fresh`:
 * from a new reading of the process table (a process born a moment ago is in it). `bornSince`:
 * processes started before then (seconds since the epoch) are not looked at: they cannot carry a marker
 * of a session that started later (on a desktop, that is nearly every process).
 */
export function markedProcesses(value: string, prefix = false, fresh = false, bornSince = 0): number[] {
  const all = allProcesses(fresh ? -1 : READING_FRESH_MS);
  if (!all) return [];
  const live = new Set(all.map((p) => p.pid));
  for (const pid of markers.keys()) if (!live.has(pid)) markers.delete(pid);
  const found = markersOf(all.filter((p) => p.pid !== process.pid && p.state !== 'Z' && p.start >= bornSince));
  return [...found].filter(([, m]) => m !== null && (prefix ? m.startsWith(value) : m === value)).map(([pid]) => pid);
}

/** The session a process belongs to, from its marker (`<fbench pid>.<id>:<process>`): the fbench pid, or null. */
export function sessionOfProcess(pid: number): number | null {
  const row = processTable.row(pid);
  const m = row ? /^(\d+)\./.exec(markersOf([row]).get(pid) ?? '') : null;
  return m ? Number(m[1]) : null;
}

/** True when `ancestor` started `pid`, directly or not (a process that was not re-parented). */
export function isDescendantOf(pid: number, ancestor: number): boolean {
  for (let p = pid, i = 0; p > 1 && i < 64; i++) {
    if (p === ancestor) return true;
    const row = processTable.row(p);
    if (!row) return false;
    p = row.ppid;
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
  return all?.some((p) => p.pgrp === pgid && (p.state === 'R' || processTable.writingToPipe(p.pid) === true)) ?? false;
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
  return processTable.row(pid)?.state !== 'Z';
}

/**
 * CPU time (hundredths of a second) and resident memory (bytes) of these processes together,
 * from the reading of the process table that found them (one `ps` for every process of a
 * refresh where there is no /proc, not one each).
 */
export function usageOf(pids: readonly number[]): { cpuTicks: number; rssBytes: number } {
  let cpuTicks = 0;
  let rssBytes = 0;
  const wanted = new Set(pids);
  const rows = allProcesses()?.filter((r) => wanted.has(r.pid)) ?? processTable.rows(pids);
  for (const row of rows) {
    if (row.state === 'Z') continue;
    cpuTicks += row.cpuTicks;
    rssBytes += row.rssBytes;
  }
  return { cpuTicks, rssBytes };
}

/** usageOf counts CPU time in hundredths of a second. */
export const TICKS_PER_SECOND = 100;
