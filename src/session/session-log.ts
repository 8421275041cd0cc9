import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import { resolveNames } from '../plan/lookup.js';
import type { LogLine } from './control-protocol.js';

/** How much of the end of logs/fbench.log is read for `fbench logs` with no session running. */
const TAIL_BYTES = 4 * 1024 * 1024;
/** A new day: the date of the lines below it. */
const DAY = /^---- (\d{4})-(\d\d)-(\d\d)$/;
const LINE = /^(\d\d):(\d\d):(\d\d) (\S+)\s* \| (.*)$/;

/**
 * The last lines a session wrote to its log (`logs/fbench.log`), filtered as `fbench logs`
 * filters a running session's: by name (an instance, a type, a wildcard, `system`), time and
 * text. Null when there is no such file.
 */
export function readSessionLog(file: string, opts: { names: readonly string[]; n: number; since?: number }): LogLine[] | null {
  let text: string;
  let modified: Date;
  try {
    const fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK);
    try {
      const st = fstatSync(fd);
      if (!st.isFile()) return null; // a FIFO or device: nothing fbench wrote
      const size = st.size;
      modified = st.mtime;
      const len = Math.min(size, TAIL_BYTES);
      const buf = Buffer.alloc(len);
      readSync(fd, buf, 0, len, size - len);
      text = buf.toString('utf8');
      if (len < size) text = text.slice(text.indexOf('\n') + 1);
    } finally {
      closeSync(fd);
    }
  } catch {
    return null;
  }
  const lines: LogLine[] = [];
  let seq = 0;
  // Lines above the first day line read (the tail of a long file, a file begun by rotation) are
  // of the day before it; with no day line at all, of the day the file was last written.
  const first = DAY.exec(text.match(/^---- \d{4}-\d\d-\d\d$/m)?.[0] ?? '');
  const before = first ? new Date(+first[1]!, +first[2]! - 1, +first[3]! - 1) : modified;
  let day: [number, number, number] = [before.getFullYear(), before.getMonth(), before.getDate()];
  for (const raw of text.split('\n')) {
    const d = DAY.exec(raw);
    if (d) {
      day = [+d[1]!, +d[2]! - 1, +d[3]!];
      continue;
    }
    const m = LINE.exec(raw);
    if (!m) continue;
    const time = new Date(day[0], day[1], day[2], +m[1]!, +m[2]!, +m[3]!).getTime();
    if (opts.since !== undefined && time < opts.since) continue;
    lines.push({ time, seq: seq++, name: m[4]!, text: m[5]! });
  }
  let kept = lines;
  if (opts.names.length) {
    const procs = [...new Set(lines.map((l) => l.name))].map((name) => ({ name, type: name.replace(/\.\d+$/, ''), role: '' }));
    const wanted = new Set(resolveNames(procs, opts.names, { option: 'logs', skipUnknown: true }));
    kept = lines.filter((l) => wanted.has(l.name));
  }
  // The last n of each name, in the order they came.
  const count = new Map<string, number>();
  return kept
    .reverse()
    .filter((l) => {
      const c = (count.get(l.name) ?? 0) + 1;
      count.set(l.name, c);
      return c <= opts.n;
    })
    .reverse();
}
