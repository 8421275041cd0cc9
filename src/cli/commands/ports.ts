import path from 'node:path';
import { FbenchError } from '../../errors.js';
import { planBench } from '../../session/planning.js';
import { editableFix, foreignEditables } from '../../frappe/editable-installs.js';
import { conflicts, portReport, reassignPorts } from '../../client/ports.js';
import { renderTable } from '../../util/table.js';
import { benchRequest, noteManager, type BenchOptions } from '../context.js';

/** `fbench ports [--json] [--reassign [--dry-run]]`. */
export async function portsCommand(opts: BenchOptions & { json?: boolean; reassign?: boolean; dryRun?: boolean }): Promise<number> {
  noteManager(opts);
  if (opts.dryRun && !opts.reassign) throw new FbenchError('--dry-run goes with --reassign', 'fbench ports --reassign --dry-run');
  const planned = await planBench(benchRequest(opts));
  const bench = planned.plan.bench;
  if (opts.reassign) {
    const { moves, edits } = reassignPorts(planned, opts.dryRun === true);
    // Ports and confs are this command's to fix; the code a copy runs is not, but it is said here.
    const foreign = foreignEditables(bench);
    if (opts.json) {
      process.stdout.write(
        `${JSON.stringify({ moves, files: edits.map((e) => ({ file: e.file, changes: e.changes })), written: !opts.dryRun, foreignEditables: foreign }, null, 2)}\n`,
      );
      return 0;
    }
    for (const e of foreign)
      process.stderr.write(`fbench: warning: env/ runs another bench's code: ${e.file} points at ${e.target} → ${editableFix(planned.model.layout)}\n`);
    if (moves.length === 0 && edits.length === 0) {
      process.stdout.write('no port of this bench clashes with a sibling bench or a running session: nothing to change\n');
      return 0;
    }
    for (const m of moves) process.stdout.write(`${m.key}: ${m.from} → ${m.to}\n`);
    for (const e of edits)
      process.stdout.write(
        `${opts.dryRun ? 'would write' : 'wrote'} ${path.relative(bench, e.file)}${opts.dryRun ? '' : ` (was kept as ${path.basename(e.file)}.fbench-bak)`}: ${e.changes.join('; ')}\n`,
      );
    return 0;
  }
  const report = portReport(planned);
  const problems = conflicts(report);
  if (opts.json) {
    process.stdout.write(`${JSON.stringify({ bench, ports: report, conflicts: problems }, null, 2)}\n`);
    return problems.length ? 1 : 0;
  }
  const rows = report.map((p) => [
    p.key,
    String(p.port),
    p.state === 'free' ? 'free' : p.state === 'ours' ? `held by ${p.by}` : `held by ${p.by}`,
    p.where.join(', '),
  ]);
  process.stdout.write(
    `${renderTable(['PORT OF', 'PORT', 'NOW', 'SET IN'], rows, { ...(process.stdout.isTTY ? { width: process.stdout.columns } : {}), shrink: [3, 2] }).join('\n')}\n`,
  );
  if (problems.length)
    process.stdout.write(
      `\n${problems.map((p) => `✖ ${p}`).join('\n')}\nfix: stop what holds them, or move this bench to free ports with \`fbench ports --reassign\`\n`,
    );
  return problems.length ? 1 : 0;
}
