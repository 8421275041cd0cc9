import type { LogLine } from '../session/control-protocol.js';
import { plural } from '../util/plural.js';
import { visibleText } from '../util/visible-text.js';
import { selectedProcess, shownLines, type KeyContext, type KeyState } from './keys.js';
import { matchIndexes } from './log-search.js';

export const KEYS =
  '↑↓/jk select  r restart  s stop/start  a attach  l logs  / search  f filter  t traceback  z full  w wrap  e errors  x failed job  ? help  q quit';
/** The keys on a narrow screen (80 columns), q quit still in sight. */
export const KEYS_NARROW = 'jk select r restart s stop a attach l logs / find f filter t tb ? help q quit';
export const HELP = [
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

/** What the screen shows besides the panes' own rows: its lines of text and the height of each pane. */
export interface Screen {
  title: string;
  /** Which processes wait at a debugger prompt, or null. */
  prompt: string | null;
  logHeading: string;
  footer: string;
  /** The log pane's lines (the log, a failed job, the errors list). */
  lines: LogLine[];
  selected: number;
  heights: { screen: number; processes: number; queues: number; logs: number };
}

/** The screen for a state, a terminal's size and what the sessions said. Pure. */
export function screenOf(st: KeyState, ctx: KeyContext, o: { columns: number; rows: number; notice: string; queues: number | null; own: boolean }): Screen {
  const procs = ctx.processes;
  const lines = shownLines(st, ctx);
  const shown = selectedProcess(st, procs);
  const atPrompt = procs.filter((p) => p.atPrompt).map((p) => p.name);
  const processes = Math.max(3, Math.min(procs.length, Math.floor(o.rows * 0.4)));
  const queues = o.queues !== null ? Math.min(o.queues, Math.max(2, Math.floor(o.rows / 6))) : 1;
  // One line short of the screen: Ink clears the whole terminal at each frame that fills it (flicker).
  const screen = o.rows - 1;
  const logs = st.zoom ? Math.max(3, screen - 3) : Math.max(3, screen - processes - queues - 5 - (atPrompt.length > 0 ? 1 : 0));
  const hits = st.search ? matchIndexes(lines, st.search) : [];
  const where = st.search ? ` search "${st.search}" ${hits.length ? `${Math.max(1, hits.indexOf(st.match) + 1)}/${hits.length}` : 'not found'}` : '';
  return {
    title: `fbench ui · ${procs.length} processes, ${procs.filter((p) => !p.ready && p.state !== 'exited' && !p.retiring).length} not ready${o.own ? ' · q stops the bench' : ''}`,
    prompt: atPrompt.length ? `${atPrompt.join(', ')} ${atPrompt.length > 1 ? 'are' : 'is'} at a debugger prompt: select it and press a to type to it` : null,
    logHeading: st.errors
      ? st.errors.open
        ? visibleText(`ERROR ${st.errors.at + 1}/${st.errors.list.length}: ${st.errors.list[st.errors.at]?.title ?? ''}`) + ' (Esc: back to the list)'
        : `ERRORS (${st.errors.list.length}, newest first: ↑↓ choose, Enter its lines, Esc back to the logs)`
      : st.job
        ? visibleText(`FAILED JOB ${st.job.id} on ${st.job.queue}: ${st.job.method}${where}`) + ' (Esc: back to the logs)'
        : `LOGS ${st.all ? '(all processes)' : shown ? `(${shown.name})` : ''}${st.filter ? ` filter "${st.filter}"` : ''}${where}${st.scroll ? ` ${plural(st.scroll, 'line')} up (End follows)` : ' following'}`,
    footer:
      st.mode === 'attach'
        ? `attached to ${st.attached}: what you type goes to it (Enter sends), Esc detaches › ${st.input}`
        : st.mode === 'search'
          ? `search: ${st.input}`
          : st.mode === 'filter'
            ? `filter: ${st.input}`
            : o.notice || (o.columns >= KEYS.length ? KEYS : KEYS_NARROW),
    lines,
    selected: Math.min(st.selected, procs.length - 1),
    heights: { screen, processes, queues, logs },
  };
}
