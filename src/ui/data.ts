import { EventEmitter } from 'node:events';
import { realClock, type Clock } from '../util/clock.js';
import type { FailedJobDetail } from '../frappe/rq-jobs.js';
import { act, ask, connect, restartWords, type Connection } from '../client/control-client.js';
import { has, messageWith, type LogLine, type ProcessInfo, type QueueStats } from '../session/control-protocol.js';
import { shownOf } from './cells.js';
import { visibleText } from '../util/visible-text.js';
import { sessionErrors } from '../client/bench-errors.js';
import type { ErrorEntry } from '../session/error-log.js';

/**
 * How often the processes and the queues (a few Redis commands) are asked for: together, so the
 * two panes show the same moment (a busy worker in both), as often as top-like views refresh.
 */
const REFRESH_MS = 2000;
/** With nobody at the keys for AT_REST_AFTER_MS, processes and queues are asked for this seldom: a view left open costs little. */
const AT_REST_REFRESH_MS = 5000;
const AT_REST_AFTER_MS = 30_000;
/** Lines and queue changes are drawn at most this often: a burst of lines is one redraw, a key is drawn at once. */
const REDRAW_MS = 250;
/** How long the footer says what a key did. */
const NOTICE_MS = 6000;
/** Lines kept for scrolling back: at most this many, the oldest go first. */
const MAX_LINES = 20_000;
/** Lines asked for per process when the view opens. */
const BACKLOG = 1000;

/** A session the view shows. */
export interface ViewSession {
  socket: string;
  processes: ProcessInfo[];
  gone: boolean;
}

/**
 * What the view shows, fetched from the sessions' control sockets for as long as it is open:
 * their processes and queues every two seconds, and every line they print (kept in one
 * bounded list, in the order they came). Emits 'change' — at most ten times a second however
 * fast lines come — and 'ended' when every session has gone.
 */
export class ViewData extends EventEmitter {
  readonly sessions: ViewSession[];
  lines: LogLine[] = [];
  queues: QueueStats[] | null = null;
  queuesError: string | null = null;
  /** Said in the footer: the outcome of the last key (a restart, a refusal). */
  notice = '';
  private timers: (() => void)[] = [];
  private cancelNotice: (() => void) | null = null;
  private follows: Connection[] = [];
  /** A redraw is due (lines came, queues changed): the view is told at most every REDRAW_MS, and not woken at all when nothing came. */
  private redrawDue: (() => void) | null = null;
  private closed = false;

  constructor(
    sockets: readonly string[],
    private readonly clock: Clock = realClock,
  ) {
    super();
    this.sessions = sockets.map((socket) => ({ socket, processes: [], gone: false }));
  }

  start(): void {
    this.lastKeyAt = this.clock.now(); // just opened: somebody is looking
    void this.poll();
    void this.pollQueues();
    let cancel = (): void => {};
    const tick = (): void => {
      void this.poll();
      void this.pollQueues();
      cancel = this.clock.setTimer(this.refreshMs(), tick);
    };
    cancel = this.clock.setTimer(REFRESH_MS, tick);
    this.timers.push(() => cancel());
    for (const s of this.sessions) this.follow(s);
  }

  close(): void {
    this.closed = true;
    for (const cancel of this.timers) cancel();
    this.redrawDue?.();
    this.cancelNotice?.();
    for (const f of this.follows) f.close();
  }

  private lastKeyAt = -Infinity;

  /** Somebody pressed a key: processes and queues are asked for every REFRESH_MS again (and now). */
  touched(): void {
    const atRest = this.clock.now() - this.lastKeyAt >= AT_REST_AFTER_MS;
    this.lastKeyAt = this.clock.now();
    if (atRest) {
      void this.poll();
      void this.pollQueues();
    }
  }

  private refreshMs(): number {
    return this.clock.now() - this.lastKeyAt < AT_REST_AFTER_MS ? REFRESH_MS : AT_REST_REFRESH_MS;
  }

  /** Every process of every session, in their order. */
  processes(): ProcessInfo[] {
    return this.sessions.flatMap((s) => s.processes);
  }

  private sessionOf(name: string): ViewSession | undefined {
    return this.sessions.find((s) => s.processes.some((p) => p.name === name));
  }

  async restart(name: string): Promise<void> {
    const s = this.sessionOf(name);
    if (!s) return;
    this.say(`restarting ${name}…`);
    // What the session says while it waits (a job to finish) is said here too, as in its terminal.
    const got = await act(s.socket, { cmd: 'restart', names: [name] }, (said) => this.say(said)).done.catch((err: Error) => err.message);
    const r = typeof got === 'string' ? got : got?.results[0];
    this.say(typeof r === 'string' ? r : r ? restartWords(r) : 'no answer');
    void this.poll(); // its row as it is now, not at the next refresh
  }

  async stop(name: string): Promise<void> {
    const s = this.sessionOf(name);
    if (!s) return;
    this.say(`stopping ${name}…`);
    const got = await act(s.socket, { cmd: 'stop', names: [name] }, (said) => this.say(said)).done.catch((err: Error) => err.message);
    this.say(typeof got === 'string' ? got : `stopped ${got?.stopped.join(', ') ?? name}`);
    void this.poll();
  }

  /** The newest failed job of the bench with its traceback (from the first session that answers), or why not. */
  async failedJob(): Promise<FailedJobDetail | string> {
    const s = this.sessions.find((x) => !x.gone);
    if (!s) return 'no session to ask';
    try {
      const answer = messageWith(await ask(s.socket, { cmd: 'failed-job' }), 'job');
      return answer ? (answer.job ?? 'no failed jobs') : 'no answer';
    } catch (err) {
      return (err as Error).message;
    }
  }

  /** What went wrong in the bench, newest first (from every session that answers), or why not. */
  async errors(): Promise<ErrorEntry[] | string> {
    const live = this.sessions.filter((x) => !x.gone);
    if (live.length === 0) return 'no session to ask';
    return sessionErrors(live.map((s) => s.socket)).then(
      (r) => r.errors,
      (err: Error) => err.message,
    );
  }

  /** What is typed goes to the process's stdin until `close`; its lines come as usual. */
  attach(name: string): { send: (line: string) => void; close: () => void } | null {
    const s = this.sessionOf(name);
    if (!s) return null;
    const conn = connect(s.socket, { cmd: 'attach', name, who: `fbench ui (pid ${process.pid})` }, (m) => {
      if (has(m, 'error')) this.say(m.error);
    });
    conn.done.catch(() => {});
    return { send: (line) => conn.send({ input: `${line}\n` }), close: () => conn.close() };
  }

  /** The footer says it for a few seconds, then shows the keys again. */
  say(notice: string): void {
    this.notice = notice;
    this.cancelNotice?.();
    this.cancelNotice = this.clock.setTimer(NOTICE_MS, () => {
      this.notice = '';
      this.emit('change');
    });
    this.emit('change');
  }

  private async poll(): Promise<void> {
    let changed = false;
    await Promise.all(
      this.sessions.map(async (s) => {
        if (s.gone) return;
        try {
          const ps = messageWith(await ask(s.socket, { cmd: 'ps' }, 10_000), 'processes');
          if (!ps) return;
          const next = ps.processes;
          // Redrawn only when something shown changed (an idle bench changes little).
          if (shownOf(next) !== shownOf(s.processes)) changed = true;
          s.processes = next;
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code === 'ETIMEDOUT') return; // busy (a loaded machine): asked again at the next refresh
          s.gone = true;
          changed = true;
        }
      }),
    );
    if (this.closed) return;
    if (changed) this.emit('change');
    if (this.sessions.every((s) => s.gone)) this.emit('ended');
  }

  private async pollQueues(): Promise<void> {
    const s = this.sessions.find((x) => !x.gone);
    if (!s) return;
    try {
      const q = messageWith(await ask(s.socket, { cmd: 'queues' }, 3000), 'queues');
      this.setQueues(q ? q.queues : this.queues, q ? null : 'no answer');
    } catch (err) {
      this.setQueues(this.queues, (err as Error).message);
    }
  }

  private setQueues(queues: QueueStats[] | null, error: string | null): void {
    // A busy job's running time is shown: it moves on while the job runs.
    const busy = queues?.some((q) => q.busy.length > 0) ?? false;
    if (!busy && JSON.stringify(queues) === JSON.stringify(this.queues) && error === this.queuesError) return;
    this.queues = queues;
    this.queuesError = error;
    this.markDirty();
  }

  private markDirty(): void {
    if (this.redrawDue || this.closed) return;
    this.redrawDue = this.clock.setTimer(REDRAW_MS, () => {
      this.redrawDue = null;
      this.emit('change');
    });
  }

  private follow(s: ViewSession): void {
    const conn = connect(s.socket, { cmd: 'logs', names: [], n: BACKLOG, follow: true }, (m) => {
      if (has(m, 'line')) this.add(m.line);
      else if (has(m, 'skipped')) this.add({ time: Date.now(), seq: 0, name: 'system', text: `… ${m.skipped} lines skipped (the view was not keeping up)` });
    });
    conn.done.then(
      () => (s.gone = true),
      () => (s.gone = true),
    );
    this.follows.push(conn);
  }

  private add(line: LogLine): void {
    // The view is drawn by fbench: a process's escape sequences must not reach the terminal through it.
    this.lines.push({ ...line, text: visibleText(line.text) });
    if (this.lines.length > MAX_LINES + 1000) this.lines = this.lines.slice(-MAX_LINES);
    this.markDirty();
  }
}
