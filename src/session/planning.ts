import { existsSync } from 'node:fs';
import path from 'node:path';
import { FbenchError } from '../errors.js';
import { loadBench, type BenchModel } from '../frappe/bench-model.js';
import { findBench } from '../frappe/discover.js';
import type { Role } from '../frappe/roles.js';
import { buildPlan, type PlanOptions } from '../plan/build.js';
import { planPath } from '../plan/lookup.js';
import type { Plan } from '../plan/types.js';
import { which } from '../util/which.js';

/** Everything that decides a plan, as the commands take it. */
export interface PlanRequest {
  /** --bench; default: found upwards from the current folder. */
  bench?: string;
  procfile?: string;
  envFiles?: string[];
  preset?: string;
  /** --queues: workers split by queue (`a,b+c`), `count` each; only these roles are kept. */
  queues?: { spec: string; count?: number; roles?: Role[] };
  concurrency?: Record<string, number>;
  /** Only these (names, types, roles, wildcards: one rule for every command), and the Redis they need. */
  only?: readonly string[];
  basePort?: number;
  /** false with --no-dev. */
  dev?: boolean;
}

export interface Planned {
  /** The bench as read (its Procfile entries before a preset or split reshaped them). */
  model: BenchModel;
  plan: Plan;
  /** The files whose edits change the plan (a live session re-plans on them). */
  inputs: string[];
}

/**
 * Read the bench and build its plan: the one way every command (plan, start, workers,
 * export, doctor) gets from its options to a plan.
 */
export async function planBench(req: PlanRequest, env: Readonly<Record<string, string | undefined>> = process.env, cwd = process.cwd()): Promise<Planned> {
  const dir = findBench(req.bench, cwd);
  // honcho's -p is a port: `-p 5000` from that habit names no file.
  if (req.procfile !== undefined && /^\d+$/.test(req.procfile) && !existsSync(path.resolve(dir, req.procfile))) {
    throw new FbenchError(
      `-p ${req.procfile}: there is no Procfile named "${req.procfile}"`,
      `-p is the Procfile, as in bench start; for honcho's PORT base use --port ${req.procfile}`,
    );
  }
  const model = loadBench(dir, { env, ...(req.envFiles ? { envFiles: req.envFiles } : {}), ...(req.procfile ? { procfile: req.procfile } : {}) });
  const inputs = [model.procfilePath, path.join(dir, 'sites', 'common_site_config.json'), ...(model.layout.benchToml ? [model.layout.benchToml] : [])];
  let entries = model.entries;
  let concurrency = { ...req.concurrency };
  let workersFrom: string | undefined;
  if (req.preset || req.queues) {
    // Presets and splits bring the YAML parser: loaded only when one is asked for.
    const { applyFormation, parseQueueGroups } = await import('../frappe/worker-formation.js');
    let formation;
    if (req.queues) {
      formation = applyFormation(model.entries, model.config, {
        ...(req.queues.roles ? { roles: req.queues.roles } : {}),
        workers: { kind: 'groups', groups: parseQueueGroups(req.queues.spec, req.queues.count) },
        source: '--queues',
      });
      workersFrom = '--queues';
    } else {
      const { loadPreset } = await import('../frappe/presets.js');
      const preset = loadPreset(req.preset!, dir);
      inputs.push(path.resolve(dir, preset.file));
      formation = applyFormation(model.entries, model.config, { ...preset, source: preset.file });
      workersFrom = preset.file;
    }
    entries = formation.entries;
    concurrency = { ...formation.concurrency, ...concurrency };
  }
  const opts: PlanOptions = {
    concurrency,
    ...(req.basePort !== undefined ? { basePort: req.basePort } : {}),
    dev: req.dev !== false,
    inheritedPath: env.PATH ?? '',
    exists: existsSync,
    ...(workersFrom ? { workersFrom } : {}),
  };
  const plan = buildPlan({ ...model, entries }, { ...opts, ...(req.only?.length ? { only: req.only } : {}) });
  return { model, plan, inputs };
}

/** Where a program is on the PATH the bench's processes get (its env/bin first), or null. */
export function programOnPath(plan: Plan, program: string): string | null {
  return which(program, planPath(plan) || (process.env.PATH ?? ''));
}
