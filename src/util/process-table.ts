import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync, statSync, type Stats } from 'node:fs';
import path from 'node:path';

/**
 * What the kernel says of processes, from one of two sources chosen once: Linux's /proc, or
 * `ps` and `lsof` where there is no /proc (macOS, the BSDs; `FBENCH_PROC=0` on Linux, so both
 * are tested here). Every answer is the kernel's, never a program's claim; null where this
 * source cannot tell (gone, another user's, or no tool to ask).
 */
export interface ProcessRow {
  pid: number;
  ppid: number;
  pgrp: number;
  /** One letter: R running, S sleeping, Z zombie… */
  state: string;
  /** When it started, in whole seconds since the epoch: with the pid, one process for good. */
  start: number;
  /** User plus system CPU time, in hundredths of a second. */
  cpuTicks: number;
  rssBytes: number;
}

/** Who listens on a TCP port: whether anything does (null: cannot be known) and the pids seen holding it. */
export interface PortListeners {
  listening: boolean | null;
  holders: number[];
}

export interface ProcessTable {
  readonly source: 'proc' | 'ps';
  /** How often a question may be asked while waiting without weighing on the session: a read of /proc is cheap, a run of ps or lsof is a process. */
  readonly pollMs: number;
  /** Every process this user may see; null where it cannot be read. */
  all(): ProcessRow[] | null;
  row(pid: number): ProcessRow | null;
  /** The rows of these processes (those gone are left out). */
  rows(pids: readonly number[]): ProcessRow[];
  /** Its arguments (from ps, split at spaces: an argument's own spaces are not told apart). */
  args(pid: number): string[] | null;
  uid(pid: number): number | null;
  /** The executable's name, as the kernel names it (whatever title the program gives itself). */
  program(pid: number): string | null;
  cwd(pid: number): string | null;
  /**
   * Each pid's value of the environment variable `name` as it started (null: it has none), read
   * from its environment alone (never its arguments, which any program chooses) and only for
   * processes of this user: another user's process has none. Pids not in the answer could not be read.
   */
  environ(name: string, pids: readonly number[]): Map<number, string | null>;
  /** Among `candidates` (every process when absent), who holds a socket listening on `port`. */
  listeners(port: number, candidates?: Iterable<number>): PortListeners;
  /** Whether a process has this very file open (device and inode); null where it cannot be known. */
  holdsFile(pid: number, file: Stats): boolean | null;
  /** Whether a process is blocked writing to a full pipe; null where it cannot be known. */
  writingToPipe(pid: number): boolean | null;
  openFilesLimit(): number | null;
  /**
   * When this process's `fd` is a pipe: the processes reading its other end among `among`, or
   * (without it) among this process's family — its parent, its siblings, its process group:
   * where a shell puts the reader of `fbench logs -f | head`. Null where it cannot be told.
   */
  pipeReaders(fd: number, among?: readonly number[]): number[] | null;
}

/** Kernel ticks per second in /proc (USER_HZ is 100 on Linux whatever the kernel's own rate). */
const USER_HZ = 100;

function read(file: string): string | null {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return null;
  }
}

/** Linux: every fact read from /proc's files. */
class ProcFs implements ProcessTable {
  readonly source = 'proc';
  readonly pollMs = 25;
  private bootSeconds: number | undefined;
  private pageBytes: number | undefined;

  all(): ProcessRow[] {
    const list: ProcessRow[] = [];
    for (const entry of readdirSync('/proc')) {
      if (entry.charCodeAt(0) > 57) continue; // not a pid (digits sort first)
      const r = this.row(Number(entry));
      if (r) list.push(r);
    }
    return list;
  }

  rows(pids: readonly number[]): ProcessRow[] {
    return pids.map((p) => this.row(p)).filter((r) => r !== null);
  }

  row(pid: number): ProcessRow | null {
    const s = read(`/proc/${pid}/stat`);
    if (s === null) return null;
    const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
    return {
      pid,
      state: f[0]!,
      ppid: Number(f[1]),
      pgrp: Number(f[2]),
      cpuTicks: ((Number(f[11]) + Number(f[12])) * 100) / USER_HZ,
      rssBytes: Number(f[21]) * this.page(),
      start: Math.floor(this.boot() + Number(f[19]) / USER_HZ),
    };
  }

  private boot(): number {
    this.bootSeconds ??= Number(/^btime (\d+)$/m.exec(read('/proc/stat') ?? '')?.[1] ?? 0);
    return this.bootSeconds;
  }

  /** The page size /proc counts resident memory in: this process's RSS in bytes over its RSS in pages. */
  private page(): number {
    if (this.pageBytes === undefined) {
      const ratio = process.memoryUsage().rss / Number((read('/proc/self/statm') ?? '').split(' ')[1]);
      this.pageBytes = 2 ** Math.round(Math.log2(Number.isFinite(ratio) && ratio > 0 ? ratio : 4096));
    }
    return this.pageBytes;
  }

  args(pid: number): string[] | null {
    return read(`/proc/${pid}/cmdline`)?.split('\0').filter(Boolean) ?? null;
  }

  uid(pid: number): number | null {
    try {
      return statSync(`/proc/${pid}`).uid;
    } catch {
      return null;
    }
  }

  program(pid: number): string | null {
    return read(`/proc/${pid}/comm`)?.trim() ?? null;
  }

  cwd(pid: number): string | null {
    try {
      return readlinkSync(`/proc/${pid}/cwd`);
    } catch {
      return null;
    }
  }

  environ(name: string, pids: readonly number[]): Map<number, string | null> {
    const out = new Map<number, string | null>();
    const prefix = `\0${name}=`;
    const me = process.getuid?.();
    for (const pid of pids) {
      if (me !== undefined && this.uid(pid) !== me) {
        out.set(pid, null);
        continue;
      }
      let env: string;
      try {
        env = `\0${readFileSync(`/proc/${pid}/environ`, 'latin1')}`;
      } catch {
        continue; // gone, or not ours to read
      }
      const at = env.indexOf(prefix);
      if (at === -1) {
        out.set(pid, null);
        continue;
      }
      const end = env.indexOf('\0', at + prefix.length);
      out.set(pid, env.slice(at + prefix.length, end === -1 ? undefined : end));
    }
    return out;
  }

  listeners(port: number, candidates?: Iterable<number>): PortListeners {
    const inodes = new Set<string>();
    for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
      for (const line of (read(table) ?? '').split('\n').slice(1)) {
        const cols = line.trim().split(/\s+/);
        if (cols.length < 10 || cols[3] !== '0A') continue; // 0A = LISTEN
        const local = cols[1]!;
        if (parseInt(local.slice(local.lastIndexOf(':') + 1), 16) === port) inodes.add(cols[9]!);
      }
    }
    if (inodes.size === 0) return { listening: false, holders: [] };
    const holders: number[] = [];
    const pids =
      candidates ??
      readdirSync('/proc')
        .filter((e) => /^\d+$/.test(e))
        .map(Number);
    for (const pid of pids) if (this.socketInodes(pid).some((i) => inodes.has(i))) holders.push(pid);
    return { listening: true, holders };
  }

  private socketInodes(pid: number): string[] {
    const out: string[] = [];
    for (const fd of this.fds(pid) ?? []) {
      try {
        const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
        if (m) out.push(m[1]!);
      } catch {
        // closed meanwhile
      }
    }
    return out;
  }

  private fds(pid: number): string[] | null {
    try {
      return readdirSync(`/proc/${pid}/fd`);
    } catch {
      return null; // gone, or another user's
    }
  }

  holdsFile(pid: number, file: Stats): boolean | null {
    const fds = this.fds(pid);
    if (fds === null) return null;
    return fds.some((fd) => {
      try {
        const s = statSync(`/proc/${pid}/fd/${fd}`);
        return s.ino === file.ino && s.dev === file.dev;
      } catch {
        return false;
      }
    });
  }

  writingToPipe(pid: number): boolean | null {
    const w = read(`/proc/${pid}/wchan`);
    return w === null ? null : w.includes('pipe_write');
  }

  pipeReaders(fd: number, among?: readonly number[]): number[] | null {
    let pipe: string;
    try {
      pipe = readlinkSync(`/proc/self/fd/${fd}`);
    } catch {
      return null;
    }
    if (!pipe.startsWith('pipe:')) return null;
    let candidates = among;
    if (!candidates) {
      const me = this.row(process.pid);
      if (!me) return null;
      candidates = this.all()
        .filter((r) => r.pid !== process.pid && (r.pid === me.ppid || r.ppid === me.ppid || r.pgrp === me.pgrp))
        .map((r) => r.pid);
    }
    return candidates.filter((pid) =>
      (this.fds(pid) ?? []).some((f) => {
        try {
          // The read end: opened O_RDONLY (the flags' access mode, octal, in fdinfo).
          return (
            readlinkSync(`/proc/${pid}/fd/${f}`) === pipe &&
            (Number.parseInt(/^flags:\s+(\d+)/m.exec(read(`/proc/${pid}/fdinfo/${f}`) ?? '')?.[1] ?? '1', 8) & 3) === 0
          );
        } catch {
          return false;
        }
      }),
    );
  }

  openFilesLimit(): number | null {
    const m = /^Max open files\s+(\d+|unlimited)/m.exec(read('/proc/self/limits') ?? '');
    return m ? (m[1] === 'unlimited' ? Infinity : Number(m[1])) : null;
  }
}

/** Fields of `ps -o` every ps knows (procps, macOS, the BSDs), `lstart` and the command last: both hold spaces. */
const PS_FIELDS = 'pid=,ppid=,pgid=,stat=,rss=,time=,lstart=';

/** `[[DD-]HH:]MM:SS[.cc]` (procps, BSD) → hundredths of a second. */
export function parseCpuTime(text: string): number {
  const [days, rest] = text.includes('-') ? text.split('-') : ['0', text];
  const parts = rest!.split(':').map(Number);
  let seconds = 0;
  for (const p of parts) seconds = seconds * 60 + p;
  return Math.round((Number(days) * 86400 + seconds) * 100);
}

/** One line of `ps -o PS_FIELDS,command=` → a row and the rest of the line. */
export function parsePsLine(line: string): { row: ProcessRow; rest: string } | null {
  const m = /^\s*(\d+)\s+(\d+)\s+(\d+)\s+(\S+)\s+(\d+)\s+(\S+)\s+(\w{3} \w{3} +\d+ [\d:]+ \d{4}) ?(.*)$/.exec(line);
  if (!m) return null;
  const start = Date.parse(m[7]!.replace(/ +/g, ' '));
  return {
    row: {
      pid: Number(m[1]),
      ppid: Number(m[2]),
      pgrp: Number(m[3]),
      state: m[4]![0]!,
      rssBytes: Number(m[5]) * 1024,
      cpuTicks: parseCpuTime(m[6]!),
      start: Number.isFinite(start) ? Math.floor(start / 1000) : 0,
    },
    rest: m[8] ?? '',
  };
}

/**
 * The value of `name` in the environment part of a `ps e` line (`NAME=value` words after the
 * arguments), or null. An environment value holding a space cannot be told from the next word;
 * fbench's own markers hold none. Pure.
 */
export function envValue(environment: string, name: string): string | null {
  for (const word of environment.split(' ')) if (word.startsWith(`${name}=`)) return word.slice(name.length + 1);
  return null;
}

/** What a `lsof -F` answer lists for one field letter (`p` pids, `n` names). */
export function lsofField(out: string, letter: string): string[] {
  return out
    .split('\n')
    .filter((l) => l.startsWith(letter))
    .map((l) => l.slice(1));
}

/** macOS and the BSDs: facts asked of `ps` and `lsof` (as bench's users have them), in their documented output forms. */
class PsLsof implements ProcessTable {
  readonly source = 'ps';
  readonly pollMs = 250;
  private lsofMissing = false;

  constructor(private readonly tools: { ps: string; lsof: string }) {}

  /** A tool's output; null when it fails or finds nothing (ps and lsof exit 1 for "none"). */
  private run(tool: 'ps' | 'lsof', args: string[]): string | null {
    if (tool === 'lsof' && this.lsofMissing) return null;
    try {
      return execFileSync(this.tools[tool], args, {
        encoding: 'utf8',
        env: { ...process.env, LC_ALL: 'C' }, // English month names in lstart
        stdio: ['ignore', 'pipe', 'ignore'],
        timeout: 5000,
        maxBuffer: 64 * 1024 * 1024,
      });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT' && tool === 'lsof') this.lsofMissing = true;
      const out = (err as { stdout?: string }).stdout;
      return typeof out === 'string' && out !== '' ? out : null;
    }
  }

  private ps(args: string[]): { row: ProcessRow; rest: string }[] {
    const out = this.run('ps', [...args, '-o', `${PS_FIELDS},command=`]);
    // Not the ps that answered: a process of a moment, new at every reading, whose marker would be asked each time.
    return (out ?? '')
      .split('\n')
      .map(parsePsLine)
      .filter(
        (r): r is { row: ProcessRow; rest: string } =>
          r !== null && !(r.row.ppid === process.pid && path.basename(r.rest.split(' ')[0]!) === path.basename(this.tools.ps)),
      );
  }

  all(): ProcessRow[] | null {
    const rows = this.ps(['-A']);
    return rows.length > 0 ? rows.map((r) => r.row) : null;
  }

  row(pid: number): ProcessRow | null {
    return this.rows([pid])[0] ?? null;
  }

  rows(pids: readonly number[]): ProcessRow[] {
    return pids.length === 0 ? [] : this.ps(['-p', pids.join(',')]).map((r) => r.row);
  }

  args(pid: number): string[] | null {
    const rest = this.ps(['-ww', '-p', String(pid)])[0]?.rest;
    return rest === undefined ? null : rest.split(' ').filter(Boolean); // ps joins the arguments with spaces
  }

  uid(pid: number): number | null {
    const n = Number(this.run('ps', ['-o', 'uid=', '-p', String(pid)])?.trim() ?? NaN);
    return Number.isInteger(n) ? n : null;
  }

  program(pid: number): string | null {
    const comm = this.run('ps', ['-o', 'comm=', '-p', String(pid)])?.trim();
    return comm ? path.basename(comm) : null; // macOS gives the executable's path
  }

  cwd(pid: number): string | null {
    return lsofField(this.run('lsof', ['-a', '-d', 'cwd', '-p', String(pid), '-Fn']) ?? '', 'n')[0] ?? null;
  }

  environ(name: string, pids: readonly number[]): Map<number, string | null> {
    const out = new Map<number, string | null>();
    if (pids.length === 0) return out;
    const wanted = new Set(pids);
    const me = process.getuid?.();
    // ps prints the environment after the arguments, with nothing between: the arguments alone
    // (one run) are cut off the front of arguments-and-environment (a second run), so that a
    // process whose own arguments read ` NAME=…` is not taken for one that has NAME.
    const argsOf = new Map<number, { uid: number; args: string }>();
    for (const line of (this.run('ps', ['-A', '-ww', '-o', 'uid=,pid=,command=']) ?? '').split('\n')) {
      const m = /^\s*(\d+)\s+(\d+) ?(.*)$/.exec(line);
      if (m && wanted.has(Number(m[2]))) argsOf.set(Number(m[2]), { uid: Number(m[1]), args: m[3]! });
    }
    // `e` for procps and the BSDs, -E on macOS.
    const envFlag = process.platform === 'darwin' ? ['-E', '-ww'] : ['eww'];
    for (const line of (this.run('ps', [...envFlag, '-A', '-o', 'pid=,command=']) ?? '').split('\n')) {
      const m = /^\s*(\d+) ?(.*)$/.exec(line);
      const pid = Number(m?.[1]);
      const known = argsOf.get(pid);
      if (!m || !known) continue;
      if (me !== undefined && known.uid !== me) {
        out.set(pid, null);
        continue;
      }
      if (!m[2]!.startsWith(known.args)) continue; // it changed its title between the two runs: asked again next time
      out.set(pid, envValue(m[2]!.slice(known.args.length), name));
    }
    return out;
  }

  listeners(port: number, candidates?: Iterable<number>): PortListeners {
    const out = this.run('lsof', ['-nP', `-iTCP:${port}`, '-sTCP:LISTEN', '-Fp']);
    if (out === null) return { listening: this.lsofMissing ? null : false, holders: [] };
    let holders = lsofField(out, 'p').map(Number);
    if (candidates) {
      const among = new Set(candidates);
      holders = holders.filter((p) => among.has(p));
    }
    return { listening: true, holders };
  }

  holdsFile(pid: number, file: Stats): boolean | null {
    const out = this.run('lsof', ['-a', '-p', String(pid), '-Fi']);
    if (out === null) return this.lsofMissing ? null : false;
    return lsofField(out, 'i').some((i) => Number(i) === file.ino);
  }

  writingToPipe(): null {
    return null;
  }

  pipeReaders(): null {
    return null; // lsof could tell, at the cost of a run each second: a follow ends at its next line instead
  }

  openFilesLimit(): number | null {
    try {
      const out = execFileSync('/bin/sh', ['-c', 'ulimit -n'], { encoding: 'utf8' }).trim(); // a child inherits this limit
      return out === 'unlimited' ? Infinity : Number(out) || null;
    } catch {
      return null;
    }
  }
}

function hasProcFs(): boolean {
  return read('/proc/self/stat') !== null;
}

/** The table read from /proc (Linux). */
export function procFsTable(): ProcessTable {
  return new ProcFs();
}

/** The table asked of ps and lsof (macOS, the BSDs); `tools` names other programs for them. */
export function psLsofTable(tools = { ps: 'ps', lsof: 'lsof' }): ProcessTable {
  return new PsLsof(tools);
}

/** The process table of this machine: /proc where it is (unless FBENCH_PROC=0), else ps and lsof. */
export const processTable: ProcessTable = process.env['FBENCH_PROC'] !== '0' && hasProcFs() ? procFsTable() : psLsofTable();
