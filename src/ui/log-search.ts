import type { LogLine } from '../session/control-protocol.js';

/** Whether a log line holds the text searched for or filtered on: in its text or its process's name, any case. Pure. */
export function lineMatches(line: LogLine, query: string): boolean {
  if (query === '') return false;
  const q = query.toLowerCase();
  return line.text.toLowerCase().includes(q) || line.name.toLowerCase().includes(q);
}

/** The indexes of the lines that match, oldest first. Pure. */
export function matchIndexes(lines: readonly LogLine[], query: string): number[] {
  const out: number[] = [];
  lines.forEach((l, i) => lineMatches(l, query) && out.push(i));
  return out;
}

/** A Python traceback's first line, or an error line: what a developer looks for first. */
const TROUBLE = /^Traceback \(most recent call last\)|\b[A-Z]\w*(Error|Exception)\b/;

/** The index of the last line that starts a traceback or names an error, or -1. Pure. */
export function lastTrouble(lines: readonly LogLine[]): number {
  for (let i = lines.length - 1; i >= 0; i--) if (TROUBLE.test(lines[i]!.text)) return i;
  return -1;
}

/** The scroll (lines up from the end) that puts line `index` at the bottom of the pane. Pure. */
export function scrollTo(lines: readonly LogLine[], index: number): number {
  return Math.max(0, lines.length - 1 - index);
}
