import type { Role } from './roles.js';
import { decisiveRedisLine } from './redis-log.js';

/**
 * What went wrong, read from the lines one process prints, as Frappe's programs print it:
 * the dev server's traceback followed by its access line with a 5xx status (web), esbuild's
 * `✘ [ERROR]` block with the file it names (watch). Pure: each scanner sees the lines of one
 * process only, so another process cannot make it report anything.
 */

/** One thing that went wrong, as a scanner found it in a process's lines. */
export interface LineFinding {
  kind: 'request' | 'build';
  /** `GET /api/method/app.api.boom → 500`, `asset build failed`. */
  title: string;
  /** The exception's own line (`ZeroDivisionError: division by zero`), or null. */
  exception: string | null;
  /** Where in the app's code (`apps/app/app/api.py:3 in boom`), or the file esbuild names (`apps/app/app/public/js/x.js:1:7`). */
  where: string | null;
  /** The lines it was found in (the traceback, the esbuild block), bounded. */
  lines: string[];
}

/** The most lines kept of one finding: a traceback's end says the most. */
export const FINDING_LINES = 60;
/** A traceback waits this many lines for its access line (Frappe prints the traceback first). */
const ACCESS_WITHIN_LINES = 50;

// eslint-disable-next-line no-control-regex -- colours are ESC sequences
const SGR = /\x1b\[[0-9;]*m/g;
/** werkzeug's access line: `127.0.0.1 - - [07/Dec/2026 10:44:23] "GET /path HTTP/1.1" 500 -`. */
const ACCESS = /"([A-Z]{3,7}) (\S{1,2000}) HTTP\/[\d.]+" (\d{3}) /;
/** A Python traceback's frame: `  File "/b/apps/app/app/api.py", line 3, in boom`. */
const FRAME = /^\s+File "([^"]+)", line (\d+), in (.+)$/;

const keep = (lines: readonly string[]): string[] => (lines.length > FINDING_LINES ? lines.slice(-FINDING_LINES) : [...lines]);

/** The frame in the app's own code: the innermost under apps/ that is not Frappe's, else the innermost under apps/. Pure. */
export function appFrame(traceback: readonly string[]): string | null {
  const frames = traceback
    .map((l) => FRAME.exec(l))
    .filter((m) => m !== null)
    .map((m) => ({ file: m[1]!, line: m[2]!, fn: m[3]! }))
    .filter((f) => /\/apps\//.test(f.file));
  const f = frames.filter((x) => !/\/apps\/frappe\//.test(x.file)).at(-1) ?? frames.at(-1);
  return f ? `${f.file.slice(f.file.lastIndexOf('/apps/') + 1)}:${f.line} in ${f.fn}` : null;
}

/** Follows a Python traceback line by line: its lines and, once it ended, its exception line. */
class TracebackReader {
  lines: string[] | null = null;
  done: { lines: string[]; exception: string; age: number } | null = null;

  /** Takes a line; true when the line belonged to a traceback. */
  push(line: string): boolean {
    if (this.done) this.done.age++;
    if (line === 'Traceback (most recent call last):') {
      this.lines = [...(this.lines ?? []), line];
      return true;
    }
    if (this.lines === null) return false;
    // Inside: indented frames and code, the chaining sentences and the blank lines around them.
    if (/^\s/.test(line) || line === '' || /^(During handling of the above exception|The above exception was the direct cause)/.test(line)) {
      this.lines.push(line);
      if (this.lines.length > FINDING_LINES * 4) this.lines = this.lines.slice(-FINDING_LINES * 2);
      return true;
    }
    // The first line at the left margin that is none of those: the exception.
    this.lines.push(line);
    this.done = { lines: keep(this.lines), exception: line.trim(), age: 0 };
    this.lines = null;
    return true;
  }
}

/** Frappe's dev server: a 5xx access line is a failed request, with the traceback printed just before it. */
class WebScanner {
  private readonly tb = new TracebackReader();

  push(raw: string): LineFinding | null {
    const line = raw.replace(SGR, '');
    if (this.tb.push(line)) return null;
    const m = ACCESS.exec(line);
    if (!m) return null;
    const status = Number(m[3]);
    const tb = this.tb.done && this.tb.done.age <= ACCESS_WITHIN_LINES ? this.tb.done : null;
    this.tb.done = null; // a traceback belongs to the first access line after it
    if (status < 500) return null;
    const path = m[2]!.length > 200 ? `${m[2]!.slice(0, 200)}…` : m[2]!;
    return {
      kind: 'request',
      title: `${m[1]} ${path} → ${status}`,
      exception: tb?.exception ?? null,
      where: tb ? appFrame(tb.lines) : null,
      lines: keep([...(tb?.lines ?? []), line]),
    };
  }
}

/** esbuild (frappe watch / build): `✘ [ERROR] message`, then the location line and the code. */
class BuildScanner {
  private block: { message: string; lines: string[]; where: string | null; blank: number } | null = null;

  push(raw: string): LineFinding | null {
    const line = raw.replace(SGR, '');
    const start = /✘ \[ERROR\] (.+)$/.exec(line);
    if (start) {
      const before = this.finish();
      this.block = { message: start[1]!.trim(), lines: [line], where: null, blank: 0 };
      return before;
    }
    if (!this.block) return null;
    const b = this.block;
    const loc = /^\s+(\S+?):(\d+):(\d+):\s*$/.exec(line);
    if (loc && b.where === null) b.where = `${loc[1]!.replace(/^(\.\.\/)+/, '')}:${loc[2]}:${loc[3]}`;
    if (line.trim() === '') b.blank++;
    // The block ends at a line at the left margin, or at its second blank line (esbuild puts one before the location and one after the code).
    if ((!/^\s/.test(line) && line !== '') || b.blank >= 2 || b.lines.length >= FINDING_LINES) return this.finish();
    b.lines.push(line);
    return null;
  }

  private finish(): LineFinding | null {
    const b = this.block;
    this.block = null;
    if (!b) return null;
    return { kind: 'build', title: 'asset build failed', exception: b.message, where: b.where, lines: keep(b.lines) };
  }
}

export interface LineScanner {
  push(line: string): LineFinding | null;
}

/** The scanner for a process of this role, or null when its lines are not read for errors. */
export function scannerFor(role: Role): LineScanner | null {
  if (role === 'web') return new WebScanner();
  if (role === 'watch') return new BuildScanner();
  return null;
}

/**
 * The line that says why a process ended, from its last lines: the last that names an error
 * (`Error: ENOENT: no such file…`, `ModuleNotFoundError: …`), not the last line printed (npm
 * ends with "A complete log of this run can be found in …"); else the last line. Pure.
 */
export function decisiveLine(lines: readonly string[]): string | null {
  const plain = lines.map((l) => l.replace(SGR, '').trim()).filter((l) => l !== '' && !/complete log of this run can be found/i.test(l));
  const named = plain.filter((l) => /\b([A-Z]\w*)?(Error|Exception)\b|\bE[A-Z]{3,}\b:|\b(error|fatal):/.test(l)).at(-1);
  return named ?? plain.at(-1) ?? null;
}

/**
 * What a process of `role` said that tells why it ended or did not start, from its last lines:
 * a Redis's decisive log line (its FATAL CONFIG block, the listen failure), another's decisive
 * line. The one answer for the start-up messages, a failed restart and the errors list. Pure.
 */
export function whatItSaid(role: Role, lines: readonly string[]): string | null {
  return role === 'redis' ? decisiveRedisLine(lines) : decisiveLine(lines);
}

/** The site a job ran for: Frappe's ids are `<site>::<uuid>` (v15) or `<site>||<uuid>` (v16), its description says `site='…'`. Pure. */
export function jobSite(id: string, call: string): string | null {
  const fromId = /^([^:|]+)(::|\|\|)/.exec(id)?.[1];
  if (fromId) return fromId;
  return /\bsite=['"]([^'"]+)['"]/.exec(call)?.[1] ?? null;
}
