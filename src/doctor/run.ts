import { FbenchError, formatError } from '../errors.js';
import { planBench } from '../session/planning.js';
import { runningSessions } from '../session/session-files.js';
import { checkDatabase } from './database.js';
import { checkLayout } from './layout.js';
import { checkLimits } from './limits.js';
import { checkNode } from './node.js';
import { checkPorts } from './ports.js';
import { checkPython } from './python.js';
import { checkQueues } from './queues.js';
import { checkRedis } from './redis.js';
import { checkSession } from './session.js';
import { checkWatches } from './watches.js';
import { fail, warn, type DoctorContext, type Finding } from './types.js';

/** Run every check; starts nothing and changes nothing. */
export async function runDoctor(
  dir: string,
  env: Readonly<Record<string, string | undefined>>,
  read: { procfile?: string; envFiles?: string[] } = {},
): Promise<Finding[]> {
  const findings = checkLayout(dir, read.procfile);
  const sessions = runningSessions(dir);
  const sessionPids = sessions.map((s) => s.pid);
  const startPid = sessions.find((s) => s.kind === 'start')?.pid ?? null;

  let ctx: DoctorContext;
  try {
    const { model, plan } = await planBench({ bench: dir, ...read }, env);
    ctx = { dir, model, plan, sessionPids, startPid };
  } catch (err) {
    const why = err instanceof FbenchError ? formatError(err) : (err as Error).message;
    findings.push(...(await checkSession(dir)));
    if (!findings.some((f) => f.status === 'fail')) findings.push(fail('Layout', `the bench cannot be read: ${why}`, 'fix the error above'));
    findings.push(
      warn(
        'Checks',
        'Redis, ports, node, database and queue checks were skipped: the bench could not be read',
        'fix the layout problems above and run fbench doctor again',
      ),
    );
    return findings;
  }
  const groups = await Promise.all([
    checkSession(dir),
    Promise.resolve(checkWatches(ctx)),
    Promise.resolve(checkLimits(ctx)),
    checkRedis(ctx),
    checkPorts(ctx),
    checkNode(ctx),
    Promise.resolve(checkPython(ctx)),
    checkDatabase(ctx),
    checkQueues(ctx),
  ]);
  return [...findings, ...groups.flat()];
}

export interface Verdict {
  ok: boolean;
  failures: number;
  warnings: number;
}

export function verdictOf(findings: readonly Finding[]): Verdict {
  const failures = findings.filter((f) => f.status === 'fail').length;
  const warnings = findings.filter((f) => f.status === 'warn').length;
  return { ok: failures === 0, failures, warnings };
}

const MARK = { ok: '✔', warn: '⚠', fail: '✖' } as const;

export function renderFindings(findings: readonly Finding[], color: boolean): string {
  const paint = (s: string, code: number): string => (color ? `\x1b[${code}m${s}\x1b[0m` : s);
  const codes = { ok: 32, warn: 33, fail: 31 } as const;
  const lines: string[] = [];
  let group = '';
  for (const f of findings) {
    if (f.group !== group) {
      group = f.group;
      lines.push(`${lines.length ? '\n' : ''}${paint(group, 1)}`);
    }
    lines.push(`  ${paint(MARK[f.status], codes[f.status])} ${f.finding}`);
    if (f.fix) lines.push(`      fix: ${f.fix}`);
  }
  const v = verdictOf(findings);
  const summary = v.ok
    ? v.warnings
      ? `${v.warnings} warning${v.warnings > 1 ? 's' : ''}, nothing blocking: fbench start should work`
      : 'all clear: fbench start should work'
    : `${v.failures} problem${v.failures > 1 ? 's' : ''}${v.warnings ? ` and ${v.warnings} warning${v.warnings > 1 ? 's' : ''}` : ''}: fix the ✖ lines before starting`;
  lines.push('', `verdict: ${paint(summary, v.ok ? 32 : 31)}`);
  return lines.join('\n');
}
