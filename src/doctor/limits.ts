import { fileBudget } from '../session/preflight.js';
import { openFilesLimit } from '../util/process-facts.js';
import { ok, warn, type DoctorContext, type Finding } from './types.js';

const G = 'Limits';

/** Enough open files for every process of the plan, under this shell's `ulimit -n`. */
export function checkLimits(ctx: DoctorContext): Finding[] {
  const limit = openFilesLimit();
  const short = fileBudget(ctx.plan, limit);
  if (short) return [warn(G, short.problem, short.fix)];
  return [ok(G, `open files: ${ctx.plan.processes.length} processes fit in the limit of ${limit ?? 'this system'}`)];
}
