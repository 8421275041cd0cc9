import { closeSync, openSync, readSync, statSync, unwatchFile, watchFile } from 'node:fs';
import { PassThrough, type Readable } from 'node:stream';

/**
 * Follow a file from its current end (like `tail -F`): a stream of what is appended from
 * now on, surviving truncation and the file appearing later. Polls the size, so it works
 * on any file system.
 */
export function tailFile(file: string, intervalMs = 100): { stream: Readable; close: () => void } {
  const stream = new PassThrough();
  let pos = sizeOf(file);
  const buf = Buffer.alloc(64 * 1024);
  const readMore = (): void => {
    const size = sizeOf(file);
    if (size < pos) pos = 0; // truncated or replaced
    if (size === pos) return;
    let fd: number;
    try {
      fd = openSync(file, 'r');
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
  watchFile(file, { interval: intervalMs, persistent: false }, readMore);
  return {
    stream,
    close: () => {
      unwatchFile(file, readMore);
      readMore();
      stream.end();
    },
  };
}

function sizeOf(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}
