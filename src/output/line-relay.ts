import type { Readable } from 'node:stream';
import { collectYoung } from '../util/collect-young.js';
import type { Printer } from './printer.js';

const NEWLINE = Buffer.from('\n');

/** How long a partial line (a `(Pdb) ` prompt) must be quiet for before it is shown without its newline. */
export const PARTIAL_LINE_IDLE_MS = 80;
/** However busy the writer looks, a partial line is shown after this long without a byte. */
export const PARTIAL_LINE_MAX_MS = 2000;
/** A line longer than this is cut, with a visible mark, so one endless line cannot take all memory. */
export const MAX_LINE_BYTES = 32 * 1024 * 1024;
const CUT_MARK = Buffer.from(` [… line cut at ${MAX_LINE_BYTES / 1024 / 1024} MiB]\n`);

/** Bytes read by every relay since the last young collection (see collectYoung). */
let readSinceCollect = 0;
const COLLECT_EVERY_BYTES = 4 * 1024 * 1024;

export interface RelayOptions {
  /** Called with each run of whole lines (the log ring, a log file); `partial`: a line shown before its newline came (a prompt). */
  onText?: (lines: Buffer, partial: boolean) => void;
  /** false: record the lines (onText) but do not print them. */
  show?: boolean;
  idleMs?: number;
  /**
   * True while the writer is still running (preempted mid-line rather than waiting for
   * input): the partial line then waits on, so a line is never cut in two by a busy CPU.
   */
  writerBusy?: () => boolean;
}

/**
 * Relays a child's stream to the printer in whole lines: text up to the last newline of
 * each chunk goes out at once; the rest waits for its newline, or until the writer has been
 * quiet (not blocked, not running) for a short while. Returns a promise that settles when the
 * stream ends and its last partial line is out.
 */
export function relayLines(name: string, stream: Readable, printer: Printer, opts: RelayOptions = {}): Promise<void> {
  const idleMs = opts.idleMs ?? PARTIAL_LINE_IDLE_MS;
  const show = opts.show !== false;
  // The partial line as chunks: joined once when it ends, not at every read (a 16 MB line is 256 reads).
  let partial: Buffer[] = [];
  let partialBytes = 0;
  let timer: NodeJS.Timeout | null = null;
  let recheck: NodeJS.Immediate | null = null;
  let lastByteAt = 0;
  let pausedByUs = false;

  const emit = (lines: Buffer, partial = false): void => {
    if (show) printer.lines(name, lines);
    opts.onText?.(lines, partial);
  };
  const takeParts = (): Buffer[] => {
    const parts = partial;
    partial = [];
    partialBytes = 0;
    return parts;
  };
  const takePartial = (): Buffer => {
    const bytes = partialBytes;
    const parts = takeParts();
    return parts.length === 1 ? parts[0]! : Buffer.concat(parts, bytes);
  };
  const flushPartial = (): void => {
    if (timer) clearTimeout(timer);
    if (recheck) clearImmediate(recheck);
    timer = null;
    recheck = null;
    if (partialBytes > 0) emit(Buffer.concat([takePartial(), NEWLINE]), true);
  };
  /** The partial line's wait is over unless bytes came, or the writer is still writing. */
  const decide = (then: () => void): void => {
    const quietFor = Date.now() - lastByteAt;
    if (quietFor < idleMs) timer = setTimeout(onIdle, idleMs - quietFor);
    // The writer is blocked on a pipe we stopped reading, or still running: the line is not
    // done. (Asked only now: writerBusy reads /proc.)
    else if (quietFor < PARTIAL_LINE_MAX_MS && (pausedByUs || opts.writerBusy?.() === true)) timer = setTimeout(onIdle, idleMs);
    else then();
  };
  const onIdle = (): void => {
    timer = null;
    if (partialBytes === 0) return;
    // A timer that fires late (a loaded machine) runs before the reads waiting in the same loop
    // turn: look again after them (setImmediate runs after I/O), then flush.
    decide(() => {
      recheck = setImmediate(() => {
        recheck = null;
        if (partialBytes > 0) decide(flushPartial);
      });
    });
  };

  const pause = (): void => {
    pausedByUs = true;
    stream.pause();
  };
  const onDrain = (): void => {
    pausedByUs = false;
    lastByteAt = Date.now(); // the writer was held up by us, not quiet
    stream.resume();
  };
  printer.on('congested', pause);
  printer.on('drain', onDrain);

  stream.on('data', (chunk: Buffer) => {
    lastByteAt = Date.now();
    readSinceCollect += chunk.length;
    if (readSinceCollect >= COLLECT_EVERY_BYTES) {
      readSinceCollect = 0;
      collectYoung();
    }
    const nl = chunk.lastIndexOf(10);
    if (nl === -1) {
      partial.push(chunk);
      partialBytes += chunk.length;
    } else {
      let from = 0;
      if (partialBytes > 0) {
        // Join the held partial line with its end only, not with the whole chunk. Copied here,
        // not by Buffer.concat: with a view of this read in its list, reads were freed only by
        // a full collection (measured: 64 MB more at 20 busy processes).
        const first = chunk.indexOf(10);
        const line = Buffer.allocUnsafe(partialBytes + first + 1);
        let at = 0;
        for (const piece of takeParts()) at += piece.copy(line, at);
        chunk.copy(line, at, 0, first + 1);
        emit(line);
        from = first + 1;
      }
      if (from <= nl) emit(chunk.subarray(from, nl + 1));
      if (nl + 1 < chunk.length) {
        // A copy: a view would keep the whole read (up to 64 KiB) alive until the line ends, long
        // enough to be promoted and freed only by a full collection (64 MB of reads later).
        partial.push(Buffer.from(chunk.subarray(nl + 1)));
        partialBytes += chunk.length - nl - 1;
      }
    }
    if (partialBytes > MAX_LINE_BYTES) emit(Buffer.concat([takePartial(), CUT_MARK]));
    if (partialBytes > 0 && !timer && !recheck) timer = setTimeout(onIdle, idleMs);
    if (printer.congested) pause();
  });

  return new Promise((resolve) => {
    const done = (): void => {
      flushPartial();
      printer.off('congested', pause);
      printer.off('drain', onDrain);
      resolve();
    };
    stream.once('end', done);
    stream.once('error', done);
  });
}
