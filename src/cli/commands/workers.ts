import { planBench, type PlanRequest } from '../../run/planning.js';
import { runPlan, type RunOptions } from '../../run/run-plan.js';
import { WORKERS_SESSION } from '../../run/session.js';
import { requireRunningRedis } from '../../run/workers.js';
import { benchRequest, type BenchOptions } from '../context.js';

export interface WorkersOptions extends RunOptions, BenchOptions {
  queues: string;
  count?: number;
  withRedis?: boolean;
  dev?: boolean;
}

/** `fbench workers --queues default,long+short,email [-n N] [--with-redis]`. */
export async function workersCommand(opts: WorkersOptions): Promise<number> {
  const request: PlanRequest = {
    ...benchRequest(opts),
    queues: { spec: opts.queues, ...(opts.count !== undefined ? { count: opts.count } : {}), roles: opts.withRedis ? ['redis', 'worker'] : ['worker'] },
    dev: opts.dev !== false,
  };
  const { model, plan, inputs } = await planBench(request);
  await requireRunningRedis(model, plan);
  return runPlan(plan, opts, WORKERS_SESSION, { build: async () => (await planBench(request)).plan, files: inputs });
}
