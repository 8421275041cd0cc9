import path from 'node:path';
import { planFor, type FormationOptions } from '../context.js';
import { runPlan, type RunOptions as PlanRunOptions } from '../../run/run-plan.js';

export async function startCommand(processes: string[], opts: PlanRunOptions & FormationOptions): Promise<number> {
  const { plan } = await planFor(opts, processes);
  // Edits to these re-plan the running session; only what changed is restarted.
  const files = [plan.procfile, path.join(plan.bench, 'sites', 'common_site_config.json')];
  if (opts.preset) {
    const { loadPreset } = await import('../../frappe/presets.js');
    files.push(path.resolve(plan.bench, loadPreset(opts.preset, plan.bench).file));
  }
  return runPlan(plan, opts, 'fbench', { build: async () => (await planFor(opts, processes)).plan, files });
}
