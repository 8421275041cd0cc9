import { Box, render, Text, useApp, useInput, useStdout } from 'ink';
import { useEffect, useReducer, useRef, useState } from 'react';
import wrapAnsi from 'wrap-ansi';
import { FbenchError, unreachable } from '../errors.js';
import type { LogLine, ProcessInfo, QueueStats } from '../session/control-protocol.js';
import { ViewData } from './data.js';
import { processCells } from './cells.js';
import { visibleText } from '../util/visible-text.js';
import { timeOfDay } from '../util/units.js';
import { lineMatches } from './log-search.js';
import { initialKeys, onKey, splitKeys, type KeyEffect, type KeyState } from './keys.js';
import { HELP, screenOf } from './screen.js';

/** Colours, or none at all (NO_COLOR). */
interface Theme {
  bad?: string;
  warn?: string;
  good?: string;
  dim?: string;
  accent?: string;
}
const COLORS: Theme = { bad: 'red', warn: 'yellow', good: 'green', dim: 'gray', accent: 'cyan' };

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

  const screen = screenOf(st, ctx, { columns, rows, notice: data.notice, queues: data.queues?.length ?? null, own });
  const { heights } = screen;
  if (st.mode === 'help')
    return (
      <Box flexDirection="column" width={columns} height={heights.screen}>
        <Text bold>fbench ui: keys (any key to go back)</Text>
        {HELP.map((h) => (
          <Text key={h}>{h}</Text>
        ))}
      </Box>
    );
  return (
    <Box flexDirection="column" width={columns} height={heights.screen}>
      <Text bold color={t.accent} wrap="truncate">
        {screen.title}
      </Text>
      {screen.prompt && (
        <Text color={t.warn} wrap="truncate">
          {screen.prompt}
        </Text>
      )}
      {!st.zoom && <Processes list={procs} selected={screen.selected} width={columns} height={heights.processes} t={t} />}
      {!st.zoom && (
        <Text bold wrap="truncate">
          QUEUES
        </Text>
      )}
      {!st.zoom && <Queues queues={data.queues} error={data.queuesError} height={heights.queues} t={t} />}
      <Text bold wrap="truncate">
        {screen.logHeading}
      </Text>
      <Logs lines={screen.lines} height={heights.logs} columns={columns} scroll={st.scroll} search={st.search} current={st.match} wrap={st.wrap} t={t} />
      <Text color={t.dim} wrap="truncate">
        {screen.footer}
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
