import { realpathSync } from 'node:fs';
import path from 'node:path';

/** A path with its symlinks resolved (as the kernel reports a process's folder), or as given when it does not exist. */
export function realPath(p: string): string {
  try {
    return realpathSync(p);
  } catch {
    return path.resolve(p);
  }
}
