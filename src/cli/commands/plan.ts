import { planToJson, planToTable } from '../../plan/render.js';
import { planBench } from '../../session/planning.js';
import { formationRequest, noteManager, type FormationOptions } from '../context.js';

export async function planCommand(processes: string[], opts: FormationOptions & { json?: boolean; showSecrets?: boolean }): Promise<number> {
  noteManager(opts);
  const { plan } = await planBench(formationRequest(opts, processes));
  process.stdout.write(
    `${opts.json ? planToJson(plan, opts.showSecrets === true) : planToTable(plan, process.stdout.isTTY ? process.stdout.columns : undefined)}\n`,
  );
  return 0;
}
