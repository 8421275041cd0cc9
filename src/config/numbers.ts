import { FbenchError, type SourceLocation } from '../errors.js';

/** Instances of one process type, and in a whole formation: past these, a typo, not a bench. */
export const MAX_PER_TYPE = 64;
export const MAX_PROCESSES = 256;
/** Longest --grace / --ready-timeout accepted. */
export const MAX_SECONDS = 24 * 3600;

/**
 * The one place numbers from the command line and from config files are checked. `what` names
 * the option or key (`-n`, `background_workers`); `where` the file, for config values. Pure.
 */
function fail(what: string, value: unknown, expected: string, example: number | string, where?: SourceLocation): never {
  // A config key is shown as JSON, an option as typed (`-c worker=2` keeps its "=").
  const typed = what.startsWith('-c ') ? `${what}=${example}` : `${what} ${example}`;
  throw new FbenchError(`${what} must be ${expected}, got ${JSON.stringify(value)}`, `for example ${where ? `"${what}": ${example}` : typed}`, where);
}

function wholeNumber(value: unknown): number | null {
  const n = typeof value === 'number' ? value : typeof value === 'string' && /^\s*\d+\s*$/.test(value) ? Number(value) : NaN;
  return Number.isSafeInteger(n) ? n : null;
}

export function parsePort(value: unknown, what: string, where?: SourceLocation): number {
  const n = wholeNumber(value);
  if (n === null || n < 1 || n > 65535) fail(what, value, 'a port number from 1 to 65535', 8000, where);
  return n;
}

/** A whole number from `min` to `max`. */
export function parseWhole(value: unknown, what: string, min: number, max: number, where?: SourceLocation): number {
  const n = wholeNumber(value);
  if (n === null || n < min || n > max) fail(what, value, `a whole number from ${min} to ${max}`, Math.max(min, 2), where);
  return n;
}

/** A count of processes: 0 (leave out) to MAX_PER_TYPE; `min` 1 where 0 means nothing. */
export function parseCount(value: unknown, what: string, where?: SourceLocation, min = 0): number {
  return parseWhole(value, what, min, MAX_PER_TYPE, where);
}

/** A number of seconds, fractions allowed (`--grace 2.5`). */
export function parseSeconds(value: unknown, what: string, min = 0): number {
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : typeof value === 'number' ? value : NaN;
  if (!Number.isFinite(n) || n < min || n > MAX_SECONDS) fail(what, value, `a number of seconds from ${min} to ${MAX_SECONDS}`, 5);
  return n;
}

/** A duration as `fbench logs --since` takes it: `90`, `30s`, `10m`, `2h`, `1d`; in seconds. */
export function parseDuration(value: string, what: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*$/.exec(value);
  if (!m) fail(what, value, 'a duration like 90, 30s, 10m, 2h or 1d', '10m');
  return Number(m[1]) * { '': 1, s: 1, m: 60, h: 3600, d: 86400 }[m[2] as '' | 's' | 'm' | 'h' | 'd'];
}

/**
 * A time of day as the terminal shows it (`10:44:23`, `10:44`), as the last such moment up to
 * `now` (ms since the epoch): today's, or yesterday's when today's has not come yet. Pure.
 */
export function parseClockTime(value: string, what: string, now: number): number {
  const m = /^\s*(\d{1,2}):(\d\d)(?::(\d\d))?\s*$/.exec(value);
  if (!m || Number(m[1]) > 23 || Number(m[2]) > 59 || Number(m[3] ?? 0) > 59) fail(what, value, 'a time of day like 10:44:23', '10:44:23');
  const d = new Date(now);
  d.setHours(Number(m[1]), Number(m[2]), Number(m[3] ?? 0), 0);
  if (d.getTime() > now + 1000) d.setDate(d.getDate() - 1);
  return d.getTime();
}
