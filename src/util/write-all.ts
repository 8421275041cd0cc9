import { writeSync } from 'node:fs';

/**
 * Write all of `data` to `fd` now, in as many writes as it takes; false when the write failed
 * (a full disk, a closed reader): the caller goes on without it.
 */
export function writeAll(fd: number, data: Uint8Array): boolean {
  try {
    for (let off = 0; off < data.length;) off += writeSync(fd, data, off);
    return true;
  } catch {
    return false;
  }
}
