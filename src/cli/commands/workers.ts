import { FbenchError } from '../../errors.js';
import { buildPlan } from '../../plan/build.js';
import { canConnect } from '../../health/tcp.js';
import { applyFormation, parseQueueGroups } from '../../frappe/worker-formation.js';
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { BenchModel } from '../../frappe/bench-model.js';
import type { Plan } from '../../plan/types.js';
import { readBench, type FormationOptions } from '../context.js';
import { WORKERS_SESSION } from '../../run/session.js';
import { runPlan, type RunOptions as PlanRunOptions } from '../../run/run-plan.js';

export interface WorkersOptions extends PlanRunOptions, FormationOptions {
  queues: string;
  count?: number;
  withRedis?: boolean;
}

/** `fbench workers --queues default,long+short,email [-n N] [--with-redis]`. */
export async function workersCommand(opts: WorkersOptions): Promise<number> {
  const count = opts.count;
  const { model, plan } = workersPlan(opts, count);

  // Without --with-redis the workers use the bench's Redis as it runs now; if that Redis is
  // one of the Procfile's and is down, say how to bring it up instead of waiting for it.
  for (const x of plan.externals) {
    if (await canConnect(x.health.host, x.health.port, 300)) continue;
    const line = model.entries.find((e) => model.redisConfs[e.name]?.conf?.port === x.health.port);
    if (line) {
      throw new FbenchError(`${line.name} (Procfile:${line.line}) is not running, so the workers have no ${x.url}`, 'add --with-redis to start it here, or run `fbench start` in another terminal');
    }
  }
  const files = [plan.procfile, path.join(plan.bench, 'sites', 'common_site_config.json')];
  return runPlan(plan, opts, WORKERS_SESSION, { build: () => workersPlan(opts, count).plan, files });
}

function workersPlan(opts: WorkersOptions, count: number | undefined): { model: BenchModel; plan: Plan } {
  const model = readBench(opts);
  const formation = applyFormation(model.entries, model.config, {
    roles: opts.withRedis ? ['redis', 'worker'] : ['worker'],
    workers: { kind: 'groups', groups: parseQueueGroups(opts.queues, count) },
    source: '--queues',
  });
  const plan = buildPlan({ ...model, entries: formation.entries }, { concurrency: formation.concurrency, dev: opts.dev !== false, inheritedPath: process.env.PATH ?? '', exists: existsSync });
  return { model, plan };
}
