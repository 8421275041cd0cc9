import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePorts, portsWithRoom } from './ports.js';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const SAMPLE = path.join(REPO, 'sample-bench');

/** The sample bench's own ports, as committed. */
export const SAMPLE_PORTS = { cache: 13990, queue: 11990, web: 8990, socketio: 9990, watcher: 6990 } as const;
export type BenchPorts = Record<keyof typeof SAMPLE_PORTS, number>;

export interface TempBench {
  dir: string;
  ports: BenchPorts;
  cleanup: () => void;
}

/**
 * A copy of sample-bench in a temp folder with every port moved to a free one
 * (Procfile, common_site_config.json and the Redis confs), so tests never collide
 * with each other or with a developer's bench. `copies`: this many copies of it will take the
 * ports right after each of its own (`fbench ports --reassign`), kept free for them.
 */
export async function tempSampleBench(edit?: (dir: string) => void, copies = 0): Promise<TempBench> {
  const dir = mkdtempSync(path.join(tmpdir(), 'fbench-bench-'));
  cpSync(SAMPLE, dir, { recursive: true, filter: (src) => !/\/(logs|config\/pids)\/[^/]+$/.test(src) || src.endsWith('.gitkeep') });
  const [cache, queue, web, socketio, watcher] = copies > 0 ? await portsWithRoom(5, copies) : await freePorts(5);
  const ports: BenchPorts = { cache: cache!, queue: queue!, web: web!, socketio: socketio!, watcher: watcher! };
  for (const rel of ['Procfile', 'sites/common_site_config.json', 'config/redis_cache.conf', 'config/redis_queue.conf']) {
    const p = path.join(dir, rel);
    let text = readFileSync(p, 'utf8');
    for (const key of Object.keys(SAMPLE_PORTS) as (keyof BenchPorts)[]) text = text.replaceAll(String(SAMPLE_PORTS[key]), String(ports[key]));
    writeFileSync(p, text);
  }
  edit?.(dir);
  return { dir, ports, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}
