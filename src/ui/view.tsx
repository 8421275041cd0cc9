import { Box, render, Text, useApp, useInput, useStdout } from 'ink';
import { useEffect, useReducer, useRef, useState } from 'react';
import wrapAnsi from 'wrap-ansi';
import { FbenchError, unreachable } from '../errors.js';
import type { LogLine, ProcessInfo, QueueStats } from '../session/control-protocol.js';
import { ViewData } from './data.js';
import { processCells } from './cells.js';
import { visibleText } from '../util/visible-text.js';
import { timeOfDay } from '../util/units.js';
import { lineMatches, matchIndexes } from './log-search.js';
import { initialKeys, onKey, selectedProcess, shownLines, splitKeys, type KeyEffect, type KeyState } from './keys.js';

/** Colours, or none at all (NO_COLOR). */
interface Theme {
  bad?: string;
  warn?: string;
  good?: string;
  dim?: string;
  accent?: string;
}
const COLORS: Theme = { bad: 'red', warn: 'yellow', good: 'green', dim: 'gray', accent: 'cyan' };

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

/** The whole screen: processes, queues, log, footer. */
function App({ data, own }: { data: ViewData; own: boolean }) {
  const { exit } = useApp();
  const { columns, rows } = useSize();
  const [, redraw] = useReducer((v: number) => v + 1, 0);
  const st = useRef<KeyState>(initialKeys()).current;
  const attachment = useRef<{ send: (l: string) => void; close: () => void } | null>(null);
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
  const ctx = { processes: procs, lines: data.lines };
  const atPrompt = procs.filter((p) => p.atPrompt).map((p) => p.name);

  /** What a key asked of the sessions and the app. */
  const perform = (e: KeyEffect): void => {
    switch (e.do) {
      case 'leave':
        attachment.current?.close();
        return exit();
      case 'restart':
        return void data.restart(e.name);
      case 'stop':
        return void data.stop(e.name);
      case 'attach':
        attachment.current = data.attach(e.name);
        if (!attachment.current) Object.assign(st, { attached: null, mode: 'normal' });
        return;
      case 'send':
        return attachment.current?.send(e.text);
      case 'detach':
        attachment.current?.close();
        attachment.current = null;
        return;
      case 'errors':
        return void data.errors().then((list) => {
          if (typeof list === 'string') data.say(list);
          else Object.assign(st, { errors: { list, at: 0, open: false }, job: null, scroll: 0 });
          redraw();
        });
      case 'failed-job':
        return void data.failedJob().then((j) => {
          if (typeof j === 'string') data.say(j);
          else Object.assign(st, { job: j, scroll: 0 });
          redraw();
        });
      default:
        unreachable(e);
    }
  };

  useInput((input, key) => {
    data.touched();
    for (const k of splitKeys(input, key)) for (const e of onKey(st, k, ctx)) perform(e);
    redraw();
  });

  const { mode, input, all, filter, scroll, search, attached } = st;
  const lines = shownLines(st, ctx);
  const shown = selectedProcess(st, procs);
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
      ? `attached to ${attached}: what you type goes to it (Enter sends), Esc detaches › ${input}`
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
