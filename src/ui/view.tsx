import { Box, render, Text, useApp, useInput, useStdout, type Key } from 'ink';
import { useEffect, useReducer, useRef, useState } from 'react';
import wrapAnsi from 'wrap-ansi';
import { FbenchError } from '../errors.js';
import type { FailedJobDetail } from '../frappe/rq-jobs.js';
import type { ErrorEntry } from '../session/errors.js';
import type { LogLine, ProcessInfo, QueueStats } from '../session/control-protocol.js';
import { ViewData } from './data.js';
import { processCells } from './cells.js';
import { visibleText } from '../util/visible-text.js';
import { timeOfDay } from '../util/units.js';
import { lastTrouble, lineMatches, matchIndexes, scrollTo } from './log-search.js';

/** Colours, or none at all (NO_COLOR). */
interface Theme {
  bad?: string;
  warn?: string;
  good?: string;
  dim?: string;
  accent?: string;
}
const COLORS: Theme = { bad: 'red', warn: 'yellow', good: 'green', dim: 'gray', accent: 'cyan' };

type Mode = 'normal' | 'search' | 'filter' | 'attach' | 'help';

const KEYS = '↑↓/jk select  r restart  s stop/start  a attach  l logs  / search  f filter  t traceback  z full  w wrap  e errors  x failed job  ? help  q quit';
/** The keys on a narrow screen (80 columns), q quit still in sight. */
const KEYS_NARROW = 'jk select r restart s stop a attach l logs / find f filter t tb ? help q quit';
const HELP = [
  '↑ ↓  j k      select a process',
  'r            restart it (waits for it to be ready again)',
  's            stop it, or start it when stopped',
  'a            attach: what you type goes to it (a (Pdb) prompt) until Esc',
  'l            the logs of every process, merged (at first), or of the selected one',
  '/            search the log, any case, names too (Enter finds the latest; n older, N newer), Esc clears',
  'f            show only log lines with this text (or of processes so named), Esc clears',
  't            the last traceback or error line',
  'z            the log pane on the whole screen, and back',
  'w            wrap long lines, and back',
  'e            what went wrong (failed requests, jobs, builds, crashes), newest first: ↑↓ choose, Enter its lines, Esc back',
  'x            the newest failed job: its call and traceback in the log pane (Esc: back)',
  'PgUp PgDn    scroll the log; End follows it again',
  'q  Ctrl-C    leave (fbench ui: the bench runs on; start --ui: stops it)',
];

const pad = (s: string, n: number): string => (s.length > n ? `${s.slice(0, Math.max(0, n - 1))}…` : s.padEnd(n));
function rowColor(p: ProcessInfo, t: Theme): string | undefined {
  if (p.state === 'failed' || (p.state === 'backoff' && p.crashLooping)) return t.bad;
  if (p.state === 'backoff' || (!p.ready && p.state !== 'stopped' && p.state !== 'exited')) return t.warn;
  return undefined;
}

function useSize(): { columns: number; rows: number } {
  const { stdout } = useStdout();
  const [size, setSize] = useState({ columns: stdout.columns || 80, rows: stdout.rows || 24 });
  useEffect(() => {
    const on = (): void => setSize({ columns: stdout.columns || 80, rows: stdout.rows || 24 });
    stdout.on('resize', on);
    return () => void stdout.off('resize', on);
  }, [stdout]);
  return size;
}

/** The processes pane's columns before the readiness. */
const COLUMN_WIDTHS = [16, 8, 7, 5, 3, 6, 7];

function Processes({ list, selected, width, height, t }: { list: ProcessInfo[]; selected: number; width: number; height: number; t: Theme }) {
  const first = Math.max(0, Math.min(selected - Math.floor(height / 2), list.length - height));
  // Readiness last, as in `fbench ps`: the one column of any length, cut at the screen's edge.
  const line = (c: string[]): string => c.map((cell, i) => (i < COLUMN_WIDTHS.length ? pad(cell, COLUMN_WIDTHS[i]!) : cell)).join(' ');
  return (
    <Box flexDirection="column">
      <Text bold wrap="truncate">
        {line(['NAME', 'STATE', 'PID', 'UP', 'RST', 'CPU', 'RSS', 'READY'])}
      </Text>
      {list.slice(first, first + height).map((p, i) => (
        <Text key={p.name} inverse={first + i === selected} color={rowColor(p, t)} wrap="truncate">
          {first + i === selected ? line(processCells(p)).padEnd(width) : line(processCells(p))}
        </Text>
      ))}
    </Box>
  );
}

function Queues({ queues, error, height, t }: { queues: QueueStats[] | null; error: string | null; height: number; t: Theme }) {
  if (!queues) return <Text color={t.dim}>{error ? `queues: ${error}` : 'queues: asking the queue Redis…'}</Text>;
  const now = Date.now();
  return (
    <Box flexDirection="column">
      {queues.slice(0, height).map((q) => (
        <Text key={q.queue} wrap="truncate" color={q.waiting > 0 && q.workers === 0 ? t.warn : q.failed > 0 ? t.warn : undefined}>
          {`${pad(q.queue, 10)} ${String(q.waiting).padStart(4)} waiting  ${q.workers} worker${q.workers === 1 ? '' : 's'} (${q.busy.length} busy${(q.busyElsewhere ?? []).length ? `, ${q.busyElsewhere.length} busy on ${[...new Set(q.busyElsewhere)].join(', ')}` : ''})  ${q.failed} failed`}
          {q.busy.map((b) => `  · ${visibleText(b.job?.func ?? '?')}${b.job?.startedAt ? ` ${Math.round((now - b.job.startedAt) / 1000)} s` : ''}`).join('')}
        </Text>
      ))}
    </Box>
  );
}

function Logs(props: { lines: LogLine[]; height: number; columns: number; scroll: number; search: string; current: number; wrap: boolean; t: Theme }) {
  const { lines, height, columns, scroll, search, current, wrap, t } = props;
  const end = Math.max(0, lines.length - scroll);
  const width = Math.max(6, ...lines.slice(Math.max(0, end - height), end).map((l) => l.name.length));
  // Wrapped, a line takes as many rows as Ink's wrapping gives it (terminal cells, not characters:
  // a CJK character or an emoji takes two): as many lines from the end as fill the pane.
  // A line with no name (the errors list) is drawn bare: it is fbench's own, with its own times.
  const head = (l: LogLine): string => (l.name === '' ? '' : `${timeOfDay(l.time)} ${l.name.padEnd(width)} | `);
  const rowsOf = (l: LogLine): number => (wrap ? wrapAnsi(head(l) + l.text, columns, { trim: false, hard: true }).split('\n').length : 1);
  let first = end;
  for (let used = 0; first > 0 && used + rowsOf(lines[first - 1]!) <= height; first--) used += rowsOf(lines[first - 1]!);
  const shown = lines.slice(first, end);
  return (
    <Box flexDirection="column" height={height} overflow="hidden">
      {shown.map((l, i) => (
        <Text
          key={first + i}
          wrap={wrap ? 'wrap' : 'truncate'}
          inverse={first + i === current}
          {...(first + i !== current && lineMatches(l, search) && t.accent ? { color: t.accent } : {})}
        >
          <Text color={t.dim}>{head(l)}</Text>
          {l.text}
        </Text>
      ))}
    </Box>
  );
}

/** The errors list as lines of the log pane, the chosen one marked; or, opened, that entry's lines. */
function errorPaneLines(e: { list: ErrorEntry[]; at: number; open: boolean }): LogLine[] {
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
interface KeyState {
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
  attached: { name: string; send: (l: string) => void; close: () => void } | null;
  /** The failed job shown in the log pane (x), until Esc. */
  job: FailedJobDetail | null;
  /** What went wrong (e): the list, the one chosen, and whether its lines are open; until Esc. */
  errors: { list: ErrorEntry[]; at: number; open: boolean } | null;
}

/** The whole screen: processes, queues, log, footer. */
function App({ data, own }: { data: ViewData; own: boolean }) {
  const { exit } = useApp();
  const { columns, rows } = useSize();
  const [, redraw] = useReducer((v: number) => v + 1, 0);
  // It opens on every process's log, merged: what fails shows wherever it comes from.
  const st = useRef<KeyState>({
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
  }).current;
  const t = process.env.NO_COLOR ? {} : COLORS;

  useEffect(() => {
    const ended = (): void => exit();
    data.on('change', redraw);
    data.on('ended', ended);
    return () => {
      data.off('change', redraw);
      data.off('ended', ended);
    };
  }, [data, exit]);

  const procs = data.processes();
  const current = (): ProcessInfo | undefined => procs[Math.min(st.selected, Math.max(0, procs.length - 1))];
  const shownLines = (): LogLine[] =>
    st.errors
      ? errorPaneLines(st.errors)
      : st.job
        ? jobLines(st.job)
        : data.lines.filter((l) => (st.all || !current() || l.name === current()!.name) && (st.filter === '' || lineMatches(l, st.filter)));
  /** Go to the search's next match, older (-1) or newer (+1), and keep it in view. */
  const step = (dir: -1 | 1): void => {
    const lines = shownLines();
    const hits = matchIndexes(lines, st.search);
    if (hits.length === 0) return void (st.match = -1);
    const at = hits.indexOf(st.match);
    st.match = at === -1 ? hits.at(-1)! : hits[Math.min(hits.length - 1, Math.max(0, at + dir))]!;
    st.scroll = scrollTo(lines, st.match);
  };
  const atPrompt = procs.filter((p) => p.atPrompt).map((p) => p.name);

  const leave = (): void => {
    st.attached?.close();
    exit();
  };

  useInput((input, key) => {
    data.touched();
    // Keys typed (or pasted) faster than a frame come as one string: each is a key of its own,
    // a newline in it an Enter.
    if (input.length > 1 && !key.ctrl && !key.meta)
      for (const ch of input) onKey(ch === '\r' || ch === '\n' ? '' : ch, ch === '\r' || ch === '\n' ? { ...key, return: true } : key);
    else onKey(input, key);
    redraw();
  });

  function onKey(ch: string, key: Key): void {
    if (st.mode === 'help') {
      st.mode = 'normal';
      return;
    }
    if (st.mode !== 'normal') return onTyping(ch, key);
    if ((key.ctrl && ch === 'c') || ch === 'q') return leave();
    if (key.escape && st.errors?.open) {
      st.errors.open = false;
      st.scroll = 0;
      return;
    }
    if (key.escape) return void Object.assign(st, { search: '', filter: '', match: -1, scroll: 0, job: null, errors: null });
    const p = current();
    // In the errors list, the arrows choose an entry and Enter opens it.
    if (st.errors && !st.errors.open && (key.upArrow || ch === 'k')) st.errors.at = Math.max(0, st.errors.at - 1);
    else if (st.errors && !st.errors.open && (key.downArrow || ch === 'j')) st.errors.at = Math.min(st.errors.list.length - 1, st.errors.at + 1);
    else if (st.errors && key.return) {
      st.errors.open = st.errors.list.length > 0;
      st.scroll = 0;
    } else if (key.upArrow || ch === 'k') st.selected = Math.max(0, st.selected - 1);
    else if (key.downArrow || ch === 'j') st.selected = Math.min(procs.length - 1, st.selected + 1);
    else if (key.pageUp) st.scroll = Math.min(Math.max(0, shownLines().length - 1), st.scroll + 10);
    else if (key.pageDown) st.scroll = Math.max(0, st.scroll - 10);
    else if (key.end || ch === 'G') st.scroll = 0;
    else if (ch === 'l') st.all = !st.all;
    else if (ch === '?') st.mode = 'help';
    else if (ch === '/' || ch === 'f') {
      st.input = '';
      st.mode = ch === '/' ? 'search' : 'filter';
    } else if (ch === 'n' && st.search) step(-1);
    else if (ch === 'N' && st.search) step(1);
    else if (ch === 't') {
      const lines = shownLines();
      const at = lastTrouble(lines);
      if (at !== -1) Object.assign(st, { scroll: scrollTo(lines, at), match: at });
    } else if (ch === 'z') st.zoom = !st.zoom;
    else if (ch === 'w') st.wrap = !st.wrap;
    else if (ch === 'e')
      void data.errors().then((list) => {
        if (typeof list === 'string') data.say(list);
        else Object.assign(st, { errors: { list, at: 0, open: false }, job: null, scroll: 0 });
        redraw();
      });
    else if (ch === 'x')
      void data.failedJob().then((j) => {
        if (typeof j === 'string') data.say(j);
        else Object.assign(st, { job: j, scroll: 0 });
        redraw();
      });
    else if (p && ch === 'r') void data.restart(p.name);
    // A crash-looping process has no pid between its tries: s stops it; only one that is down starts.
    else if (p && ch === 's') void (['stopped', 'exited', 'failed'].includes(p.state) ? data.restart(p.name) : data.stop(p.name));
    else if (p && ch === 'a') {
      const a = data.attach(p.name);
      if (a) Object.assign(st, { attached: { name: p.name, ...a }, all: false, scroll: 0, input: '', mode: 'attach' });
    }
  }

  /** A key while text is typed: to the attached process, the search or the filter. */
  function onTyping(ch: string, key: Key): void {
    if (key.escape) {
      if (st.mode === 'attach') st.attached?.close();
      if (st.mode === 'search') Object.assign(st, { search: '', match: -1 });
      if (st.mode === 'filter') st.filter = '';
      Object.assign(st, { attached: null, input: '', mode: 'normal' });
    } else if (key.return) {
      if (st.mode === 'attach') st.attached?.send(st.input);
      if (st.mode === 'search') {
        Object.assign(st, { search: st.input, match: -1, mode: 'normal' });
        step(1); // the latest match
      }
      if (st.mode === 'filter') Object.assign(st, { filter: st.input, scroll: 0, mode: 'normal' });
      st.input = '';
    } else if (key.backspace || key.delete) st.input = st.input.slice(0, -1);
    else if (key.ctrl && ch === 'c') {
      if (st.mode === 'attach') st.attached?.send('\x03');
      else leave();
    } else if (ch && !key.ctrl && !key.meta) st.input += ch;
  }

  const { mode, input, all, filter, scroll, search, attached } = st;
  const lines = shownLines();
  const shown = current();
  const selected = Math.min(st.selected, procs.length - 1);
  const procRows = Math.max(3, Math.min(procs.length, Math.floor(rows * 0.4)));
  const queueRows = data.queues ? Math.min(data.queues.length, Math.max(2, Math.floor(rows / 6))) : 1;
  // One line short of the screen: Ink clears the whole terminal at each frame that fills it (flicker).
  const height = rows - 1;
  const logRows = st.zoom ? Math.max(3, height - 3) : Math.max(3, height - procRows - queueRows - 5 - (atPrompt.length > 0 ? 1 : 0));
  const hits = search ? matchIndexes(lines, search) : [];
  const where = search ? ` search "${search}" ${hits.length ? `${Math.max(1, hits.indexOf(st.match) + 1)}/${hits.length}` : 'not found'}` : '';
  const footer =
    mode === 'attach'
      ? `attached to ${attached?.name}: what you type goes to it (Enter sends), Esc detaches › ${input}`
      : mode === 'search'
        ? `search: ${input}`
        : mode === 'filter'
          ? `filter: ${input}`
          : data.notice || (columns >= KEYS.length ? KEYS : KEYS_NARROW);
  const title = `fbench ui · ${procs.length} processes, ${procs.filter((p) => !p.ready && p.state !== 'exited' && !p.retiring).length} not ready${own ? ' · q stops the bench' : ''}`;

  if (mode === 'help')
    return (
      <Box flexDirection="column" width={columns} height={height}>
        <Text bold>fbench ui: keys (any key to go back)</Text>
        {HELP.map((h) => (
          <Text key={h}>{h}</Text>
        ))}
      </Box>
    );
  return (
    <Box flexDirection="column" width={columns} height={height}>
      <Text bold color={t.accent} wrap="truncate">
        {title}
      </Text>
      {atPrompt.length > 0 && (
        <Text
          color={t.warn}
          wrap="truncate"
        >{`${atPrompt.join(', ')} ${atPrompt.length > 1 ? 'are' : 'is'} at a debugger prompt: select it and press a to type to it`}</Text>
      )}
      {!st.zoom && <Processes list={procs} selected={selected} width={columns} height={procRows} t={t} />}
      {!st.zoom && (
        <Text bold wrap="truncate">
          QUEUES
        </Text>
      )}
      {!st.zoom && <Queues queues={data.queues} error={data.queuesError} height={queueRows} t={t} />}
      <Text bold wrap="truncate">
        {st.errors
          ? st.errors.open
            ? visibleText(`ERROR ${st.errors.at + 1}/${st.errors.list.length}: ${st.errors.list[st.errors.at]?.title ?? ''}`) + ' (Esc: back to the list)'
            : `ERRORS (${st.errors.list.length}, newest first: ↑↓ choose, Enter its lines, Esc back to the logs)`
          : st.job
            ? visibleText(`FAILED JOB ${st.job.id} on ${st.job.queue}: ${st.job.method}${where}`) + ' (Esc: back to the logs)'
            : `LOGS ${all ? '(all processes)' : shown ? `(${shown.name})` : ''}${filter ? ` filter "${filter}"` : ''}${where}${scroll ? ` ${scroll} lines up (End follows)` : ' following'}`}
      </Text>
      <Logs lines={lines} height={logRows} columns={columns} scroll={scroll} search={search} current={st.match} wrap={st.wrap} t={t} />
      <Text color={t.dim} wrap="truncate">
        {footer}
      </Text>
    </Box>
  );
}

/** The terminal's alternate screen: the view leaves the shell's scrollback as it found it. */
const ENTER = '\x1b[?1049h\x1b[H';
const LEAVE = '\x1b[?1049l';

/**
 * `fbench ui` (and `start --ui`): a full-screen view of the sessions behind these control
 * sockets, until it is left (q, Ctrl-C) or every session ends. The terminal is put back as it
 * was on every way out, an error included.
 */
export async function runView(opts: { sockets: string[]; own: boolean }): Promise<void> {
  if (!process.stdout.isTTY || !process.stdin.isTTY)
    throw new FbenchError(
      'fbench ui needs a terminal (stdin and stdout), and this is not one',
      'run it in a terminal, or use `fbench ps` and `fbench logs -f`',
    );
  const data = new ViewData(opts.sockets);
  const restore = (): void => void process.stdout.write(LEAVE);
  process.stdout.write(ENTER);
  process.once('exit', restore);
  data.start();
  // Each frame goes out whole inside a synchronized update (DEC 2026), which a terminal shows at
  // once: no flicker. (Ink's incremental mode garbles the screen when a line comes or goes.)
  const app = render(<App data={data} own={opts.own} />, { exitOnCtrlC: false, patchConsole: false, maxFps: 10 });
  try {
    await app.waitUntilExit();
  } finally {
    app.unmount();
    app.cleanup();
    data.close();
    restore();
    process.off('exit', restore);
    process.stdin.setRawMode?.(false);
    process.stdin.pause();
  }
  if (data.sessions.every((s) => s.gone)) process.stderr.write('fbench: the session has ended\n');
}
