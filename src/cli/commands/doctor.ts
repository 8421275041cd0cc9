import { runDoctor, renderFindings, verdictOf } from '../../doctor/run.js';
import { findBench } from '../../frappe/discover.js';
import { useColor } from '../../output/colors.js';
import type { BenchOptions } from '../context.js';

export async function doctorCommand(opts: BenchOptions & { json?: boolean; color?: boolean }): Promise<number> {
  const dir = findBench(opts.bench, process.cwd());
  const procfile = opts.procfile ?? opts.f;
  const findings = await runDoctor(dir, process.env, { ...(procfile ? { procfile } : {}), ...(opts.env ? { envFiles: opts.env.split(',') } : {}) });
  const verdict = verdictOf(findings);
  if (opts.json) process.stdout.write(`${JSON.stringify({ bench: dir, verdict, checks: findings }, null, 2)}\n`);
  else process.stdout.write(`${renderFindings(findings, useColor(process.stdout.isTTY === true, process.env, opts.color))}\n`);
  return verdict.ok ? 0 : 1;
}
