import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseJson } from '../../src/config/json-file.js';
import { FbenchError } from '../../src/errors.js';
import { benchId, frappeMajor, knownQueues, queueTimeout, rqQueueName } from '../../src/frappe/queues.js';
import { parseRedisConf, applyRedisArgs } from '../../src/frappe/redis-conf.js';
import { resolveSiteConfig } from '../../src/frappe/site-config.js';

test("missing keys get bench's defaults", () => {
  const { config } = resolveSiteConfig({}, {});
  assert.equal(config.webserverPort, 8000);
  assert.equal(config.socketioPort, 9000);
  assert.equal(config.redis.cache.port, 13000);
  assert.equal(config.redis.queue.port, 11000);
  assert.equal(config.backgroundWorkers, 1);
  assert.equal(config.dbPort, 3306);
  assert.match(config.redis.queue.source, /bench default/);
});

test('FRAPPE_REDIS_* and FRAPPE_DB_* override the file, and say so', () => {
  const { config } = resolveSiteConfig(
    { redis_queue: 'redis://127.0.0.1:11000', db_host: 'db' },
    { FRAPPE_REDIS_QUEUE: 'redis://10.0.0.5:6380', FRAPPE_DB_HOST: 'other', FRAPPE_DB_PORT: '3307' },
  );
  assert.equal(config.redis.queue.host, '10.0.0.5');
  assert.equal(config.redis.queue.source, 'FRAPPE_REDIS_QUEUE');
  assert.equal(config.dbHost, 'other');
  assert.equal(config.dbPort, 3307);
});

test('custom queues from workers, with their timeouts', () => {
  const { config } = resolveSiteConfig({ workers: { email: { timeout: 600, background_workers: 2 }, reports: {} } }, {});
  assert.deepEqual(knownQueues(config), ['short', 'default', 'long', 'email', 'reports']);
  assert.equal(queueTimeout(config, 'email'), 600);
  assert.equal(queueTimeout(config, 'reports'), 300);
  assert.equal(queueTimeout(config, 'long'), 1500);
});

test('postgres benches default to port 5432', () => {
  assert.equal(resolveSiteConfig({ db_type: 'postgres' }, {}).config.dbPort, 5432);
});

test('bench_id from the config, or from the bench path as Frappe computes it', () => {
  assert.equal(benchId({}, '/home/frappe/frappe-bench'), 'home-frappe-frappe-bench');
  assert.equal(benchId({ benchId: 'mybench' }, '/x'), 'mybench');
  assert.equal(benchId({}, '/home/frappe/frappe-bench/'), 'home-frappe-frappe-bench');
  assert.equal(rqQueueName({ prefixed: true, benchId: 'home-frappe-frappe-bench' }, 'long'), 'home-frappe-frappe-bench:long');
  assert.equal(rqQueueName({ prefixed: false, benchId: 'home-frappe-frappe-bench' }, 'long'), 'long');
  assert.equal(frappeMajor('13.40.1'), 13);
  assert.equal(frappeMajor('15.x.x-develop'), 15);
  assert.equal(frappeMajor('develop'), null);
});

test('a bad number in the config is an error naming the key and the file', () => {
  assert.throws(() => resolveSiteConfig({ webserver_port: 'eighty' }, {}), /webserver_port must be a port number from 1 to 65535, got "eighty"/);
  assert.throws(
    () => resolveSiteConfig({ webserver_port: 70000 }, {}),
    (e: Error & { location?: { file: string } }) => /70000/.test(e.message) && e.location?.file === 'sites/common_site_config.json',
  );
  assert.throws(() => resolveSiteConfig({ background_workers: 100000000 }, {}), /background_workers must be a whole number from 0 to 64/);
  assert.throws(() => resolveSiteConfig({}, { FRAPPE_DB_PORT: '-1' }), /FRAPPE_DB_PORT must be a port number/);
  assert.throws(() => resolveSiteConfig({ workers: { 'x;touch /tmp/pwned;#': {} } }, {}), /queue names may use only letters, digits/);
  assert.throws(() => resolveSiteConfig({ workers: { email: { background_workers: -1 } } }, {}), /workers\.email\.background_workers/);
});

test('invalid JSON names the file, line and column', () => {
  const text = '{\n "webserver_port": 8000,\n}\n';
  assert.throws(
    () => parseJson(text, 'sites/common_site_config.json'),
    (err: unknown) =>
      err instanceof FbenchError && err.location?.file === 'sites/common_site_config.json' && err.location.line === 3 && err.location.column === 1,
  );
});

test('redis conf: the settings that matter, and command-line overrides', () => {
  const conf = parseRedisConf('# c\nport 11000\nbind 127.0.0.1 ::1\nrequirepass "s3cret"\naclfile /b/config/redis_queue.acl\nsave ""\n');
  assert.equal(conf.port, 11000);
  assert.equal(conf.bind, '127.0.0.1');
  assert.equal(conf.requirepass, 's3cret');
  assert.equal(conf.aclfile, '/b/config/redis_queue.acl');
  assert.equal(conf.lines.port, 2);
  assert.equal(applyRedisArgs(conf, ['--port', '11001']).port, 11001);
});
