import { planBench, type PlanRequest } from '../../session/planning.js';
import { requireRunningRedis } from '../../client/workers.js';
import { benchRequest, noteManager, type BenchOptions, type RunOptions } from '../context.js';
import { runSession } from './start.js';

export interface WorkersOptions extends RunOptions, BenchOptions {
  queues: string;
  count?: number;
  withRedis?: boolean;
  dev?: boolean;
}

/** `fbench workers --queues default,long+short,email [-n N] [--with-redis]`. */
export async function workersCommand(opts: WorkersOptions): Promise<number> {
  noteManager(opts);
  const request: PlanRequest = {
    ...benchRequest(opts),
    queues: { spec: opts.queues, ...(opts.count !== undefined ? { count: opts.count } : {}), roles: opts.withRedis ? ['redis', 'worker'] : ['worker'] },
    dev: opts.dev !== false,
  };
  const { model, plan } = await planBench(request);
  await requireRunningRedis(model, plan);
  return runSession('workers', request, opts);
}
