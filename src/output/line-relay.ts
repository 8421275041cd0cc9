import type { Readable } from 'node:stream';
import type { Printer } from './printer.js';

const NEWLINE = Buffer.from('\n');

/** How long a partial line (a `(Pdb) ` prompt) may wait for its newline before it is shown. */
export const PARTIAL_LINE_IDLE_MS = 80;
/** However busy the writer looks, a partial line is shown after this long. */
export const PARTIAL_LINE_MAX_MS = 2000;

export interface RelayOptions {
  /** Called with each run of whole lines, for the in-memory log ring. */
  onText?: (lines: Buffer) => void;
  idleMs?: number;
  /**
   * True while the writer is still running (preempted mid-line rather than waiting for
   * input): the partial line then waits on, so a line is never cut in two by a busy CPU.
   */
  writerBusy?: () => boolean;
}

/**
 * Relays a child's stream to the printer in whole lines: text up to the last newline of
 * each chunk goes out at once; the rest waits for its newline, or for a short idle time.
 * Returns a promise that settles when the stream ends and its last partial line is out.
 */
export function relayLines(name: string, stream: Readable, printer: Printer, opts: RelayOptions = {}): Promise<void> {
  const idleMs = opts.idleMs ?? PARTIAL_LINE_IDLE_MS;
  let partial: Buffer | null = null;
  let timer: NodeJS.Timeout | null = null;
  let partialSince = 0;

  const emit = (lines: Buffer): void => {
    printer.lines(name, lines);
    opts.onText?.(lines);
  };
  const flushPartial = (): void => {
    if (timer) clearTimeout(timer);
    timer = null;
    if (partial && partial.length > 0) emit(Buffer.concat([partial, NEWLINE]));
    partial = null;
  };
  const onIdle = (): void => {
    if (opts.writerBusy?.() && Date.now() - partialSince < PARTIAL_LINE_MAX_MS) {
      timer = setTimeout(onIdle, idleMs);
      return;
    }
    flushPartial();
  };

  const onCongested = (): void => void stream.pause();
  const onDrain = (): void => void stream.resume();
  printer.on('congested', onCongested);
  printer.on('drain', onDrain);

  stream.on('data', (chunk: Buffer) => {
    const nl = chunk.lastIndexOf(10);
    if (nl === -1) {
      partial = partial ? Buffer.concat([partial, chunk]) : chunk;
    } else {
      if (timer) clearTimeout(timer);
      timer = null;
      let from = 0;
      if (partial) {
        // Join the held partial line with its end only, not with the whole chunk.
        const first = chunk.indexOf(10);
        emit(Buffer.concat([partial, chunk.subarray(0, first + 1)]));
        from = first + 1;
      }
      if (from <= nl) emit(chunk.subarray(from, nl + 1));
      partial = nl + 1 < chunk.length ? chunk.subarray(nl + 1) : null;
    }
    if (partial && !timer) {
      partialSince = Date.now();
      timer = setTimeout(onIdle, idleMs);
    }
    if (printer.congested) stream.pause();
  });

  return new Promise((resolve) => {
    const done = (): void => {
      flushPartial();
      printer.off('congested', onCongested);
      printer.off('drain', onDrain);
      resolve();
    };
    stream.once('end', done);
    stream.once('error', done);
  });
}
