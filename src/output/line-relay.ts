import type { Readable } from 'node:stream';
import type { Printer } from './printer.js';

/** How long a partial line (a `(Pdb) ` prompt) may wait for its newline before it is shown. */
export const PARTIAL_LINE_IDLE_MS = 50;

export interface RelayOptions {
  /** Called with each run of whole lines, for the in-memory log ring. */
  onText?: (text: string) => void;
  idleMs?: number;
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

  const emit = (text: string): void => {
    printer.lines(name, text);
    opts.onText?.(text);
  };
  const flushPartial = (): void => {
    if (timer) clearTimeout(timer);
    timer = null;
    if (partial && partial.length > 0) emit(`${partial.toString('utf8')}\n`);
    partial = null;
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
      const head = chunk.subarray(0, nl + 1);
      emit((partial ? Buffer.concat([partial, head]) : head).toString('utf8'));
      partial = nl + 1 < chunk.length ? chunk.subarray(nl + 1) : null;
    }
    if (partial && !timer) timer = setTimeout(flushPartial, idleMs);
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
