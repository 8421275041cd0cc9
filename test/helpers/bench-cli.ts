import { chmodSync, cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { REPO } from './sample-bench.js';
import { RQ_JOBS, SYSTEM_PYTHON } from './real-programs.js';

/** Benches as the new bench CLI (frappe/pilot) writes them: see test/fixtures/bench-cli/README.md. */
export const BENCH_CLI_FIXTURES = path.join(REPO, 'test', 'fixtures', 'bench-cli');

/** The fixture's ports, and the free ones a test moves them to. */
export interface CliPorts {
  http: number;
  socketio: number;
  cache: number;
  queue: number;
  admin: number;
}

const FIXTURE_PORTS: Record<string, CliPorts> = {
  dev: { http: 8000, socketio: 9000, cache: 13000, queue: 11000, admin: 7000 },
  shop: { http: 8001, socketio: 9001, cache: 13001, queue: 11001, admin: 7001 },
};

/**
 * A copy of a fixture at `<root>/benches/<name>` (the CLI's own place for its benches), with
 * its placeholders (`@BENCH@`, `@CLI@`) made real and, when given, its ports moved, in every
 * file that names them. bench.toml is made older than what the CLI writes from it.
 */
export function cliBench(name: 'dev' | 'shop', ports?: CliPorts): { root: string; dir: string; cleanup: () => void } {
  const root = mkdtempSync(path.join(tmpdir(), 'fbench-cli-'));
  const dir = path.join(root, 'benches', name);
  mkdirSync(path.dirname(dir), { recursive: true });
  cpSync(path.join(BENCH_CLI_FIXTURES, name), dir, { recursive: true });
  const from = FIXTURE_PORTS[name]!;
  for (const file of files(dir)) {
    let text = readFileSync(file, 'utf8').replaceAll('@BENCH@', dir).replaceAll('@CLI@', root);
    if (ports) {
      for (const k of Object.keys(from) as (keyof CliPorts)[]) text = text.replace(new RegExp(`\\b${from[k]}\\b`, 'g'), String(ports[k]));
    }
    writeFileSync(file, text);
  }
  // Moved ports are bench.toml's too, as the CLI writes them from it: the admin's default (7000) included.
  const toml = path.join(dir, 'bench.toml');
  if (ports && !readFileSync(toml, 'utf8').includes('[admin]')) writeFileSync(toml, `${readFileSync(toml, 'utf8')}\n[admin]\nport = ${ports.admin}\n`);
  const past = new Date(Date.now() - 60_000);
  utimesSync(path.join(dir, 'bench.toml'), past, past);
  mkdirSync(path.join(dir, 'logs'));
  mkdirSync(path.join(dir, 'pids'));
  return { root, dir, cleanup: () => rmSync(root, { recursive: true, force: true }) };
}

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((e) => {
    const p = path.join(dir, e);
    return statSync(p).isDirectory() ? files(p) : [p];
  });
}

/**
 * `env/bin/python` as the new CLI's processes call it, on Debian's RQ: `-m frappe.utils.bench_helper
 * frappe worker|worker-pool|serve|watch` and `-m frappe.realtime.server`, each reading
 * `common_site_config.json` from its working folder as Frappe does (so a wrong folder fails), and
 * RQ workers on `<bench_id>:<queue>` with the bench's `jobs.py` importable.
 */
const CLI_PYTHON = `import json, os, socket, sys, time
args = sys.argv[1:]
def conf():
    return json.load(open('common_site_config.json'))
def listen(port):
    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(('127.0.0.1', port)); s.listen(8)
    print(f'listening on {port}', flush=True)
    while True:
        c, _ = s.accept(); c.recv(1024); c.sendall(b'HTTP/1.0 200 OK\\r\\n\\r\\npong'); c.close()
if args[:2] == ['-m', 'frappe.realtime.server']:
    os.chdir('sites'); listen(conf()['socketio_port'])
if args[:3] != ['-m', 'frappe.utils.bench_helper', 'frappe']:
    sys.exit('this stand-in runs only frappe.utils.bench_helper and frappe.realtime.server')
cmd, rest = args[3], args[4:]
def opt(name, default=None):
    return rest[rest.index(name) + 1] if name in rest else default
if cmd == 'serve':
    listen(int(opt('--port')))
if cmd == 'watch':
    conf(); print('watching assets', flush=True)
    while True: time.sleep(1)
if cmd in ('worker', 'worker-pool'):
    c = conf()
    bench = os.path.dirname(os.getcwd())
    sys.path.insert(0, bench)
    from redis import Redis
    from rq import Queue, Worker
    bench_id = c.get('bench_id') or os.path.realpath(bench).strip('/').replace('/', '-')
    queues = opt('--queue', 'short,default,long').split(',')
    conn = Redis.from_url(c['redis_queue'])
    n = int(opt('--num-workers', '1')) if cmd == 'worker-pool' else 1
    for i in range(n - 1):
        if os.fork() == 0:
            break
    Worker([Queue(f'{bench_id}:{q}', connection=conn) for q in queues], connection=conn).work()
    sys.exit(0)
sys.exit(f'unknown command {cmd}')
`;

/** node's socketio as the CLI runs it (in sites/): listens on socketio_port from common_site_config.json in its working folder. */
const SOCKETIO_JS = `const fs = require('fs'); const net = require('net');
const port = JSON.parse(fs.readFileSync('common_site_config.json', 'utf8')).socketio_port;
net.createServer((c) => c.end()).listen(port, '127.0.0.1', () => console.log('socketio on ' + port));
`;

/** The CLI's admin (`python -m admin.backend.run_server --port N`), which needs the CLI's folder on PYTHONPATH. */
const ADMIN_PYTHON = `import os, socket, sys, time
args = sys.argv[1:]
assert os.environ.get('PYTHONPATH'), 'the admin needs the CLI folder on PYTHONPATH'
port = int(args[args.index('--port') + 1])
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(('127.0.0.1', port)); s.listen(8)
print(f'admin on {port}', flush=True)
while True: time.sleep(1)
`;

/** Install the stand-ins a fixture's config/Procfile calls: the bench's python, node's socketio.js, the CLI's admin python. */
export function installCliPrograms(root: string, dir: string): void {
  const exe = (p: string, text: string): void => {
    mkdirSync(path.dirname(p), { recursive: true });
    writeFileSync(p, text);
    chmodSync(p, 0o755);
  };
  exe(path.join(dir, 'env', 'bin', 'python'), `#!${SYSTEM_PYTHON}\n${CLI_PYTHON}`);
  exe(path.join(root, '.admin-venv', 'bin', 'python'), `#!${SYSTEM_PYTHON}\n${ADMIN_PYTHON}`);
  exe(path.join(dir, 'apps', 'frappe', 'socketio.js'), SOCKETIO_JS);
  writeFileSync(path.join(dir, 'jobs.py'), RQ_JOBS);
}
