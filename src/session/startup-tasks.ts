import { PONG } from '../health/redis-ping.js';
import { realClock, type Clock } from '../util/clock.js';
import { Listr } from 'listr2';
import type { Printer } from '../output/printer.js';
import type { Plan } from '../plan/types.js';
import { listenTo, type ReadySummary, type StateEvent, type Supervisor } from '../runtime/supervisor.js';
import { lastWords } from './reporter.js';

/** What the task list listens to (a Supervisor). */
export type StartupEvents = Pick<Supervisor, 'on' | 'off' | 'done' | 'process'>;

/** One row of the list: a process, or all the instances of a type when the processes do not fit the screen. */
interface Row {
  title: string;
  names: string[];
}

/** The rows: one per process, or one per type when that would be taller than the screen. Pure. */
export function taskRows(plan: Plan, screenRows: number): Row[] {
  const names = [...plan.externals.map((x) => x.url), ...plan.processes.map((p) => p.name)];
  if (names.length + 2 <= screenRows) return names.map((n) => ({ title: n, names: [n] }));
  const byType = new Map<string, string[]>();
  for (const x of plan.externals) byType.set(x.url, [x.url]);
  for (const p of plan.processes) byType.set(p.type, [...(byType.get(p.type) ?? []), p.name]);
  return [...byType].map(([type, members]) => ({ title: members.length > 1 ? `${type} (${members.length})` : members[0]!, names: members }));
}

/** A wait this long shows its reason on the row (a local Redis is refused for its first few ms). */
const PENDING_SHOWN_MS = 2000;
type Outcome = { ok: true; what: string } | { ok: false; why: string };

/**
 * On a terminal: a listr2 task list of the start-up, one row per process (or per type when the
 * processes do not fit): waiting → starting → ✔ what is ready, ✖ why not (an exit with its last
 * line), or not started (skipped) when start-up failed or was stopped first. The log stream is
 * held back meanwhile and handed over when the list is done. listr2 never handles a signal here:
 * Ctrl-C stops the bench as at any other moment.
 */
export class StartupTasks {
  readonly done: Promise<void>;
  private finish!: () => void;
  private latest = new Map<string, StateEvent>();
  /** Why each readiness still waits, as its check last said. */
  private readonly pending = new Map<string, string>();
  private outcomes = new Map<string, Outcome>();
  private listeners = new Map<string, () => void>();
  private ended: string | null = null;
  private closed = false;
  private readonly t0: number;
  private list: Listr<unknown, 'default' | 'silent', 'simple'> | null = null;

  constructor(
    private readonly sup: StartupEvents,
    private readonly printer: Printer,
    private readonly plan: Plan,
    private readonly opts: { screenRows: number; renderer?: 'default' | 'silent'; clock?: Clock },
  ) {
    this.t0 = this.now();
    this.done = new Promise((r) => (this.finish = r));
  }

  private unlisten = (): void => {};

  start(): void {
    this.printer.suspend();
    // The supervisor's events the rows follow, each with its handler.
    this.unlisten = listenTo(this.sup, {
      state: this.onState,
      ready: this.onReady,
      'startup-failed': this.onFailed,
      'startup-incomplete': this.onIncomplete,
      'not-ready': this.onNotReady,
      pending: this.onPending,
    });
    void this.sup.done.then(() => this.end('stopped before it was ready'));
    const rows = taskRows(this.plan, this.opts.screenRows);
    const list = (this.list = new Listr(
      rows.map((row) => ({
        title: `${row.title}: waiting`,
        task: (_ctx: unknown, task: { title: string; skip: (m: string) => void }) => this.run(row, task),
      })),
      {
        concurrent: true,
        exitOnError: false,
        registerSignalListeners: false,
        renderer: this.opts.renderer ?? 'default',
        rendererOptions: { collapseErrors: false, showErrorMessage: false, collapseSkips: true, suffixSkips: false },
      },
    ));
    void list
      .run()
      .catch(() => {})
      .then(() => this.close());
  }

  private now(): number {
    return (this.opts.clock ?? realClock).now();
  }

  /** What each row says now (a row skipped because start-up ended says why, as the terminal shows it with collapseSkips). */
  titles(): string[] {
    return this.list?.tasks.map((t) => String(t.message.skip ?? t.title)) ?? [];
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.unlisten();
    this.end('the session ended');
    this.printer.resume();
    this.finish();
  }

  /** Start-up is over (ready, failed or stopped): every row not yet told is told now. */
  private end(why: string): void {
    if (this.ended) return;
    this.ended = why;
    for (const l of [...this.listeners.values()]) l();
  }

  private readonly onState = (e: StateEvent): void => {
    this.latest.set(e.name, e);
    if (e.state === 'ready') this.outcomes.set(e.name, { ok: true, what: e.readiness === PONG ? `ready (${PONG})` : (e.readiness ?? 'ready') });
    else if (e.state === 'failed' && e.error) this.outcomes.set(e.name, { ok: false, why: this.withLastLine(e.name, e.error) });
    this.listeners.get(e.name)?.();
  };

  /** Why a row still waits, shown on it once the wait outlasts a local Redis's first moments. */
  private readonly onPending = (name: string, why: string): void => {
    if (this.pending.get(name) === why) return;
    this.pending.set(name, why);
    this.listeners.get(name)?.();
  };

  /**
   * Not ready, at least not yet: its row ends ✖ with why, so the held-back logs flow; one that
   * exited is started again (said on the row), and its ready line comes in the stream.
   */
  private readonly onNotReady = (name: string, why: string): void => {
    const line = this.withLastLine(name, why);
    this.outcomes.set(name, { ok: false, why: /exit|killed/.test(why) ? `${line}; starting it again` : line });
    this.listeners.get(name)?.();
  };

  private readonly onReady = (r: ReadySummary): void => {
    for (const n of r.notReady) if (!this.outcomes.has(n.name)) this.outcomes.set(n.name, { ok: false, why: this.withLastLine(n.name, n.why) });
    this.end('ready');
  };

  private readonly onIncomplete = (r: ReadySummary): void => {
    for (const n of r.notReady) this.outcomes.set(n.name, { ok: false, why: this.withLastLine(n.name, n.why) });
    this.end('start-up did not complete in time');
  };

  private readonly onFailed = (name: string, why: string): void => {
    this.outcomes.set(name, { ok: false, why: this.withLastLine(name, why) });
    this.end(`${name} failed`);
  };

  private withLastLine(name: string, why: string): string {
    const last = /exit|killed/.test(why) ? lastWords(this.sup, this.plan, name) : null;
    return last ? `${why}: ${last}` : why;
  }

  /** One row: resolves ✔ when all its processes are ready, throws ✖ when one is not, skips when start-up ended first. */
  private run(row: Row, task: { title: string; skip: (m: string) => void }): Promise<void> {
    return new Promise((resolve, reject) => {
      let over = false;
      const settle = (): void => {
        over = true;
        for (const n of row.names) this.listeners.delete(n);
      };
      const update = (): void => {
        if (over) return;
        const outs = row.names.map((n) => this.outcomes.get(n));
        const failed = row.names.find((_, i) => outs[i]?.ok === false);
        const ms = this.now() - this.t0;
        if (failed) {
          settle();
          const o = this.outcomes.get(failed) as { why: string };
          task.title = `${row.names.length > 1 ? `${row.title}: ${failed}` : row.title}: ${o.why}`;
          reject(new Error(o.why));
          return;
        }
        if (outs.every((o) => o?.ok === true)) {
          settle();
          task.title = `${row.title}: ${(outs[0] as { what: string }).what} after ${ms} ms`;
          resolve();
          return;
        }
        if (this.ended) {
          settle();
          const ran = row.names.some((n) => this.latest.has(n) && this.latest.get(n)!.state !== 'waiting');
          task.skip(`${row.title}: ${ran ? 'stopped before it was ready' : 'not started'} (${this.ended})`);
          resolve();
          return;
        }
        const started = row.names.map((n) => this.latest.get(n)).filter((e) => e && e.state === 'running');
        const why = ms >= PENDING_SHOWN_MS ? row.names.map((n) => this.pending.get(n)).find(Boolean) : undefined;
        if (started.length > 0)
          task.title =
            row.names.length > 1 ? `${row.title}: ${started.length} of ${row.names.length} starting` : `${row.title}: starting (pid ${started[0]!.pid})`;
        else if (why) task.title = `${row.title}: waiting`;
        if (why) task.title += ` — ${why}`;
      };
      for (const n of row.names) this.listeners.set(n, update);
      update();
    });
  }
}
