import path from 'node:path';
import { planFor, type FormationOptions } from '../context.js';
import { runPlan, type RunOptions as PlanRunOptions } from '../../run/run-plan.js';
import { START_SESSION } from '../../run/session.js';

export async function startCommand(processes: string[], opts: PlanRunOptions & FormationOptions & { man?: string }): Promise<number> {
  // `bench start -m X` chooses the process manager; here fbench is it.
  if (opts.man !== undefined) process.stderr.write(`fbench: -m ${opts.man} ignored: fbench is the process manager\n`);
  const { plan } = await planFor(opts, processes);
  // Edits to these re-plan the running session; only what changed is restarted.
  const files = [plan.procfile, path.join(plan.bench, 'sites', 'common_site_config.json')];
  if (opts.preset) {
    const { loadPreset } = await import('../../frappe/presets.js');
    files.push(path.resolve(plan.bench, loadPreset(opts.preset, plan.bench).file));
  }
  return runPlan(plan, opts, START_SESSION, { build: async () => (await planFor(opts, processes)).plan, files });
}
