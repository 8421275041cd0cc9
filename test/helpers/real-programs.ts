import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { makeBench } from './bench-fixture.js';
import { freePort } from './ports.js';

/**
 * Debian's python3-rq installs RQ for the system Python, which may not be the first python3
 * on PATH (pyenv): the real-program tests call this one.
 */
export const SYSTEM_PYTHON = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';

/** Fail loudly (not skip) when RQ is missing: CI installs python3-rq. */
export function requireRq(): void {
  try {
    execFileSync(SYSTEM_PYTHON, ['-c', 'import rq, redis'], { stdio: 'pipe' });
  } catch {
    throw new Error(`RQ is not importable by ${SYSTEM_PYTHON}: install Debian's python3-rq (apt-get install python3-rq)`);
  }
}

/**
 * A Python program like a real worker on SIGTERM: logs "PID up", then on each SIGTERM "PID TERM";
 * the first one makes it finish its work for TERM_NEEDS seconds (default 2), log "PID done" and exit.
 */
export const TERM_COUNTER = `import os, signal, sys, time
log = open(os.environ.get('EVENTS', 'events.log'), 'a', buffering=1)
pid = os.getpid()
terms = 0
def say(what):
    log.write(f'{pid} {what}\\n')
    print(what, flush=True)
def on_term(signum, frame):
    global terms
    terms += 1
    say('TERM')
    if terms == 1:
        time.sleep(float(os.environ.get('TERM_NEEDS', '2')))
        say('done')
        sys.exit(0)
signal.signal(signal.SIGTERM, on_term)
say('up')
while True:
    time.sleep(1)
`;

/** Install `env/bin/bench` in a bench as the given Python source (fbench puts env/bin first on PATH). */
export function installBench(dir: string, source: string): void {
  mkdirSync(path.join(dir, 'env', 'bin'), { recursive: true });
  const p = path.join(dir, 'env', 'bin', 'bench');
  writeFileSync(p, `#!${SYSTEM_PYTHON}\n${source}`);
  chmodSync(p, 0o755);
}

/**
 * `bench worker [--queue a,b]` as Frappe runs it: an RQ worker on Frappe's queue names
 * (`<bench_id>:<queue>`, bench_id from the config or the bench's real path), jobs importable
 * from the bench folder.
 */
export const RQ_BENCH = `import json, os, sys
sys.path.insert(0, os.getcwd())
from redis import Redis
from rq import Queue, Worker
args = sys.argv[1:]
if not args or args[0] != 'worker':
    sys.exit('this stand-in only runs bench worker')
conf = json.load(open('sites/common_site_config.json'))
bench_id = conf.get('bench_id') or os.path.realpath('.').strip('/').replace('/', '-')
queues = ['short', 'default', 'long'] + list(conf.get('workers', {}))
if '--queue' in args:
    queues = args[args.index('--queue') + 1].split(',')
conn = Redis.from_url(conf['redis_queue'])
Worker([Queue(f'{bench_id}:{q}', connection=conn) for q in queues], connection=conn).work()
`;

/** Jobs for the RQ tests: a slow one that writes a file, and one that fails. */
export const RQ_JOBS = `import os, time
def slow(path, seconds):
    open(path + '.pid', 'w').write(str(os.getpid()))
    print('slow job starts', flush=True)
    time.sleep(seconds)
    open(path, 'w').write('done')
    print('slow job done', flush=True)
def fail():
    print('failing job starts', flush=True)
    raise ValueError('this job fails')
`;

/** Enqueue `jobs.<fn>(*args)` on a Frappe queue of the bench (v13: `plain` queue names); returns the job id. */
export function enqueue(dir: string, queue: string, fn: string, args: unknown[], opts: { plain?: boolean } = {}): string {
  const script = `import json, os, sys
from redis import Redis
from rq import Queue
conf = json.load(open('sites/common_site_config.json'))
bench_id = conf.get('bench_id') or os.path.realpath('.').strip('/').replace('/', '-')
q = Queue(${opts.plain ? `'${queue}'` : `f'{bench_id}:${queue}'`}, connection=Redis.from_url(conf['redis_queue']))
print(q.enqueue('jobs.${fn}', *json.loads(sys.argv[1])).id)
`;
  return execFileSync(SYSTEM_PYTHON, ['-c', script, JSON.stringify(args)], { cwd: dir, encoding: 'utf8' }).trim();
}

/** A program that stops at breakpoint() twice, with a local `x` to inspect. */
export const TWO_BREAKPOINTS = `import time
x = 41
print('before first', flush=True)
breakpoint()
print('between', flush=True)
breakpoint()
print('after both', flush=True)
time.sleep(300)
`;

/** An RQ job that stops at breakpoint() with a local `y`, then writes `path`. */
export const DEBUG_JOB = `
def debug_job(path):
    y = 7
    breakpoint()
    open(path, 'w').write(str(y))
    print('debug job done', flush=True)
`;

/**
 * A bench on Debian's RQ: its queue Redis (data under config/pids, as bench writes the conf),
 * bench's own worker line (and `extra` Procfile lines), `jobs.py` for the jobs to run.
 */
export async function rqBench(extra = '', siteConfig: Record<string, unknown> = {}): Promise<{ dir: string; port: number; cleanup: () => void }> {
  requireRq();
  const port = await freePort();
  const b = makeBench({
    Procfile: `redis_queue: redis-server config/redis_queue.conf\nworker: bench worker 1>> logs/worker.log 2>> logs/worker.error.log\n${extra}`,
    'sites/common_site_config.json': JSON.stringify({ redis_queue: `redis://127.0.0.1:${port}`, redis_cache: `redis://127.0.0.1:${port}`, ...siteConfig }),
    'config/pids/.keep': '',
    'logs/.keep': '',
    'jobs.py': RQ_JOBS,
    'apps/app/app/hooks.py': '',
    'config/redis_queue.conf': '',
  });
  writeFileSync(
    path.join(b.dir, 'config/redis_queue.conf'),
    `dir ${b.dir}/config/pids\npidfile ${b.dir}/config/pids/redis_queue.pid\nbind 127.0.0.1\nport ${port}\nsave ""\n`,
  );
  installBench(b.dir, RQ_BENCH);
  return { dir: b.dir, port, cleanup: b.cleanup };
}

/** A worker like RQ's: its child leaves the group (setsid) as RQ's work horse does, and the worker exits at once on SIGTERM. */
export const HORSE = `import os, signal, sys, time
pid = os.fork()
if pid == 0:
    os.setsid()
    print('horse', os.getpid(), flush=True)
    time.sleep(60)
    sys.exit(0)
signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))
time.sleep(60)
`;
/** A program that daemonizes: fork, setsid, fork; the parents exit 0. */
export const DAEMON = `import os, sys, time
if os.fork() > 0:
    sys.exit(0)
os.setsid()
if os.fork() > 0:
    sys.exit(0)
print('daemon', os.getpid(), flush=True)
time.sleep(60)
`;
