import { readsPortVariable } from '../frappe/roles.js';
import type { Plan, PlanProcess } from './types.js';

export interface PlanDiff {
  added: PlanProcess[];
  removed: string[];
  /** Same name, but a different command, environment or dependencies: restart it. */
  changed: { process: PlanProcess; why: string }[];
}

/** What a re-plan changes, by process name. Pure. */
export function diffPlans(before: Plan, after: Plan): PlanDiff {
  const old = new Map(before.processes.map((p) => [p.name, p]));
  const now = new Set(after.processes.map((p) => p.name));
  const diff: PlanDiff = { added: [], removed: before.processes.filter((p) => !now.has(p.name)).map((p) => p.name), changed: [] };
  for (const p of after.processes) {
    const o = old.get(p.name);
    if (!o) diff.added.push(p);
    else {
      const why =
        o.command !== p.command
          ? 'command changed'
          : JSON.stringify(envThatMatters(o)) !== JSON.stringify(envThatMatters(p))
            ? 'environment changed'
            : o.dependsOn.join() !== p.dependsOn.join()
              ? 'dependencies changed'
              : '';
      if (why) diff.changed.push({ process: p, why });
    }
  }
  return diff;
}

/** A process's environment less what it never reads (PORT, for Frappe's programs: see readsPortVariable). */
function envThatMatters(p: PlanProcess): Record<string, string> {
  if (readsPortVariable(p.role, p.command)) return p.env;
  const { PORT: _port, ...rest } = p.env;
  return rest;
}

export function isEmpty(d: PlanDiff): boolean {
  return d.added.length === 0 && d.removed.length === 0 && d.changed.length === 0;
}
