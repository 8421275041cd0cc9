import { planFor } from '../context.js';
import { runPlan, type RunOptions } from '../run-plan.js';

export async function startCommand(processes: string[], opts: RunOptions & { preset?: string }): Promise<number> {
  const { plan } = planFor(opts, processes);
  return runPlan(plan, opts);
}
