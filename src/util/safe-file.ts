import { randomBytes } from 'node:crypto';
import { closeSync, constants, fstatSync, fsyncSync, lstatSync, mkdirSync, openSync, readSync, renameSync, writeSync } from 'node:fs';
import path from 'node:path';
import { removeFile } from './remove-file.js';

/**
 * Files another program can put where fbench reads or writes: a FIFO must not block the session,
 * a huge file must not fill its memory, a symbolic link planted at a name fbench writes must not
 * be followed (as root that would be any file of the system).
 */

/** What a file that is not a regular file is, in words. */
function kindOf(st: { isFIFO(): boolean; isSocket(): boolean; isCharacterDevice(): boolean; isBlockDevice(): boolean; isDirectory(): boolean }): string {
  if (st.isFIFO()) return 'a FIFO';
  if (st.isSocket()) return 'a socket';
  if (st.isCharacterDevice() || st.isBlockDevice()) return 'a device';
  if (st.isDirectory()) return 'a folder';
  return 'not a regular file';
}

/** A file that is there but is not one fbench reads: its `code` is ENOTREG or EFBIG, its message says why in words. */
export class NotAFileError extends Error {
  constructor(
    readonly code: 'ENOTREG' | 'EFBIG',
    readonly why: string,
  ) {
    super(why);
  }
}

export interface ReadLimits {
  /** The most bytes read; a larger file is refused (`cut: false`) or read only to here (`cut: true`). */
  maxBytes: number;
  /** Read the first maxBytes of a larger file instead of refusing it. */
  cut?: boolean;
  /** A symbolic link is refused (ELOOP), as for the files fbench writes itself. */
  noFollow?: boolean;
}

/**
 * Read a file fbench did not necessarily write, without ever blocking: opened non-blocking (a FIFO
 * opens at once and is then refused), checked to be a regular file, read to at most `maxBytes`.
 * Throws the system's error (ENOENT, EACCES, ELOOP…) or a NotAFileError.
 */
export function readBounded(file: string, limits: ReadLimits): Buffer {
  const flags = constants.O_RDONLY | constants.O_NONBLOCK | (limits.noFollow ? constants.O_NOFOLLOW : 0);
  const fd = openSync(file, flags);
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new NotAFileError('ENOTREG', `is ${kindOf(st)}, not a file`);
    if (st.size > limits.maxBytes && !limits.cut)
      throw new NotAFileError('EFBIG', `is ${sizeWords(st.size)}, more than the ${sizeWords(limits.maxBytes)} fbench reads of it`);
    const buf = Buffer.alloc(Math.min(st.size, limits.maxBytes));
    let got = 0;
    while (got < buf.length) {
      const n = readSync(fd, buf, got, buf.length - got, null);
      if (n === 0) break;
      got += n;
    }
    return buf.subarray(0, got);
  } finally {
    closeSync(fd);
  }
}

/** A small file's text (a pid file, a record), or null when it is missing, not a regular file, a link or larger than `maxBytes`. */
export function readSmallFile(file: string, maxBytes = 4096): string | null {
  try {
    return readBounded(file, { maxBytes, noFollow: true }).toString('utf8');
  } catch {
    return null;
  }
}

function sizeWords(bytes: number): string {
  if (bytes >= 1024 * 1024) return `${Math.round(bytes / 1024 / 1024)} MB`;
  if (bytes >= 1024) return `${Math.round(bytes / 1024)} KB`;
  return `${bytes} bytes`;
}

/** A name beside `file` that nobody can have prepared: random, and created with O_EXCL. */
function privateName(file: string): string {
  return path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.${randomBytes(6).toString('hex')}`);
}

/**
 * Create a file that does not exist yet, never through a link: O_CREAT|O_EXCL|O_NOFOLLOW (a
 * symbolic link or anything else at the name is EEXIST). Returns its descriptor.
 */
export function createExclusive(file: string, mode = 0o600): number {
  return openSync(file, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, mode);
}

/**
 * Replace `file` with `data`, atomically and never through a link: written whole under a private
 * name made with O_EXCL, then renamed over the name (rename replaces a link itself, never what it
 * points at). A reader sees the old file or the new, never half of one.
 */
export function writeReplacing(file: string, data: string | Uint8Array, mode = 0o600): void {
  const tmp = privateName(file);
  const fd = createExclusive(tmp, mode);
  try {
    const bytes = typeof data === 'string' ? Buffer.from(data) : data;
    for (let off = 0; off < bytes.length;) off += writeSync(fd, bytes, off);
    fsyncSync(fd);
  } catch (err) {
    closeSync(fd);
    removeFile(tmp);
    throw err;
  }
  closeSync(fd);
  try {
    renameSync(tmp, file);
  } catch (err) {
    removeFile(tmp);
    throw err;
  }
}

/**
 * Open a file to append to (created `mode` when new, or emptied with `truncate`), never through a
 * symbolic link (ELOOP) and never a FIFO or device (ENOTREG), which would block or leak.
 */
export function openForAppend(file: string, opts: { mode?: number; truncate?: boolean } = {}): number {
  const flags =
    constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW | constants.O_NONBLOCK | (opts.truncate ? constants.O_TRUNC : 0);
  // A FIFO with no reader would fail ENXIO here rather than block; one with a reader is refused below.
  const fd = openSync(file, flags, opts.mode ?? 0o600);
  const st = fstatSync(fd);
  if (!st.isFile()) {
    closeSync(fd);
    throw new NotAFileError('ENOTREG', `is ${kindOf(st)}, not a file`);
  }
  return fd;
}

/**
 * Make a folder fbench writes its own files in (`mode` when new) and check it is a folder, not a
 * link, of this user's or root's: another user's folder could have names prepared in it. (What
 * fbench writes there is created exclusively and never through a link, whoever else may write
 * in the folder.) Throws a NotAFileError saying what is wrong.
 */
export function ownFolder(dir: string, mode = 0o755): void {
  mkdirSync(dir, { recursive: true, mode });
  const st = lstatSync(dir);
  const uid = process.getuid?.();
  if (!st.isDirectory()) throw new NotAFileError('ENOTREG', `${dir} is ${st.isSymbolicLink() ? 'a symbolic link' : kindOf(st)}, not a folder`);
  if (uid !== undefined && st.uid !== uid && st.uid !== 0) throw new NotAFileError('ENOTREG', `${dir} belongs to another user (uid ${st.uid})`);
}
