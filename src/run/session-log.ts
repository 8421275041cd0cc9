import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { resolveNames } from '../plan/lookup.js';
import type { LogLine } from './control-protocol.js';

/** How much of the end of logs/fbench.log is read for `fbench logs` with no session running. */
const TAIL_BYTES = 4 * 1024 * 1024;
const LINE = /^(\d{4})-(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d)\.(\d{3}) (\S+)\s* \| (.*)$/;

/**
 * The last lines a session wrote to its log (`logs/fbench.log`), filtered as `fbench logs`
 * filters a running session's: by name (an instance, a type, a wildcard, `system`), time and
 * text. Null when there is no such file.
 */
export function readSessionLog(file: string, opts: { names: readonly string[]; n: number; since?: number; grep?: string }): LogLine[] | null {
  let text: string;
  try {
    const fd = openSync(file, 'r');
    try {
      const size = fstatSync(fd).size;
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
  const grep = opts.grep !== undefined ? new RegExp(opts.grep) : null;
  const lines: LogLine[] = [];
  let seq = 0;
  for (const raw of text.split('\n')) {
    const m = LINE.exec(raw);
    if (!m) continue;
    const time = new Date(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!, +m[7]!).getTime();
    if (opts.since !== undefined && time < opts.since) continue;
    if (grep && !grep.test(m[9]!)) continue;
    lines.push({ time, seq: seq++, name: m[8]!, text: m[9]! });
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
