import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { PersistentVolumeClaim } from 'kubernetes-models/v1/PersistentVolumeClaim';
import { Service } from 'kubernetes-models/v1/Service';
import { parse, parseAllDocuments } from 'yaml';
import { renderedBench } from '../helpers/bench-renders.js';
import { FbenchRun } from '../helpers/fbench-run.js';
import { SAMPLE } from '../helpers/sample-bench.js';

const cleanups: (() => void)[] = [];
after(() => cleanups.forEach((c) => c()));

async function fbench(...args: string[]): Promise<{ code: number | null; out: string; stdout: string }> {
  const r = new FbenchRun(args);
  let stdout = '';
  r.child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  const { code } = await r.exited;
  return { code, out: r.output, stdout };
}

type Compose = { services: Record<string, Record<string, unknown> & { command: string[]; deploy: { replicas: number } }>; volumes: Record<string, unknown> };
type PlanJson = { processes: { name: string; type: string; role: string; queues: string[] | null }[] };

/** Process types and instance counts of the plan, without watch (development only), as the export should carry them. */
async function planFormation(...args: string[]): Promise<{ workers: Map<string, number>; counts: Map<string, number> }> {
  const plan = JSON.parse((await fbench('plan', '--json', ...args)).stdout) as PlanJson;
  const counts = new Map<string, number>();
  const workers = new Map<string, number>();
  for (const p of plan.processes) {
    if (p.role === 'watch') continue;
    counts.set(p.role === 'redis' ? 'redis' : p.type, (counts.get(p.role === 'redis' ? 'redis' : p.type) ?? 0) + 1);
    if (p.role === 'worker') workers.set((p.queues ?? []).join(','), (workers.get((p.queues ?? []).join(',')) ?? 0) + 1);
  }
  return { workers, counts };
}

/** Worker queues and replicas as an export describes them. */
function exportedWorkers(services: { command: string[]; replicas: number }[], allQueues: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const s of services) {
    if (s.command[0] !== 'bench' || s.command[1] !== 'worker') continue;
    const i = s.command.indexOf('--queue');
    out.set(i === -1 ? allQueues : s.command[i + 1]!, s.replicas);
  }
  return out;
}

describe('fbench export compose', { timeout: 60_000 }, () => {
  for (const preset of [null, 'split-all'] as const) {
    test(`the sample bench${preset ? ` with --preset ${preset}` : ''}: docker-compose accepts it, and it is the formation fbench plan shows`, async () => {
      const dir = mkdtempSync(path.join(tmpdir(), 'fbench-compose-'));
      cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
      const file = path.join(dir, 'compose.yaml');
      const args = ['--bench', SAMPLE, ...(preset ? ['--preset', preset] : [])];
      const r = await fbench('export', 'compose', '--image', 'acme/erpnext-bench:v15', '-o', file, ...args);
      assert.equal(r.code, 0, r.out);
      execFileSync('docker-compose', ['-f', file, 'config', '-q'], { stdio: 'pipe' });
      const c = parse(readFileSync(file, 'utf8')) as Compose;
      const names = Object.keys(c.services);
      for (const n of ['redis-cache', 'redis-queue', 'backend', 'websocket', 'scheduler']) assert.ok(names.includes(n), `no ${n} in ${names}`);
      assert.ok(!names.some((n) => n.includes('watch')), 'watch is for development');
      for (const r of ['redis-cache', 'redis-queue']) {
        assert.deepEqual((c.services[r]!.healthcheck as { test: string[] }).test.slice(0, 3), ['CMD', 'redis-cli', '-p']);
      }
      for (const [name, s] of Object.entries(c.services)) {
        if (name.startsWith('redis-')) continue;
        assert.deepEqual(s.volumes, ['sites:/home/frappe/frappe-bench/sites'], name);
        for (const cond of Object.values(s.depends_on as Record<string, { condition: string }>)) assert.equal(cond.condition, 'service_healthy');
      }
      assert.deepEqual(Object.keys(c.services.websocket!.depends_on as object), ['redis-queue']);
      assert.equal(c.services.backend!.command[0], '/home/frappe/frappe-bench/env/bin/gunicorn');
      assert.deepEqual(c.services.websocket!.command, ['node', '/home/frappe/frappe-bench/apps/frappe/socketio.js']);
      assert.ok('sites' in c.volumes);
      const plan = await planFormation(...args);
      const services = Object.values(c.services).map((s) => ({ command: s.command, replicas: s.deploy.replicas }));
      assert.deepEqual(exportedWorkers(services, 'short,default,long,email'), plan.workers);
      assert.equal(Object.values(c.services).filter((s) => (s.image as string).startsWith('redis')).length, plan.counts.get('redis'));
      const longest = Number(String(c.services[preset ? 'queue-long' : 'queue']!.stop_grace_period).replace('s', ''));
      assert.equal(longest, 1500 + 60, 'the long queue timeout and a minute');
    });
  }

  test('an external Redis (skip_redis) is left out and passed by environment; bad input is refused', async () => {
    const b = renderedBench('current-skip-redis');
    cleanups.push(b.cleanup);
    const r = await fbench('export', 'compose', '--image', 'acme/b:1', '--bench', b.dir);
    assert.equal(r.code, 0, r.out);
    const c = parse(r.stdout) as Compose;
    assert.ok(!Object.keys(c.services).some((n) => n.startsWith('redis')));
    assert.equal((c.services.backend!.environment as Record<string, string>).FRAPPE_REDIS_QUEUE, 'redis://127.0.0.1:11000');
    assert.ok(!('depends_on' in c.services.backend!));
    const noImage = await fbench('export', 'compose', '--bench', b.dir);
    assert.equal(noImage.code, 1);
    assert.match(noImage.out, /export compose needs --image/);
    const badImage = await fbench('export', 'compose', '--image', 'x;rm -rf /', '--bench', b.dir);
    assert.equal(badImage.code, 1);
    assert.match(badImage.out, /--image: "x;rm -rf \/" is not an image reference/);
  });
});

describe('fbench export kubernetes', { timeout: 60_000 }, () => {
  test('every object validates against the Kubernetes schema; Deployments, probes, init containers and grace periods follow the plan', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'fbench-k8s-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const r = await fbench('export', 'kubernetes', '--image', 'acme/erpnext-bench:v15', '--preset', 'split-all', '--bench', SAMPLE, '-o', dir);
    assert.equal(r.code, 0, r.out);
    const objects = readdirSync(dir).flatMap((f) =>
      parseAllDocuments(readFileSync(path.join(dir, f), 'utf8')).map((d) => d.toJS() as { kind: string; metadata: { name: string } } & Record<string, never>),
    );
    const classes: Record<string, new (o: never) => { validate(): void }> = { Deployment, Service, PersistentVolumeClaim };
    for (const o of objects) new classes[o.kind]!(o as never).validate();
    const deployments = objects.filter((o) => o.kind === 'Deployment') as unknown as {
      metadata: { name: string };
      spec: {
        replicas: number;
        template: {
          spec: {
            terminationGracePeriodSeconds: number;
            initContainers?: { env: { name: string; value: string }[] }[];
            containers: { command: string[]; readinessProbe?: Record<string, unknown>; volumeMounts?: unknown[] }[];
          };
        };
      };
    }[];
    const byName = new Map(deployments.map((d) => [d.metadata.name.replace(/^sample-bench-/, ''), d]));
    assert.deepEqual([...byName.keys()].sort(), [
      'backend',
      'queue-default',
      'queue-email',
      'queue-long',
      'queue-short',
      'redis-cache',
      'redis-queue',
      'scheduler',
      'websocket',
    ]);
    const spec = (n: string) => byName.get(n)!.spec.template.spec;
    assert.ok('tcpSocket' in spec('backend').containers[0]!.readinessProbe!);
    assert.ok('exec' in spec('redis-queue').containers[0]!.readinessProbe!);
    const waitsFor = (n: string): string[] => (spec(n).initContainers ?? []).map((c) => c.env.find((e) => e.name === 'REDIS_HOST')!.value).sort();
    assert.deepEqual(waitsFor('websocket'), ['sample-bench-redis-queue']);
    assert.deepEqual(waitsFor('queue-long'), ['sample-bench-redis-cache', 'sample-bench-redis-queue']);
    assert.deepEqual(waitsFor('redis-queue'), []);
    assert.equal(spec('queue-long').terminationGracePeriodSeconds, 1560);
    assert.equal(spec('queue-email').terminationGracePeriodSeconds, 600 + 60);
    assert.ok(spec('scheduler').containers[0]!.volumeMounts);
    const plan = await planFormation('--bench', SAMPLE, '--preset', 'split-all');
    const exported = exportedWorkers(
      deployments.map((d) => ({ command: d.spec.template.spec.containers[0]!.command, replicas: d.spec.replicas })),
      'short,default,long,email',
    );
    assert.deepEqual(exported, plan.workers);
    assert.ok(
      objects.some((o) => o.kind === 'PersistentVolumeClaim' && (o as unknown as { spec: { accessModes: string[] } }).spec.accessModes[0] === 'ReadWriteMany'),
    );
    // -o refuses to overwrite
    const again = await fbench('export', 'kubernetes', '--image', 'acme/erpnext-bench:v15', '--bench', SAMPLE, '-o', dir);
    assert.equal(again.code, 1);
    assert.match(again.out, /already exist.* → pass --force/);
  });
});
