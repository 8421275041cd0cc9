import { planToJson, planToTable } from '../../plan/render.js';
import { planBench } from '../../run/planning.js';
import { formationRequest, type FormationOptions } from '../context.js';

export async function planCommand(processes: string[], opts: FormationOptions & { json?: boolean; showSecrets?: boolean }): Promise<number> {
  const { plan } = await planBench(formationRequest(opts, processes));
  process.stdout.write(`${opts.json ? planToJson(plan, opts.showSecrets === true) : planToTable(plan)}\n`);
  return 0;
}
