import { timeOfDay } from '../util/units.js';
import { whatItSaid, scannerFor, type LineFinding, type LineScanner } from '../frappe/error-lines.js';
import type { Plan } from '../plan/types.js';
import type { StateEvent, Supervisor } from '../runtime/supervisor.js';
import { describeExit } from '../runtime/supervised-process.js';
import type { Clock } from '../util/clock.js';

/** One thing that went wrong in the bench, as every surface (CLI, ui, JSON, MCP) tells it. */
export interface ErrorEntry {
  kind: 'request' | 'job' | 'build' | 'crash';
  /** When it last happened (ISO 8601). */
  at: string;
  /** When it first happened (the same as `at` when once). */
  firstAt: string;
  /** How many times: the same error again is one entry. */
  count: number;
  /** The process it came from (`web.1`); for a failed job, the worker that ran it, when known. */
  process: string | null;
  /** The site it happened on, where known. */
  site: string | null;
  /** What failed: `GET /api/method/x → 500`, `job <method> on <queue>`, `asset build failed`, `worker.1 exit code 1`. */
  title: string;
  /** The exception's line, esbuild's message, or the decisive line of a crash. */
  exception: string | null;
  /** The app's frame (`apps/app/app/api.py:3 in boom`), or the file a build error names. */
  where: string | null;
  /** A failed job's whole id. */
  job?: string;
  /** The lines it was found in (a traceback, a build error, the job's story, a crash's last lines). */
  lines: string[];
  /** The command that shows more. */
  more: string;
}

/** The most entries kept: the oldest go first, and how many went is said. */
export const ERROR_ENTRIES = 200;
/** A crash entry's lines: the process's last ones. */
const CRASH_LINES = 20;

interface Kept {
  key: string;
  entry: ErrorEntry;
  atMs: number;
}

const iso = (ms: number): string => new Date(ms).toISOString();

/**
 * What went wrong while the session runs, gathered as it happens (a session part: start()
 * with the supervisor, close() at the end): failed requests and asset builds from the lines of
 * the process that printed them, crashes from the supervisor's own account of each exit. The
 * same error again is one entry with a count; at most ERROR_ENTRIES are kept.
 */
export class ErrorLog {
  private readonly kept: Kept[] = [];
  private readonly scanners = new Map<string, LineScanner | null>();
  private sup: Supervisor | null = null;
  /** Entries that were dropped to keep the bound. */
  dropped = 0;
  /** The last save fbench saw (ms), for `--since save`. */
  lastSave: number | null = null;

  constructor(private readonly session: { plan: () => Plan; clock: Clock; site: () => string | null }) {}

  start(sup: Supervisor): void {
    this.sup = sup;
    sup.on('output', this.onOutput);
    sup.on('state', this.onState);
  }

  close(): void {
    this.sup?.off('output', this.onOutput);
    this.sup?.off('state', this.onState);
    this.sup = null;
  }

  /** A save of code (a .py change, a Procfile or bench.toml edit): `--since save` counts from here. */
  noteSave(): void {
    this.lastSave = this.session.clock.now();
  }

  /** The entries gathered, newest first. */
  entries(): ErrorEntry[] {
    return [...this.kept].sort((a, b) => b.atMs - a.atMs).map((k) => k.entry);
  }

  private readonly onOutput = (name: string, text: Buffer, partial: boolean): void => {
    if (partial) return; // a prompt, not a line yet
    let scanner = this.scanners.get(name);
    if (scanner === undefined) {
      const role = this.session.plan().processes.find((p) => p.name === name)?.role;
      scanner = role ? scannerFor(role) : null;
      this.scanners.set(name, scanner);
    }
    if (!scanner) return;
    for (const line of text.toString('utf8').split('\n').slice(0, -1)) {
      const found = scanner.push(line);
      if (found) this.addFinding(name, found);
    }
  };

  private addFinding(name: string, f: LineFinding): void {
    const now = this.session.clock.now();
    this.add(`${f.kind}\0${name.replace(/\.\d+$/, '')}\0${f.title}\0${f.exception ?? ''}`, now, {
      kind: f.kind,
      process: name,
      site: f.kind === 'request' ? this.session.site() : null,
      title: f.title,
      exception: f.exception,
      where: f.where,
      lines: f.lines,
      more: `fbench logs ${name} --around ${timeOfDay(now)}`,
    });
  }

  private readonly onState = (e: StateEvent): void => {
    // A crash: an exit it is restarted after, or one that ended it for good; a clean exit of a job done is not.
    const clean = e.state === 'exited' && e.exit?.code === 0 && !e.exit.signal;
    if (!e.exit || clean || !['backoff', 'exited', 'failed'].includes(e.state)) return;
    const lines = this.sup?.process(e.name)?.ring.last(CRASH_LINES) ?? [];
    const exit = describeExit(e.exit);
    const looping = (e.crashes ?? 0) >= 3 ? `, crash-looping (${e.crashes} in a row)` : '';
    const now = this.session.clock.now();
    const decisive = whatItSaid(this.session.plan().processes.find((p) => p.name === e.name)?.role ?? 'other', lines);
    this.add(`crash\0${e.name}\0${exit}\0${decisive ?? ''}`, now, {
      kind: 'crash',
      process: e.name,
      site: null,
      title: `${e.name} ${exit}${looping}`,
      exception: decisive,
      where: null,
      lines,
      more: `fbench logs ${e.name} --around ${timeOfDay(now)}`,
    });
  };

  private add(key: string, now: number, e: Omit<ErrorEntry, 'at' | 'firstAt' | 'count'>): void {
    const same = this.kept.find((k) => k.key === key);
    if (same) {
      same.atMs = now;
      same.entry = { ...e, at: iso(now), firstAt: same.entry.firstAt, count: same.entry.count + 1 };
      return;
    }
    this.kept.push({ key, atMs: now, entry: { ...e, at: iso(now), firstAt: iso(now), count: 1 } });
    if (this.kept.length > ERROR_ENTRIES) {
      this.kept.sort((a, b) => a.atMs - b.atMs).shift();
      this.dropped++;
    }
  }
}
