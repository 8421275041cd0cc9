import path from 'node:path';
import { formatWarning } from '../errors.js';
import type { RedisCheck } from '../health/types.js';
import { renderTable } from '../util/table.js';
import type { Plan, Readiness } from './types.js';

const masked = (r: RedisCheck, secrets: boolean): RedisCheck => (r.password && !secrets ? { ...r, password: '***' } : r);

/** A readiness check as shown: its password masked unless asked for. */
function shownHealth(h: Readiness | null, secrets: boolean): Readiness | null {
  if (h?.kind === 'redis') return masked(h, secrets);
  if (h?.kind === 'rq-worker') return { ...h, redis: masked(h.redis, secrets) };
  return h;
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
        stopGraceSeconds: p.stop.graceSeconds,
      })),
      externals: plan.externals.map((x) => ({ ...x, health: shownHealth(x.health, secrets) })),
      warnings: plan.warnings,
    },
    null,
    2,
  );
}

/** The plan as a table for people, fitted to `width` columns (AFTER, then QUEUES left out, then the command cut). */
export function planToTable(plan: Plan, width?: number): string {
  const rows = plan.processes.map((p) => [
    p.name,
    p.role,
    p.port === null ? '' : String(p.port),
    p.queues ? p.queues.join(',') : '',
    p.dependsOn.join(', '),
    p.command,
  ]);
  const out = [
    `bench: ${plan.bench}`,
    '',
    ...renderTable(['NAME', 'ROLE', 'PORT', 'QUEUES', 'AFTER', 'COMMAND'], rows, {
      ...(width ? { width } : {}),
      drop: [4, 3],
      shrink: [5],
      minWidth: 12,
      sayDropped: '`--json` has them',
    }),
  ];
  for (const x of plan.externals) out.push('', `external: ${x.name} at ${x.url} (from ${x.source}); checked before its dependents start`);
  const custom = [...new Set(plan.processes.filter((p) => p.role === 'other' && p.dependsOn.length).map((p) => p.type))];
  if (custom.length)
    out.push('', `${custom.join(', ')}: custom line${custom.length > 1 ? 's' : ''}, started once the bench's Redis answers and stopped before it`);
  const logs = plan.processes.filter((p) => p.logFiles.length && p.name.endsWith('.1'));
  for (const p of logs) out.push(`${p.type} writes to ${p.logFiles.map((f) => path.relative(plan.bench, f)).join(', ')}`);
  if (plan.warnings.length) out.push('', ...plan.warnings.map((w) => `warning: ${formatWarning(w)}`));
  return out.join('\n');
}
