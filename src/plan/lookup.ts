import path from 'node:path';
import { FbenchError } from '../errors.js';
import { which } from '../util/which.js';
import type { Plan, PlanProcess } from './types.js';

/**
 * The processes a name on the command line means: an instance (`worker.1`), a Procfile type
 * (`worker`), a role (`worker`, `redis`), or a log file they write (`worker.log`,
 * `logs/worker.log`). Throws, naming what exists, for a name that means nothing (unless
 * `skipUnknown`). Pure.
 */
export function processesNamed(plan: Plan, names: readonly string[], option = 'name', skipUnknown = false): string[] {
  const procs = plan.processes;
  const out = new Set<string>();
  for (const n of names) {
    let hits = procs.some((p) => p.name === n) ? [n] : procs.filter((p) => p.role === n || p.type === n).map((p) => p.name);
    if (hits.length === 0) {
      hits = procs.filter((p) => p.logFiles.some((f) => path.basename(f) === n || path.relative(plan.bench, f) === n)).map((p) => p.name);
    }
    if (hits.length === 0 && skipUnknown) continue;
    if (hits.length === 0) throw new FbenchError(`no process, type, role or log file "${n}" (${option})`, `processes: ${procs.map((p) => p.name).join(', ')}`);
    hits.forEach((h) => out.add(h));
  }
  return [...out];
}

/** Where a program is on the PATH the bench's processes get (its env/bin first), or null. */
export function programOnPath(plan: Plan, program: string): string | null {
  return which(program, plan.processes[0]?.env.PATH ?? process.env.PATH ?? '');
}

/** The plan's Redis servers. */
export function redisProcesses(plan: Plan): PlanProcess[] {
  return plan.processes.filter((p) => p.role === 'redis');
}
