import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

export interface FixtureFiles {
  [relativePath: string]: string;
}

/** A bench folder in a temp dir with the given files (Procfile and sites/ at least). */
export function makeBench(files: FixtureFiles): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(path.join(tmpdir(), 'fbench-fixture-'));
  mkdirSync(path.join(dir, 'sites'), { recursive: true });
  for (const [rel, text] of Object.entries(files)) {
    const p = path.join(dir, rel);
    mkdirSync(path.dirname(p), { recursive: true });
    writeFileSync(p, text);
  }
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** redis confs as `bench setup redis` writes them (ports as given). */
export function redisConfs(cache: number, queue: number, socketio?: number): FixtureFiles {
  const conf = (name: string, port: number): string => `dbfilename redis_${name}.rdb\ndir /tmp\npidfile /tmp/redis_${name}.pid\nbind 127.0.0.1\nport ${port}\n`;
  return {
    'config/redis_cache.conf': conf('cache', cache) + 'maxmemory 256mb\nmaxmemory-policy allkeys-lru\nappendonly no\nsave ""\n',
    'config/redis_queue.conf': conf('queue', queue),
    ...(socketio ? { 'config/redis_socketio.conf': conf('socketio', socketio) } : {}),
  };
}
