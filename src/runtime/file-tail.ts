import { closeSync, constants, openSync, readSync, statSync } from 'node:fs';
import { PassThrough, type Readable } from 'node:stream';
import { realClock, type Clock } from '../util/clock.js';

/**
 * Follow a file from its current end (like `tail -F`): a stream of what is appended from
 * now on, surviving truncation and the file appearing later. Looks at its size every
 * `intervalMs` on the clock, so it works on any file system. (fs.watchFile compared each stat
 * with its own first one, taken later: a line written right after the start waited for the next.)
 */
export function tailFile(file: string, clock: Clock = realClock, intervalMs = 100): { stream: Readable; close: () => void } {
  const stream = new PassThrough();
  let pos = sizeOf(file);
  const buf = Buffer.alloc(64 * 1024);
  const readMore = (): void => {
    const size = sizeOf(file);
    if (size < pos) pos = 0; // truncated or replaced
    if (size === pos) return;
    let fd: number;
    try {
      fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK); // sizeOf saw a regular file; never block on what replaced it
    } catch {
      return;
    }
    try {
      while (pos < size) {
        const n = readSync(fd, buf, 0, Math.min(buf.length, size - pos), pos);
        if (n <= 0) break;
        stream.write(Buffer.from(buf.subarray(0, n)));
        pos += n;
      }
    } finally {
      closeSync(fd);
    }
  };
  let cancel = clock.setTimer(intervalMs, function tick() {
    readMore();
    cancel = clock.setTimer(intervalMs, tick);
  });
  return {
    stream,
    close: () => {
      cancel();
      readMore();
      stream.end();
    },
  };
}

function sizeOf(file: string): number {
  try {
    const st = statSync(file);
    return st.isFile() ? st.size : 0; // a FIFO or device is never read
  } catch {
    return 0;
  }
}
