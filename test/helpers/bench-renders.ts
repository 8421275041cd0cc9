import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { REPO } from './sample-bench.js';

export const GENERATIONS = ['current', 'current-macos', 'current-ci', 'current-skip-redis', 'v14-era', 'v13-era'] as const;
export type Generation = (typeof GENERATIONS)[number];

/**
 * A bench as bench's own templates render it for one generation (test/fixtures/bench-renders),
 * in a temp folder, with the absolute paths bench writes pointing at that folder.
 */
export function renderedBench(gen: Generation, ports?: { cache: number; queue: number; socketio?: number }): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(path.join(tmpdir(), `fbench-render-${gen}-`));
  cpSync(path.join(REPO, 'test', 'fixtures', 'bench-renders', gen), dir, { recursive: true });
  const visit = (d: string): void => {
    for (const e of readdirSync(d)) {
      const p = path.join(d, e);
      if (statSync(p).isDirectory()) visit(p);
      else {
        let t = readFileSync(p, 'utf8').replaceAll('{{bench}}', dir);
        if (ports)
          t = t
            .replaceAll('13000', String(ports.cache))
            .replaceAll('11000', String(ports.queue))
            .replaceAll('12000', String(ports.socketio ?? 12000));
        writeFileSync(p, t);
      }
    }
  };
  visit(dir);
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}
