import { existsSync } from 'node:fs';
import path from 'node:path';
import { editableFix, foreignEditables } from '../frappe/editable-installs.js';
import { programOnPath } from '../session/planning.js';
import { fail, ok, type DoctorContext, type Finding } from './types.js';

const G = 'Python';

export function checkPython(ctx: DoctorContext): Finding[] {
  // The new bench CLI's lines call env/bin/python directly: `bench` matters only where a line runs it.
  const runsBench = ctx.plan.processes.some((p) => p.shape.argv[0] === 'bench');
  const bench = runsBench ? programOnPath(ctx.plan, 'bench') : null;
  const python = path.join(ctx.dir, 'env', 'bin', 'python');
  return [
    ...(!runsBench
      ? []
      : bench
        ? [ok(G, `bench: ${bench}`)]
        : [fail(G, 'bench is not on PATH (nor in env/bin)', '`pip install frappe-bench` (or `pipx install frappe-bench`)')]),
    existsSync(python)
      ? ok(G, 'env/bin/python exists')
      : fail(G, "env/bin/python is missing: the bench's virtualenv is gone", `run ${ctx.model.layout.commands.setupEnv}`),
    ...foreignEditables(ctx.dir).map((e) =>
      fail(G, `env/ runs another bench's code: ${e.file} points at ${e.target}, in ${e.bench} (a copied bench?)`, editableFix(ctx.model.layout)),
    ),
  ];
}
