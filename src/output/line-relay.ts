import type { Readable } from 'node:stream';
import { realClock, type Clock } from '../util/clock.js';
import type { Printer } from './printer.js';

const NEWLINE = Buffer.from('\n');
const CR = 13;
const ESC = 0x1b;

/** How long a partial line (a `(Pdb) ` prompt) must be quiet for before it is shown without its newline. */
export const PARTIAL_LINE_IDLE_MS = 80;
/** However busy the writer looks, a partial line is shown after this long without a byte. */
export const PARTIAL_LINE_MAX_MS = 2000;
/** A line redrawn with "\r" (a progress bar) shows its latest state on the terminal at most this often. */
export const REDRAW_EVERY_MS = 1000;
/** A line longer than this is cut, with a visible mark, so one endless line cannot take all memory. */
export const MAX_LINE_BYTES = 32 * 1024 * 1024;
const CUT_MARK = Buffer.from(` [… line cut at ${MAX_LINE_BYTES / 1024 / 1024} MiB]\n`);

/**
 * What a line redrawn with "\r" finally shows: the text after its last "\r" (a "\r" right
 * before the end, as in "\r\n", is no redraw), without the escape sequences that move the
 * cursor or erase (yarn's `ESC[2K ESC[1G` before each line would wipe the `time name |`
 * prefix); colours stay. `line` is without its newline.
 */
export function finalState(line: Buffer): Buffer {
  let end = line.length;
  while (end > 0 && line[end - 1] === CR) end--;
  const cr = line.lastIndexOf(CR, end - 1);
  return withoutCursorMoves(cr === -1 ? line.subarray(0, end) : line.subarray(cr + 1, end));
}

/** A CSI sequence (ESC [ parameters final) whose final byte is not `m` (colour) moves the cursor or erases: dropped. Pure. */
export function withoutCursorMoves(line: Buffer): Buffer {
  let esc = line.indexOf(ESC);
  if (esc === -1) return line;
  const parts: Buffer[] = [];
  let from = 0;
  for (; esc !== -1; esc = line.indexOf(ESC, esc + 1)) {
    if (line[esc + 1] !== 0x5b) continue; // not ESC [
    let j = esc + 2;
    while (j < line.length && line[j]! >= 0x20 && line[j]! <= 0x3f) j++; // parameters and intermediates
    if (j >= line.length || line[j] === 0x6d) continue; // cut short, or a colour: kept
    parts.push(line.subarray(from, esc));
    from = j + 1;
    esc = j;
  }
  if (from === 0) return line;
  parts.push(line.subarray(from));
  return Buffer.concat(parts);
}

/** Whole lines with every redrawn line replaced by its final state. */
function finalStates(lines: Buffer): Buffer {
  if (lines.indexOf(CR) === -1 && lines.indexOf(ESC) === -1) return lines;
  const parts: Buffer[] = [];
  for (let from = 0; from < lines.length;) {
    const nl = lines.indexOf(10, from);
    parts.push(finalState(lines.subarray(from, nl)), NEWLINE);
    from = nl + 1;
  }
  return Buffer.concat(parts);
}

export interface RelayOptions {
  /** Each run of whole lines (redrawn lines in their final state), for the log ring and log files; `partial`: shown before its newline came (a prompt). */
  onText?: (lines: Buffer, partial: boolean) => void;
  /** Whether a line is printed on the terminal: false for a quiet process; a function decides per line (a Redis's boot banner). */
  show?: boolean | ((line: Buffer) => boolean);
  idleMs?: number;
  /**
   * True while the writer is still running (preempted mid-line rather than waiting for
   * input): the partial line then waits on, so a line is never cut in two by a busy CPU.
   */
  writerBusy?: () => boolean;
  clock?: Clock;
}

/**
 * Relays a child's stream to the printer in whole lines, as a session-long part of its process:
 * text up to the last newline of each read goes out at once; the rest waits for its newline, or
 * until the writer has been quiet (not blocked, not running) for a short while. A line redrawn
 * with "\r" is one line: its latest state on the terminal at most once a second, its final
 * state everywhere once it ends. `done` settles when the stream ends and its last line is out.
 */
export class LineRelay {
  readonly done: Promise<void>;
  /** The partial line as chunks: joined once when it ends, not at every read (a 16 MB line is 256 reads). */
  private partial: Buffer[] = [];
  private partialBytes = 0;
  /** The partial line has a "\r" in it: a redraw in progress, not a prompt. */
  private redrawing = false;
  private lastRedrawShown = -Infinity;
  private cancelTimer: (() => void) | null = null;
  private recheck: NodeJS.Immediate | null = null;
  private lastByteAt = 0;
  private pausedByUs = false;
  private readonly clock: Clock;
  private readonly idleMs: number;

  constructor(
    private readonly name: string,
    private readonly stream: Readable,
    private readonly printer: Printer,
    private readonly opts: RelayOptions = {},
  ) {
    this.clock = opts.clock ?? realClock;
    this.idleMs = opts.idleMs ?? PARTIAL_LINE_IDLE_MS;
    printer.on('congested', this.pause);
    printer.on('drain', this.onDrain);
    stream.on('data', this.onData);
    this.done = new Promise((resolve) => {
      const end = (): void => {
        this.flushPartial();
        printer.off('congested', this.pause);
        printer.off('drain', this.onDrain);
        resolve();
      };
      stream.once('end', end);
      stream.once('error', end);
    });
  }

  private emit(lines: Buffer, partial = false): void {
    const show = this.opts.show ?? true;
    if (show === true) this.printer.lines(this.name, lines);
    else if (show === false) this.printer.lines(this.name, lines, { terminal: false, log: true });
    else {
      for (let from = 0; from < lines.length;) {
        const nl = lines.indexOf(10, from);
        const line = lines.subarray(from, nl + 1);
        this.printer.lines(this.name, line, { terminal: show(line), log: true });
        from = nl + 1;
      }
    }
    this.opts.onText?.(lines, partial);
  }

  private takePartial(): Buffer {
    const parts = this.partial;
    const bytes = this.partialBytes;
    this.partial = [];
    this.partialBytes = 0;
    this.redrawing = false;
    return parts.length === 1 ? parts[0]! : Buffer.concat(parts, bytes);
  }

  private hold(bytes: Buffer): void {
    this.partial.push(bytes);
    this.partialBytes += bytes.length;
    if (bytes.indexOf(CR) !== -1) {
      this.redrawing = true;
      // Only the latest state matters: a bar redrawn for an hour stays one state long.
      const whole = this.takePartial();
      const cr = whole.lastIndexOf(CR, whole.length - 2);
      const kept = cr === -1 ? whole : Buffer.from(whole.subarray(cr + 1));
      this.partial = [kept];
      this.partialBytes = kept.length;
      this.redrawing = true;
    }
  }

  private flushPartial(): void {
    this.cancelTimer?.();
    this.cancelTimer = null;
    if (this.recheck) clearImmediate(this.recheck);
    this.recheck = null;
    if (this.partialBytes === 0) return;
    const redraw = this.redrawing;
    const line = this.takePartial();
    if (redraw) this.emit(Buffer.concat([finalState(line), NEWLINE]));
    else this.emit(Buffer.concat([line, NEWLINE]), true);
  }

  /** The partial line's wait is over unless bytes came, or the writer is still writing. */
  private decide(then: () => void): void {
    const quietFor = this.clock.now() - this.lastByteAt;
    if (quietFor < this.idleMs) this.cancelTimer = this.clock.setTimer(this.idleMs - quietFor, this.onIdle);
    // The writer is blocked on a pipe we stopped reading, or still running: the line is not
    // done. (Asked only now: writerBusy reads /proc.)
    else if (quietFor < PARTIAL_LINE_MAX_MS && (this.pausedByUs || this.opts.writerBusy?.() === true))
      this.cancelTimer = this.clock.setTimer(this.idleMs, this.onIdle);
    else then();
  }

  private readonly onIdle = (): void => {
    this.cancelTimer = null;
    if (this.partialBytes === 0) return;
    // A timer that fires late (a loaded machine) runs before the reads waiting in the same loop
    // turn: look again after them (setImmediate runs after I/O), then act.
    this.decide(() => {
      this.recheck = setImmediate(() => {
        this.recheck = null;
        if (this.partialBytes > 0) this.decide(() => (this.redrawing ? this.showRedraw() : this.flushPartial()));
      });
    });
  };

  /** A redraw in progress, on the terminal only, at most once a second; its final state comes with its newline. */
  private showRedraw(): void {
    const now = this.clock.now();
    if (now - this.lastRedrawShown < REDRAW_EVERY_MS || this.opts.show === false) return;
    const state = finalState(this.partial.length === 1 ? this.partial[0]! : Buffer.concat(this.partial));
    if (state.length === 0) return;
    this.lastRedrawShown = now;
    this.printer.lines(this.name, Buffer.concat([state, NEWLINE]), { terminal: true, log: false });
  }

  private readonly pause = (): void => {
    this.pausedByUs = true;
    this.stream.pause();
  };

  private readonly onDrain = (): void => {
    this.pausedByUs = false;
    this.lastByteAt = this.clock.now(); // the writer was held up by us, not quiet
    this.stream.resume();
  };

  private readonly onData = (chunk: Buffer): void => {
    this.lastByteAt = this.clock.now();
    const nl = chunk.lastIndexOf(10);
    if (nl === -1) this.hold(chunk);
    else {
      let from = 0;
      if (this.partialBytes > 0) {
        // Join the held partial line with its end only, not with the whole chunk.
        const first = chunk.indexOf(10);
        const head = this.takePartial();
        const line = Buffer.allocUnsafe(head.length + first + 1);
        head.copy(line, 0);
        chunk.copy(line, head.length, 0, first + 1);
        this.emit(finalStates(line));
        from = first + 1;
      }
      if (from <= nl) this.emit(finalStates(chunk.subarray(from, nl + 1)));
      // A copy: a view would keep the whole read (up to 64 KiB) alive until the line ends.
      if (nl + 1 < chunk.length) this.hold(Buffer.from(chunk.subarray(nl + 1)));
    }
    if (this.partialBytes > MAX_LINE_BYTES) this.emit(Buffer.concat([this.takePartial(), CUT_MARK]));
    if (this.partialBytes > 0 && !this.cancelTimer && !this.recheck) this.cancelTimer = this.clock.setTimer(this.idleMs, this.onIdle);
    if (this.printer.congested) this.pause();
  };
}
