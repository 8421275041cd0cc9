// The benches the benchmarks run fbench on: a temporary folder with a Procfile and sites/.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

/** A bench folder with this Procfile (and this sites/common_site_config.json, if given). */
export function benchDir(procfile: string, siteConfig?: object): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'fbench-benchmark-'));
  mkdirSync(path.join(dir, 'sites'));
  writeFileSync(path.join(dir, 'Procfile'), procfile);
  if (siteConfig) writeFileSync(path.join(dir, 'sites', 'common_site_config.json'), JSON.stringify(siteConfig));
  return dir;
}

/** A bench of two Redis only, on these ports: what "time to ready" starts. */
export function twoRedisBench(cache: number, queue: number): string {
  const line = (port: number): string => `redis-server --port ${port} --save "" --bind 127.0.0.1`;
  return benchDir(`redis_cache: ${line(cache)}\nredis_queue: ${line(queue)}\n`, {
    redis_cache: `redis://127.0.0.1:${cache}`,
    redis_queue: `redis://127.0.0.1:${queue}`,
  });
}
