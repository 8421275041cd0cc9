import { unlinkSync } from 'node:fs';

/** Remove a file that may already be gone (rmSync with force would load Node's rimraf for it). */
export function removeFile(file: string): void {
  try {
    unlinkSync(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}
