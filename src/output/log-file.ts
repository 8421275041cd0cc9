import { closeSync, fstatSync, ftruncateSync, mkdirSync, renameSync, writeSync } from 'node:fs';
import path from 'node:path';
import { removeFile } from '../util/remove-file.js';
import { openForAppend } from '../util/safe-file.js';

const REASON: Record<string, string> = {
  ENOSPC: 'disk full',
  EDQUOT: 'disk quota exceeded',
  EIO: 'I/O error',
  EFBIG: 'file too large',
  EROFS: 'read-only file system',
};
const count = (b: Uint8Array): number => {
  let n = 0;
  for (let i = b.indexOf(10); i !== -1; i = b.indexOf(10, i + 1)) n++;
  return n;
};

export interface LogFileOptions {
  /** `>>` (keep what is there) or `>` (empty it first), as sh opens a redirection. */
  append: boolean;
  /** Past this size the file is renamed to `<name>.1` (the previous one goes) and begun again; no limit when undefined. */
  maxBytes?: number;
  /** Said once when writing starts to fail, naming the file and why. */
  onFailure: (message: string) => void;
}

/**
 * A log file written in whole lines. A write that fails (a full disk) is taken back to the last
 * whole line, so the file never holds half a line glued to the next; the lines that could not be
 * written are counted, and once writing works again a line says how many are missing.
 */
export class LogFile {
  private fd: number | null = null;
  private size = 0;
  private lost = 0;
  private lostWhy = '';

  constructor(
    readonly file: string,
    private readonly opts: LogFileOptions,
  ) {}

  /** Open it (creating its folder); false, said once, when it cannot be. What it creates is its user's only; what exists keeps its mode. */
  open(): boolean {
    try {
      mkdirSync(path.dirname(this.file), { recursive: true, mode: 0o700 });
      this.fd = openForAppend(this.file, { mode: 0o600, truncate: !this.opts.append }); // never through a planted link, never a FIFO
      this.size = fstatSync(this.fd).size;
      return true;
    } catch (err) {
      this.opts.onFailure(`cannot write ${this.file} (${(err as { why?: string }).why ?? (err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
      return false;
    }
  }

  /** Append whole lines. */
  write(lines: Uint8Array): void {
    if (this.fd === null || lines.length === 0) return;
    if (this.opts.maxBytes !== undefined && this.size + lines.length > this.opts.maxBytes && this.size > 0) this.rotate();
    // What could not be written is said first, in the same write: both, or neither.
    const data =
      this.lost > 0 ? Buffer.concat([Buffer.from(`[… ${this.lost} line${this.lost === 1 ? '' : 's'} not written: ${this.lostWhy}]\n`), lines]) : lines;
    if (!this.put(data)) {
      this.lost += count(lines);
      return;
    }
    this.lost = 0;
    this.lostWhy = '';
  }

  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }

  /** All of `data`, or nothing of it. */
  private put(data: Uint8Array): boolean {
    let off = 0;
    try {
      while (off < data.length) off += writeSync(this.fd!, data, off);
      this.size += data.length;
      return true;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? '';
      if (off > 0) {
        try {
          ftruncateSync(this.fd!, fstatSync(this.fd!).size - off); // what came before stays whole
        } catch {
          // the next write fails too, and is counted
        }
      }
      if (this.lostWhy === '') this.opts.onFailure(`cannot write ${this.file} (${REASON[code] ?? code}): its lines are still shown and kept for fbench logs`);
      this.lostWhy = REASON[code] ?? code;
      return false;
    }
  }

  private rotate(): void {
    try {
      // The old one goes first: a rename over it would make the file system write this one out
      // at once (ext4 does so for a replace by rename), holding up every process's output.
      removeFile(`${this.file}.1`);
      renameSync(this.file, `${this.file}.1`);
      const fd = openForAppend(this.file, { mode: fstatSync(this.fd!).mode & 0o777 });
      closeSync(this.fd!);
      this.fd = fd;
      this.size = 0;
    } catch {
      // keep writing where it is
    }
  }
}
