import path from 'node:path';
import { formatWarning } from '../errors.js';
import type { HealthCheck, Plan } from './types.js';

/** A health check as shown: its password masked unless asked for. */
function shownHealth(h: HealthCheck | null, secrets: boolean): HealthCheck | null {
  return h && h.kind === 'redis' && h.password && !secrets ? { ...h, password: '***' } : h;
}

/** The plan as the stable JSON contract documented in the README; passwords masked unless `secrets`. */
export function planToJson(plan: Plan, secrets = false): string {
  return JSON.stringify(
    {
      bench: plan.bench,
      procfile: plan.procfile,
      processes: plan.processes.map((p) => ({
        name: p.name,
        type: p.type,
        role: p.role,
        command: p.command,
        cwd: p.cwd,
        port: p.port,
        queues: p.queues,
        dependsOn: p.dependsOn,
        logFiles: p.logFiles,
        env: p.env,
        health: shownHealth(p.health, secrets),
        critical: p.critical,
      })),
      externals: plan.externals.map((x) => ({ ...x, health: shownHealth(x.health, secrets) })),
      warnings: plan.warnings,
    },
    null,
    2,
  );
}

/** The plan as a table for people. */
export function planToTable(plan: Plan): string {
  const rows = plan.processes.map((p) => [
    p.name,
    p.role,
    p.port === null ? '' : String(p.port),
    p.queues ? p.queues.join(',') : '',
    p.dependsOn.join(', '),
    p.command,
  ]);
  const head = ['NAME', 'ROLE', 'PORT', 'QUEUES', 'AFTER', 'COMMAND'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]): string => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ');
  const out = [`bench: ${plan.bench}`, '', line(head), ...rows.map(line)];
  for (const x of plan.externals) out.push('', `external: ${x.url} (from ${x.source}); checked before its dependents start`);
  const logs = plan.processes.filter((p) => p.logFiles.length && p.name.endsWith('.1'));
  for (const p of logs) out.push(`${p.type} writes to ${p.logFiles.map((f) => path.relative(plan.bench, f)).join(', ')}`);
  if (plan.warnings.length) out.push('', ...plan.warnings.map((w) => `warning: ${formatWarning(w)}`));
  return out.join('\n');
}
