import { timeOfDay } from '../../util/units.js';
import type { ErrorEntry } from '../../session/error-log.js';
import { benchErrors } from '../../client/bench-errors.js';
import { planBench } from '../../session/planning.js';
import { visibleText } from '../../util/visible-text.js';
import { benchRequest, type BenchOptions } from '../context.js';

interface ErrorsOptions extends BenchOptions {
  since?: number | 'save';
  site?: string;
  lines: number;
  json?: boolean;
}

const hms = (iso: string): string => timeOfDay(Date.parse(iso));

/** One entry for people: when, where, what, and the command that shows more; every byte shown as text. Pure. */
export function errorLines(e: ErrorEntry): string[] {
  const times = e.count > 1 ? ` (×${e.count} since ${hms(e.firstAt)})` : '';
  const head = [hms(e.at), e.kind, e.process ?? '-', e.site ? `[${e.site}]` : '', e.title].filter(Boolean).join('  ');
  const detail = [e.exception, e.where ? `at ${e.where}` : null].filter(Boolean).join(' — ');
  return [visibleText(`${head}${times}`), ...(detail ? [visibleText(`    ${detail}`)] : []), `    → ${visibleText(e.more)}`];
}

/** `fbench errors`: what went wrong in the bench, newest first. */
export async function errorsCommand(opts: ErrorsOptions): Promise<number> {
  const { model } = await planBench(benchRequest(opts));
  const since = typeof opts.since === 'number' ? Date.now() - opts.since * 1000 : opts.since;
  const answer = await benchErrors(model, { ...(since !== undefined ? { since } : {}), ...(opts.site ? { site: opts.site } : {}), limit: opts.lines });
  if (opts.json) {
    process.stdout.write(`${JSON.stringify(answer, null, 2)}\n`);
    return 0;
  }
  if (answer.from === 'queue-redis') process.stderr.write('fbench: no session is running: failed jobs only (from the queue Redis)\n');
  if (answer.errors.length === 0) {
    process.stdout.write(`nothing went wrong${opts.since === 'save' ? ' since the last save' : opts.since !== undefined ? ' in that time' : ''}\n`);
    return 0;
  }
  for (const e of answer.errors) process.stdout.write(`${errorLines(e).join('\n')}\n`);
  if (answer.dropped > 0) process.stdout.write(`(${answer.dropped} older entries were dropped: fbench keeps the newest)\n`);
  return 0;
}
