'use strict';
// Stand-in for bench's Frappe commands in a Procfile: serve, worker, schedule, watch, socketio.
const http = require('node:http');
const os = require('node:os');
const ctx = require('./bench-context.cjs');

const [sub, ...args] = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(name);
  if (i >= 0 && i + 1 < args.length) return args[i + 1];
  const eq = args.find((a) => a.startsWith(`${name}=`));
  return eq ? eq.slice(name.length + 1) : fallback;
};
const log = (line) => process.stdout.write(`${line}\n`);
const onStop = (fn) => ['SIGTERM', 'SIGINT'].forEach((s) => process.on(s, fn));

const commands = {
  /** bench serve --port N: a tiny HTTP API in front of Redis. */
  async serve() {
    const port = Number(option('--port', ctx.config.webserver_port || 8000));
    const cache = await ctx.connectOrDie('cache', 'web');
    const queue = await ctx.connectOrDie('queue', 'web');
    const server = http.createServer(async (req, res) => {
      const url = new URL(req.url, 'http://x');
      const send = (status, body) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      };
      try {
        const hits = await cache.call('INCR', `${ctx.benchId}|hits`);
        log(`127.0.0.1 - - "${req.method} ${url.pathname}${url.search}" (hit ${hits})`);
        if (url.pathname === '/api/method/ping') return send(200, { message: 'pong' });
        if (url.pathname === '/api/method/hits') return send(200, { message: hits });
        if (url.pathname === '/api/method/enqueue') {
          const q = url.searchParams.get('queue') || 'default';
          const job = url.searchParams.get('job') || 'sample.job';
          const seconds = url.searchParams.get('seconds') || '0';
          try {
            const id = await ctx.enqueue(queue, q, job, { seconds });
            return send(200, { message: { job_id: id, queue: q } });
          } catch (err) {
            return send(417, { exc_type: 'ValidationError', exception: err.message });
          }
        }
        if (url.pathname === '/api/method/job') {
          const fields = await queue.call('HGETALL', `rq:job:${url.searchParams.get('id')}`);
          const job = {};
          for (let i = 0; i < fields.length; i += 2) job[fields[i]] = fields[i + 1];
          return send(200, { message: job });
        }
        send(404, { exc_type: 'DoesNotExistError' });
      } catch (err) {
        send(500, { exception: String(err.message) });
      }
    });
    server.listen(port, '127.0.0.1', () => log(` * Running on http://127.0.0.1:${port}/ (stand-in for bench serve)`));
    server.on('error', (err) => {
      process.stderr.write(`web: ${err.code === 'EADDRINUSE' ? `Address already in use: port ${port}` : err.message}\n`);
      process.exit(1);
    });
    onStop(() => {
      server.close();
      cache.close();
      queue.close();
      process.exit(0);
    });
  },

  /** bench worker [--queue a,b]: an RQ-style worker. */
  async worker() {
    const wanted = (option('--queue') || ctx.queues.join(',')).split(',').filter(Boolean);
    const unknown = wanted.filter((q) => !ctx.queues.includes(q));
    if (unknown.length) {
      process.stderr.write(`worker: unknown queue ${unknown.join(', ')} (known: ${ctx.queues.join(', ')})\n`);
      process.exit(1);
    }
    const conn = await ctx.connectOrDie('queue', 'worker');
    const blocking = await ctx.connectOrDie('queue', 'worker');
    await ctx.connectOrDie('cache', 'worker').then((c) => c.close());
    const name = `${os.hostname()}.${process.pid}`;
    const key = `rq:worker:${name}`;
    const heartbeat = () =>
      conn.call('HSET', key, 'last_heartbeat', new Date().toISOString()).then(() => conn.call('EXPIRE', key, 480));
    // RQ records the full queue names ("<bench_id>:<queue>").
    const fullNames = wanted.map((q) => `${ctx.benchId}:${q}`).join(',');
    await conn.call('HSET', key, 'birth', new Date().toISOString(), 'queues', fullNames, 'pid', process.pid, 'hostname', os.hostname(), 'state', 'idle');
    await heartbeat();
    await conn.call('SADD', 'rq:workers', key);
    for (const q of wanted) await conn.call('SADD', `rq:workers:${ctx.benchId}:${q}`, key);
    log(`Worker ${name} started; listening on ${wanted.join(', ')}`);
    const beat = setInterval(() => heartbeat().catch(() => {}), 5000);

    let stopping = false;
    let busy = false;
    const leave = async () => {
      clearInterval(beat);
      await conn.call('SREM', 'rq:workers', key).catch(() => {});
      for (const q of wanted) await conn.call('SREM', `rq:workers:${ctx.benchId}:${q}`, key).catch(() => {});
      await conn.call('DEL', key).catch(() => {});
      log(`Worker ${name}: warm shut down`);
      process.exit(0);
    };
    onStop(() => {
      stopping = true;
      blocking.close();
      if (!busy) leave();
    });
    blocking.onClose = () => {
      if (!stopping) {
        process.stderr.write('worker: redis.exceptions.ConnectionError: Connection closed by server.\n');
        process.exit(1);
      }
    };

    while (!stopping) {
      let popped;
      try {
        popped = await blocking.call('BLPOP', ...wanted.map(ctx.queueKey), 1);
      } catch {
        break;
      }
      if (!popped) continue;
      busy = true;
      const [list, id] = popped;
      const queue = list.slice(ctx.queueKey('').length);
      const description = await conn.call('HGET', `rq:job:${id}`, 'description');
      const seconds = Number(await conn.call('HGET', `rq:job:${id}`, 'seconds')) || 0;
      await conn.call('HSET', key, 'state', 'busy', 'current_job', id);
      await conn.call('HSET', `rq:job:${id}`, 'status', 'started', 'worker_name', name, 'started_at', new Date().toISOString());
      log(`${queue}: ${description} (${id})`);
      if (seconds > 0) await new Promise((r) => setTimeout(r, seconds * 1000));
      await conn.call('HSET', `rq:job:${id}`, 'status', 'finished', 'ended_at', new Date().toISOString());
      await conn.call('HSET', key, 'state', 'idle', 'current_job', '');
      log(`${queue}: Job OK (${id})`);
      busy = false;
    }
    if (stopping) leave();
  },

  /** bench schedule: enqueue a small job on `default` every few seconds. */
  async schedule() {
    const conn = await ctx.connectOrDie('queue', 'schedule');
    await ctx.connectOrDie('cache', 'schedule').then((c) => c.close());
    const every = Number(process.env.FBENCH_SAMPLE_SCHEDULE_SECONDS || 5) * 1000;
    log(`Scheduler started; enqueueing frappe.tick on default every ${every / 1000} s`);
    const tick = async () => {
      try {
        const id = await ctx.enqueue(conn, 'default', 'frappe.tick');
        log(`enqueued frappe.tick (${id})`);
      } catch (err) {
        process.stderr.write(`schedule: ${err.message}\n`);
        process.exit(1);
      }
    };
    const timer = setInterval(tick, every);
    onStop(() => {
      clearInterval(timer);
      conn.close();
      process.exit(0);
    });
  },

  /** bench watch: the asset watcher; here a long-running no-op. */
  async watch() {
    log('watching for changes in apps/*/public (stand-in: builds nothing)');
    setInterval(() => {}, 1 << 30);
    onStop(() => process.exit(0));
  },

  /** bench socketio (bench's 2026 Procfile line): the realtime server. */
  async socketio() {
    require('../../../apps/frappe/socketio.js');
  },
};

const run = commands[sub];
if (!run) {
  process.stderr.write(`bench ${sub || ''}: not imitated by the sample bench stand-in (it knows: ${Object.keys(commands).join(', ')})\n`);
  process.exit(1);
}
run().catch((err) => {
  process.stderr.write(`${sub}: ${err.stack || err}\n`);
  process.exit(1);
});
