// The least any Node process manager does for a start-up figure, as `node -e` scripts: Node's
// own start, the spawns, the waiting. What fbench spends above a floor is its own; a target
// below it is out of reach of any program started by node on that machine at that time.

/** Runs `sh -c true` and exits with its code. */
export const NODE_RUNS_TRUE = 'require("child_process").spawn("/bin/sh", ["-c", "true"], { stdio: "inherit" }).on("exit", (c) => process.exit(c))';

export interface ReadyFloor {
  /** PING with this ioredis build (loaded after the spawns, while Redis boots) instead of raw RESP. */
  ioredis?: string;
  /** Also fork a watchdog shell after the first Redis, as fbench does (zero orphans after a SIGKILL). */
  watchdog?: boolean;
}

/** Spawns two Redis (ports in argv), PINGs each until PONG, prints "ready". */
export function nodeReadiesTwoRedis(floor: ReadyFloor = {}): string {
  const ping = floor.ioredis
    ? `const { Redis } = require(${JSON.stringify(floor.ioredis)});
const ping = (port) => up(port).then(async () => {
  const r = new Redis({ host: '127.0.0.1', port: Number(port), lazyConnect: true, enableReadyCheck: false, maxRetriesPerRequest: 0, retryStrategy: () => null, disableClientInfo: true });
  await r.connect(); await r.ping(); r.disconnect();
});`
    : `const ping = (port) => up(port, 'PING\\r\\n');`;
  return `const { spawn } = require('child_process'), net = require('net');
const ports = process.argv.slice(1);
const servers = ports.map((p) => spawn('redis-server', ['--port', p, '--save', '', '--bind', '127.0.0.1'], { stdio: 'ignore' }));
${floor.watchdog ? `const watchdog = spawn('/bin/sh', ['-c', 'while IFS= read -r l; do :; done'], { stdio: ['pipe', 'ignore', 'ignore'], detached: true }); servers.forEach((s) => watchdog.stdin.write('+' + s.pid + '\\n'));` : ''}
/** Resolves once the port accepts (and, given a request, once the answer is +PONG). */
const up = (port, request) => new Promise((done) => {
  const ask = () => {
    const s = net.connect(Number(port), '127.0.0.1');
    s.once('connect', () => (request ? s.write(request) : (s.destroy(), done())));
    s.once('data', (d) => { s.destroy(); String(d).startsWith('+PONG') ? done() : setTimeout(ask, 1); });
    s.once('error', () => { s.destroy(); setTimeout(ask, 1); });
  };
  ask();
});
${ping}
// Stopped before the word: whoever reads it may stop this process at once.
Promise.all(ports.map(ping)).then(() => { servers.forEach((r) => r.kill('SIGKILL'));${floor.watchdog ? ' watchdog.stdin.end();' : ''} process.stdout.write('ready\\n'); });`;
}
