import path from 'node:path';
import { LogFile } from '../output/log-file.js';

/**
 * The log files the processes' redirections name, shared by path: worker.1 and worker_email.1
 * both append to logs/worker.log through one file, and a full disk is said once for it.
 */
export class LogFiles {
  private files = new Map<string, { file: LogFile; users: number }>();

  constructor(private readonly onFailure: (message: string) => void) {}

  /** The file at `file`, opened as sh would at each start (`>` empties it, `>>` appends); null when it cannot be opened. */
  open(file: string, append: boolean): LogFile | null {
    const p = path.resolve(file);
    const had = this.files.get(p);
    if (had) {
      had.users++;
      return had.file;
    }
    const f = new LogFile(p, { append, onFailure: this.onFailure });
    if (!f.open()) return null;
    this.files.set(p, { file: f, users: 1 });
    return f;
  }

  /** A process is done with it: closed when nobody writes it any more. */
  release(file: LogFile): void {
    const had = this.files.get(file.file);
    if (!had || --had.users > 0) return;
    had.file.close();
    this.files.delete(file.file);
  }
}
