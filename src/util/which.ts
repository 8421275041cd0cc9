import { accessSync, constants } from 'node:fs';
import path from 'node:path';

/** The first executable called `name` on a PATH string, or null. */
export function which(name: string, pathVar: string): string | null {
  for (const dir of pathVar.split(path.delimiter)) {
    if (!dir) continue;
    const p = path.join(dir, name);
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch {
      // next
    }
  }
  return null;
}
