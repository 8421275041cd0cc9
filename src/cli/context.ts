import { existsSync } from 'node:fs';
import path from 'node:path';
import { FbenchError } from '../errors.js';
import { findBench } from '../frappe/discover.js';
import { loadBench, type BenchModel } from '../frappe/bench-model.js';
import { buildPlan } from '../plan/build.js';
import { parseConcurrency } from '../plan/formation.js';
import type { Plan } from '../plan/types.js';

/** Options every command that reads a bench accepts. */
export interface BenchOptions {
  bench?: string;
  env?: string;
  /** -p/--procfile (bench's flag); `f` is honcho's -f, the same. */
  procfile?: string;
  f?: string;
}

/** Options that shape the formation (plan and start). */
export interface FormationOptions extends BenchOptions {
  preset?: string;
  concurrency?: string[];
  port?: number;
  dev?: boolean;
}

export function readBench(opts: BenchOptions): BenchModel {
  const dir = findBench(opts.bench, process.cwd());
  const procfile = opts.procfile ?? opts.f;
  // honcho's -p is a port: `-p 5000` from that habit names no file.
  if (procfile !== undefined && /^\d+$/.test(procfile) && !existsSync(path.resolve(dir, procfile))) {
    throw new FbenchError(`-p ${procfile}: there is no Procfile named "${procfile}"`, `-p is the Procfile, as in bench start; for honcho's PORT base use --port ${procfile}`);
  }
  return loadBench(dir, {
    ...(opts.env ? { envFiles: opts.env.split(',') } : {}),
    ...(procfile ? { procfile } : {}),
    env: process.env,
  });
}

export async function planFor(opts: FormationOptions, only: string[]): Promise<{ model: BenchModel; plan: Plan }> {
  let model = readBench(opts);
  let concurrency = parseConcurrency(opts.concurrency ?? []);
  if (opts.preset) {
    // Presets bring the YAML parser: loaded only when one is asked for.
    const [{ loadPreset }, { applyFormation }] = await Promise.all([import('../frappe/presets.js'), import('../frappe/worker-formation.js')]);
    const preset = loadPreset(opts.preset, model.dir);
    const formation = applyFormation(model.entries, model.config, { ...preset, source: preset.file });
    model = { ...model, entries: formation.entries };
    concurrency = { ...formation.concurrency, ...concurrency };
  }
  const plan = buildPlan(model, {
    concurrency,
    only,
    ...(opts.port !== undefined ? { basePort: opts.port } : {}),
    dev: opts.dev !== false,
    inheritedPath: process.env.PATH ?? '',
    exists: existsSync,
  });
  return { model, plan };
}
