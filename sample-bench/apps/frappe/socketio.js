'use strict';
// Stand-in for Frappe's realtime server: subscribes to `events` on the queue Redis (as v15
// does) and relays each message to clients as server-sent events on GET /events.
const http = require('node:http');
const path = require('node:path');
const ctx = require(path.join(__dirname, '..', '..', 'env', 'lib', 'standins', 'bench-context.cjs'));

(async () => {
  const port = Number(ctx.config.socketio_port || 9000);
  const sub = await ctx.connectOrDie('queue', 'socketio');
  const clients = new Set();
  sub.onMessage = (channel, message) => {
    process.stdout.write(`event on ${channel}: ${message}\n`);
    for (const res of clients) res.write(`data: ${message}\n\n`);
  };
  sub.onClose = () => {
    process.stderr.write('socketio: lost the connection to Redis\n');
    process.exit(1);
  };
  await sub.call('SUBSCRIBE', 'events');
  const server = http.createServer((req, res) => {
    if (req.url !== '/events') {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    res.write(': connected\n\n');
    clients.add(res);
    req.on('close', () => clients.delete(res));
  });
  server.on('error', (err) => {
    process.stderr.write(`socketio: ${err.message}\n`);
    process.exit(1);
  });
  server.listen(port, '127.0.0.1', () => process.stdout.write(`Realtime service listening on: ws://127.0.0.1:${port}\n`));
  for (const s of ['SIGTERM', 'SIGINT']) process.on(s, () => process.exit(0));
})();
