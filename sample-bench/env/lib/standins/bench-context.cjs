'use strict';
// What every stand-in needs to know about its bench, read as Frappe reads it.
const fs = require('node:fs');
const path = require('node:path');
const { Redis } = require('./resp.cjs');

const benchDir = path.resolve(__dirname, '..', '..', '..');
const STANDARD_QUEUES = ['short', 'default', 'long'];

function readConfig() {
  const file = path.join(benchDir, 'sites', 'common_site_config.json');
  return JSON.parse(fs.readFileSync(file, 'utf8'));
}

const config = readConfig();
const redisUrls = {
  cache: process.env.FRAPPE_REDIS_CACHE || config.redis_cache || 'redis://127.0.0.1:13000',
  queue: process.env.FRAPPE_REDIS_QUEUE || config.redis_queue || 'redis://127.0.0.1:11000',
};
// Frappe v14+: "<bench_id>:<queue>", bench_id from the config or the bench path.
const benchId = config.bench_id || benchDir.replace(/^\//, '').replace(/\//g, '-');
const queues = [...STANDARD_QUEUES, ...Object.keys(config.workers || {}).filter((q) => !STANDARD_QUEUES.includes(q))];
const queueKey = (q) => `rq:queue:${benchId}:${q}`;

/** Connect as RQ/Frappe do at start: no Redis, no process (exit 1 with the error). */
async function connectOrDie(kind, who) {
  const client = new Redis(redisUrls[kind]);
  try {
    await client.connect();
    await client.call('PING');
    return client;
  } catch (err) {
    process.stderr.write(`${who}: redis.exceptions.ConnectionError: ${err.message}\n`);
    process.exit(1);
  }
}

/** Like frappe.enqueue: a job hash plus its id pushed on the queue's list. */
async function enqueue(client, queue, description, extra = {}) {
  if (!queues.includes(queue)) {
    throw new Error(`Queue should be one of ${queues.join(', ')}`);
  }
  const id = `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`;
  const fields = { description, origin: `${benchId}:${queue}`, status: 'queued', enqueued_at: new Date().toISOString(), ...extra };
  await client.call('HSET', `rq:job:${id}`, ...Object.entries(fields).flat());
  await client.call('SADD', 'rq:queues', queueKey(queue));
  await client.call('RPUSH', queueKey(queue), id);
  return id;
}

module.exports = { benchDir, config, redisUrls, benchId, queues, queueKey, connectOrDie, enqueue, Redis };
