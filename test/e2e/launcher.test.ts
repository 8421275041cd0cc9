import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { FBENCH } from '../helpers/fbench-run.js';
import { freePort, listening } from '../helpers/ports.js';
import { REPO, SAMPLE } from '../helpers/sample-bench.js';

const BUNDLE = path.join(REPO, 'dist', 'bundle', 'fbench.cjs');

/** The cache file bin/fbench.cjs uses for `command` with this Node and this build. */
function cacheFile(command: string): string {
  const st = statSync(BUNDLE);
  const key = `fbench.cjs-${command}-${process.version}-${process.arch}-${st.size}-${Math.trunc(st.mtimeMs)}-${st.ino}`;
  return path.join(path.dirname(BUNDLE), 'v8-cache', `${key}.v8cache`);
}

const presets = (): { status: number | null; out: string } => {
  const r = spawnSync(process.execPath, [FBENCH, 'presets', '--bench', SAMPLE], { encoding: 'utf8', timeout: 20_000 });
  return { status: r.status, out: r.stdout + r.stderr };
};

test('the code cache: written after a first run, and a damaged one is ignored and replaced', { timeout: 60_000 }, () => {
  const first = presets();
  assert.equal(first.status, 0, first.out);
  const file = cacheFile('presets');
  assert.ok(statSync(file).size > 1000, 'a cache holding the code the command ran');

  const garbage = Buffer.alloc(4096, 0x5a);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, garbage);
  const second = presets();
  assert.equal(second.status, 0, second.out);
  assert.equal(second.out, first.out, 'the same answer with a damaged cache');
  assert.notDeepEqual(readFileSync(file), garbage, 'rejected, so written anew');
});

test('the bundled ioredis: the Node modules it loads at first use (crypto, tls) are there when used', { timeout: 30_000 }, async () => {
  const port = await freePort();
  const redis = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--dir', tmpdir()], { stdio: 'ignore' });
  try {
    await listening(port);
    const { Redis } = createRequire(import.meta.url)(path.join(path.dirname(BUNDLE), 'vendor', 'ioredis.cjs')) as typeof import('ioredis');
    const client = new Redis({ port, lazyConnect: true });
    client.defineCommand('one', { lua: 'return 1', numberOfKeys: 0 }); // a Lua script's SHA-1: crypto
    await client.connect();
    assert.equal(await (client as unknown as { one: () => Promise<number> }).one(), 1);
    client.disconnect();
    // TLS against a plain Redis: the handshake fails, which takes tls.connect.
    const tls = new Redis({ port, tls: {}, lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 });
    const failed = new Promise<Error>((resolve) => tls.once('error', resolve));
    await tls.connect().catch(() => {});
    assert.doesNotMatch((await failed).message, /call stack|is not a function/);
    tls.disconnect();
  } finally {
    redis.kill('SIGKILL');
  }
});
