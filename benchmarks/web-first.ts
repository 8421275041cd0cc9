// The developer's wait: launch → the site answers, on a bench whose web, worker and scheduler each
// need 1.5 s of CPU to import (as Frappe's do) and whose asset build burns every core for 20 s,
// beside "start everything" (every Procfile line spawned at once, no gating, no priorities: what
// honcho does for `bench start`), alternating runs in one run.
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import path from 'node:path';
import { killTree } from '../src/runtime/process-group.js';
import { benchDir } from './benches.js';
import { median, type Row } from './row.js';
import { FbenchRun } from '../test/helpers/fbench-run.js';
import { freePort } from '../test/helpers/ports.js';

const PYTHON = '/usr/bin/python3';

/** `bench serve|worker|schedule|watch` as CPU-bound stand-ins: import cost first, then their work. */
const STAND_IN = `#!${PYTHON}
import os, sys, time
def burn(seconds):
    end = time.process_time() + seconds
    while time.process_time() < end:
        pass
cmd = sys.argv[1]
if cmd == 'watch':
    if os.fork() == 0:
        burn(20)
        sys.exit(0)
    burn(20)
    time.sleep(600)
burn(1.5)
if cmd == 'serve':
    from http.server import HTTPServer, BaseHTTPRequestHandler
    class Ok(BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200); self.end_headers(); self.wfile.write(b'pong')
        def log_message(self, *a):
            pass
    HTTPServer(('127.0.0.1', int(sys.argv[sys.argv.index('--port') + 1])), Ok).serve_forever()
time.sleep(600)
`;

async function standInBench(): Promise<{ dir: string; web: number }> {
  const [cache, queue, web] = [await freePort(), await freePort(), await freePort()];
  const redis = (port: number): string => `redis-server --port ${port} --save "" --bind 127.0.0.1`;
  const dir = benchDir(
    `redis_cache: ${redis(cache)}\nredis_queue: ${redis(queue)}\nweb: bench serve --port ${web}\nworker: bench worker\nschedule: bench schedule\nwatch: bench watch\n`,
    { redis_cache: `redis://127.0.0.1:${cache}`, redis_queue: `redis://127.0.0.1:${queue}`, webserver_port: web },
  );
  mkdirSync(path.join(dir, 'env', 'bin'), { recursive: true });
  writeFileSync(path.join(dir, 'env', 'bin', 'bench'), STAND_IN);
  chmodSync(path.join(dir, 'env', 'bin', 'bench'), 0o755);
  return { dir, web };
}

function answers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path: '/', timeout: 500 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => req.destroy());
    req.end();
  });
}

async function untilAnswers(port: number, t0: bigint): Promise<number> {
  while (!(await answers(port))) await new Promise((r) => setTimeout(r, 10));
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

/** Every line spawned at once, each in its own session as honcho does (start_new_session), env/bin first on PATH (as bench does): the baseline. */
function startEverything(dir: string): ChildProcess[] {
  const commands = readFileSync(path.join(dir, 'Procfile'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => l.slice(l.indexOf(':') + 1).trim());
  return commands.map((command) =>
    spawn('/bin/sh', ['-c', `exec ${command}`], {
      cwd: dir,
      detached: true,
      stdio: 'ignore',
      env: { ...process.env, PATH: `${path.join(dir, 'env', 'bin')}:${process.env.PATH ?? ''}` },
    }),
  );
}

export async function webFirst(runs: number): Promise<Row> {
  const fbench: number[] = [];
  const everything: number[] = [];
  for (let i = 0; i < runs; i++) {
    {
      const { dir, web } = await standInBench();
      const t0 = process.hrtime.bigint();
      const children = startEverything(dir);
      everything.push(await untilAnswers(web, t0));
      for (const c of children) killTree(c.pid!);
      await new Promise((r) => setTimeout(r, 300));
      rmSync(dir, { recursive: true, force: true });
    }
    {
      const { dir, web } = await standInBench();
      const t0 = process.hrtime.bigint();
      const run = new FbenchRun(['start', '--bench', dir, '--no-tasks']);
      fbench.push(await untilAnswers(web, t0));
      await run.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  }
  const value = median(fbench);
  const base = median(everything);
  return {
    figure: 'launch → the web answers: web, worker, scheduler 1.5 s of CPU each to import, the asset build burning both cores',
    cells: new Map([['fbench', { ms: value }]]),
    limit: `${Math.round(base)} ms (start everything at once, as honcho does)`,
    target: `≤ 0.85 × start everything = ${Math.round(base * 0.85)} ms`,
    pass: value <= base * 0.85,
  };
}
