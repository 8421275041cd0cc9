import { planToJson, planToTable } from '../../plan/render.js';
import { planFor, type FormationOptions } from '../context.js';

export function planCommand(processes: string[], opts: FormationOptions & { json?: boolean }): number {
  const { plan } = planFor(opts, processes);
  process.stdout.write(`${opts.json ? planToJson(plan) : planToTable(plan)}\n`);
  return 0;
}
