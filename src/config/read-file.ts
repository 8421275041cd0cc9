import { readFileSync } from 'node:fs';
import { FbenchError } from '../errors.js';

const WHY: Record<string, string> = {
  EISDIR: 'is a folder, not a file',
  EACCES: 'cannot be read (permission denied)',
  EPERM: 'cannot be read (permission denied)',
  ENOENT: 'does not exist',
  ENOTDIR: 'is under something that is not a folder',
  ELOOP: 'is a loop of symbolic links',
};

/**
 * Read a text file fbench needs. A failure is an FbenchError naming the file (as `shown`),
 * what is wrong with it and `hint`: what to do. Never a stack trace.
 */
export function readTextFile(file: string, shown: string, hint: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? '';
    throw new FbenchError(WHY[code] ?? `cannot be read (${code || (err as Error).message})`, hint, { file: shown });
  }
}
