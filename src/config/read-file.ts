import { FbenchError } from '../errors.js';
import { NotAFileError, readBounded } from '../util/safe-file.js';

const WHY: Record<string, string> = {
  EISDIR: 'is a folder, not a file',
  EACCES: 'cannot be read (permission denied)',
  EPERM: 'cannot be read (permission denied)',
  ENOENT: 'does not exist',
  ENOTDIR: 'is under something that is not a folder',
  ELOOP: 'is a loop of symbolic links',
};

/** The most of a configuration file fbench reads: the largest real one (a Procfile, a site config) is a few KB. */
export const CONFIG_MAX_BYTES = 1024 * 1024;

/**
 * Read a text file fbench needs: a regular file of at most CONFIG_MAX_BYTES (a FIFO there never
 * blocks). A failure is an FbenchError naming the file (as `shown`), what is wrong with it and
 * `hint`: what to do. Never a stack trace.
 */
export function readTextFile(file: string, shown: string, hint: string): string {
  try {
    return readBounded(file, { maxBytes: CONFIG_MAX_BYTES }).toString('utf8');
  } catch (err) {
    if (err instanceof NotAFileError) throw new FbenchError(err.why, hint, { file: shown });
    const code = (err as NodeJS.ErrnoException).code ?? '';
    throw new FbenchError(WHY[code] ?? `cannot be read (${code || (err as Error).message})`, hint, { file: shown });
  }
}
