import { withFreeNames } from '../plan/formation.js';
import { planBench, type PlanRequest, type Planned } from '../session/planning.js';
import type { SessionKind } from '../session/session-files.js';
import { namesInUse } from './control-client.js';

/**
 * Plan the bench for a new session of `kind`, naming every process as no other running session
 * of the bench does (`fbench workers` beside `fbench start`: worker.2, not a second worker.1).
 */
export async function planWithFreeNames(kind: SessionKind, request: PlanRequest): Promise<Planned> {
  const planned = await planBench(request);
  const taken = await namesInUse(planned.plan.bench, kind);
  return taken.length ? { ...planned, plan: { ...planned.plan, processes: withFreeNames(planned.plan.processes, taken) } } : planned;
}
