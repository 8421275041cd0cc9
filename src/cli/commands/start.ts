import { planBench } from '../../run/planning.js';
import { runPlan, type RunOptions } from '../../run/run-plan.js';
import { START_SESSION } from '../../run/session.js';
import { formationRequest, type FormationOptions } from '../context.js';

export async function startCommand(processes: string[], opts: RunOptions & FormationOptions & { man?: string }): Promise<number> {
  // `bench start -m X` chooses the process manager; here fbench is it.
  if (opts.man !== undefined) process.stderr.write(`fbench: -m ${opts.man} ignored: fbench is the process manager\n`);
  const request = formationRequest(opts, processes);
  const { plan, inputs } = await planBench(request);
  // Edits to the inputs re-plan the running session; only what changed is restarted.
  return runPlan(plan, opts, START_SESSION, { build: async () => (await planBench(request)).plan, files: inputs });
}
