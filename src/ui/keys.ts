import type { FailedJobDetail } from '../frappe/rq-jobs.js';
import type { ErrorEntry } from '../session/error-log.js';
import type { LogLine, ProcessInfo } from '../session/control-protocol.js';
import { visibleText } from '../util/visible-text.js';
import { timeOfDay } from '../util/units.js';
import { lastTrouble, lineMatches, matchIndexes, scrollTo } from './log-search.js';

export type Mode = 'normal' | 'search' | 'filter' | 'attach' | 'help';

/** A key as the terminal gave it: its character, and which named key it was. */
export interface KeyPress {
  ch: string;
  upArrow?: boolean;
  downArrow?: boolean;
  pageUp?: boolean;
  pageDown?: boolean;
  end?: boolean;
  return?: boolean;
  escape?: boolean;
  backspace?: boolean;
  delete?: boolean;
  ctrl?: boolean;
  meta?: boolean;
}

/** What a key asks of the world outside the view's state: the view's data (the sessions) and the app do it. */
export type KeyEffect =
  | { do: 'leave' }
  | { do: 'restart' | 'stop' | 'attach'; name: string }
  | { do: 'send'; text: string }
  | { do: 'detach' }
  | { do: 'errors' }
  | { do: 'failed-job' };

/** What the keys act on besides their state: the processes shown, and every line received. */
export interface KeyContext {
  processes: readonly ProcessInfo[];
  lines: readonly LogLine[];
}

/** The errors list as lines of the log pane, the chosen one marked; or, opened, that entry's lines. */
export function errorPaneLines(e: { list: ErrorEntry[]; at: number; open: boolean }): LogLine[] {
  const line = (text: string, seq: number): LogLine => ({ time: 0, seq, name: '', text: visibleText(text) });
  const chosen = e.list[e.at];
  if (e.open && chosen)
    return [chosen.title, chosen.exception ?? '', chosen.where ? `at ${chosen.where}` : '', ...chosen.lines, `→ ${chosen.more}`]
      .filter((x, i) => i === 0 || x !== '')
      .map(line);
  if (e.list.length === 0) return [line('nothing went wrong', 0)];
  return e.list.map((x, i) => {
    const when = timeOfDay(Date.parse(x.at));
    return line(
      `${i === e.at ? '›' : ' '} ${when} ${x.kind.padEnd(7)} ${x.process ?? '-'}  ${x.title}${x.exception ? ` — ${x.exception}` : ''}${x.count > 1 ? ` (×${x.count})` : ''}`,
      i,
    );
  });
}

/** A failed job as lines of the log pane: its call, then its traceback. */
function jobLines(job: FailedJobDetail): LogLine[] {
  const text = [`call: ${job.call}`, ...(job.traceback ? job.traceback.trimEnd().split('\n') : ['(no traceback stored)'])];
  return text.map((line, seq) => ({ time: job.failedAt ?? 0, seq, name: 'job', text: visibleText(line) })); // Redis's bytes: anybody's
}

/** What the keys change. One object, changed in place: keys read faster than a frame act on what the keys before them left. */
export interface KeyState {
  selected: number;
  mode: Mode;
  /** The text being typed (attach, search, filter). */
  input: string;
  search: string;
  filter: string;
  /** Lines up from the end of the log; 0 follows it. */
  scroll: number;
  /** The search's current match: an index into the lines shown, or -1. */
  match: number;
  all: boolean;
  /** The log pane on the whole screen. */
  zoom: boolean;
  wrap: boolean;
  /** The process what is typed goes to (attach), until Esc. */
  attached: string | null;
  /** The failed job shown in the log pane (x), until Esc. */
  job: FailedJobDetail | null;
  /** What went wrong (e): the list, the one chosen, and whether its lines are open; until Esc. */
  errors: { list: ErrorEntry[]; at: number; open: boolean } | null;
}

export function initialKeys(): KeyState {
  // It opens on every process's log, merged: what fails shows wherever it comes from.
  return {
    selected: 0,
    mode: 'normal',
    input: '',
    search: '',
    filter: '',
    scroll: 0,
    match: -1,
    all: true,
    zoom: false,
    wrap: false,
    attached: null,
    job: null,
    errors: null,
  };
}

/** The process selected, if any. Pure. */
export function selectedProcess(st: KeyState, processes: readonly ProcessInfo[]): ProcessInfo | undefined {
  return processes[Math.min(st.selected, Math.max(0, processes.length - 1))];
}

/** The lines the log pane shows: the errors list or entry, a failed job, or the log (one process's or all, filtered). Pure. */
export function shownLines(st: KeyState, ctx: KeyContext): LogLine[] {
  if (st.errors) return errorPaneLines(st.errors);
  if (st.job) return jobLines(st.job);
  const current = selectedProcess(st, ctx.processes);
  return ctx.lines.filter((l) => (st.all || !current || l.name === current.name) && (st.filter === '' || lineMatches(l, st.filter)));
}

/**
 * Keys typed (or pasted) faster than a frame come as one string: each is a key of its own, a
 * newline in it an Enter. Pure.
 */
export function splitKeys(input: string, key: Omit<KeyPress, 'ch'>): KeyPress[] {
  if (input.length > 1 && !key.ctrl && !key.meta)
    return [...input].map((ch) => (ch === '\r' || ch === '\n' ? { ...key, ch: '', return: true } : { ...key, ch }));
  return [{ ...key, ch: input }];
}

/** Go to the search's next match, older (-1) or newer (+1), and keep it in view. */
function step(st: KeyState, ctx: KeyContext, dir: -1 | 1): void {
  const lines = shownLines(st, ctx);
  const hits = matchIndexes(lines, st.search);
  if (hits.length === 0) return void (st.match = -1);
  const at = hits.indexOf(st.match);
  st.match = at === -1 ? hits.at(-1)! : hits[Math.min(hits.length - 1, Math.max(0, at + dir))]!;
  st.scroll = scrollTo(lines, st.match);
}

/**
 * One key: the state changed in place, and what it asks of the world returned. Pure but for
 * `st` (no I/O): the whole of the view's key handling, tested in memory.
 */
export function onKey(st: KeyState, k: KeyPress, ctx: KeyContext): KeyEffect[] {
  const ch = k.ch;
  if (st.mode === 'help') {
    st.mode = 'normal';
    return [];
  }
  if (st.mode !== 'normal') return onTyping(st, k, ctx);
  if ((k.ctrl && ch === 'c') || ch === 'q') return [{ do: 'leave' }];
  if (k.escape && st.errors?.open) {
    st.errors.open = false;
    st.scroll = 0;
    return [];
  }
  if (k.escape) {
    Object.assign(st, { search: '', filter: '', match: -1, scroll: 0, job: null, errors: null });
    return [];
  }
  const p = selectedProcess(st, ctx.processes);
  const up = k.upArrow || ch === 'k';
  const down = k.downArrow || ch === 'j';
  // In the errors list, the arrows choose an entry and Enter opens it.
  if (st.errors && !st.errors.open && up) st.errors.at = Math.max(0, st.errors.at - 1);
  else if (st.errors && !st.errors.open && down) st.errors.at = Math.min(st.errors.list.length - 1, st.errors.at + 1);
  else if (st.errors && k.return) {
    st.errors.open = st.errors.list.length > 0;
    st.scroll = 0;
  } else if (up) st.selected = Math.max(0, st.selected - 1);
  else if (down) st.selected = Math.min(ctx.processes.length - 1, st.selected + 1);
  else if (k.pageUp) st.scroll = Math.min(Math.max(0, shownLines(st, ctx).length - 1), st.scroll + 10);
  else if (k.pageDown) st.scroll = Math.max(0, st.scroll - 10);
  else if (k.end || ch === 'G') st.scroll = 0;
  else if (ch === 'l') st.all = !st.all;
  else if (ch === '?') st.mode = 'help';
  else if (ch === '/' || ch === 'f') {
    st.input = '';
    st.mode = ch === '/' ? 'search' : 'filter';
  } else if (ch === 'n' && st.search) step(st, ctx, -1);
  else if (ch === 'N' && st.search) step(st, ctx, 1);
  else if (ch === 't') {
    const lines = shownLines(st, ctx);
    const at = lastTrouble(lines);
    if (at !== -1) Object.assign(st, { scroll: scrollTo(lines, at), match: at });
  } else if (ch === 'z') st.zoom = !st.zoom;
  else if (ch === 'w') st.wrap = !st.wrap;
  else if (ch === 'e') return [{ do: 'errors' }];
  else if (ch === 'x') return [{ do: 'failed-job' }];
  else if (p && ch === 'r') return [{ do: 'restart', name: p.name }];
  // A crash-looping process has no pid between its tries: s stops it; only one that is down starts.
  else if (p && ch === 's') return [{ do: ['stopped', 'exited', 'failed'].includes(p.state) ? 'restart' : 'stop', name: p.name }];
  else if (p && ch === 'a') {
    Object.assign(st, { attached: p.name, all: false, scroll: 0, input: '', mode: 'attach' });
    return [{ do: 'attach', name: p.name }];
  }
  return [];
}

/** A key while text is typed: to the attached process, the search or the filter. */
function onTyping(st: KeyState, k: KeyPress, ctx: KeyContext): KeyEffect[] {
  const effects: KeyEffect[] = [];
  if (k.escape) {
    if (st.mode === 'attach') effects.push({ do: 'detach' });
    if (st.mode === 'search') Object.assign(st, { search: '', match: -1 });
    if (st.mode === 'filter') st.filter = '';
    Object.assign(st, { attached: null, input: '', mode: 'normal' });
  } else if (k.return) {
    if (st.mode === 'attach') effects.push({ do: 'send', text: st.input });
    if (st.mode === 'search') {
      Object.assign(st, { search: st.input, match: -1, mode: 'normal' });
      step(st, ctx, 1); // the latest match
    }
    if (st.mode === 'filter') Object.assign(st, { filter: st.input, scroll: 0, mode: 'normal' });
    st.input = '';
  } else if (k.backspace || k.delete) st.input = st.input.slice(0, -1);
  else if (k.ctrl && k.ch === 'c') effects.push(st.mode === 'attach' ? { do: 'send', text: '\x03' } : { do: 'leave' });
  else if (k.ch && !k.ctrl && !k.meta) st.input += k.ch;
  return effects;
}
