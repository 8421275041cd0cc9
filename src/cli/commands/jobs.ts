import { FbenchError } from '../../errors.js';
import type { FailedJob } from '../../frappe/rq-jobs.js';
import { actOnFailed, jobJson, listFailed, showJob } from '../../session/jobs.js';
import { planBench } from '../../session/planning.js';
import { renderTable } from '../../util/table.js';
import { visibleText } from '../../util/visible-text.js';
import { benchRequest, type BenchOptions } from '../context.js';

interface JobsOptions extends BenchOptions {
  json?: boolean;
  queue?: string;
  all?: boolean;
  lines?: number;
}

/** What another program put in Redis, as text a terminal only shows: no escape sequence, no control character acts. */
const shown = (s: string): string => visibleText(s);
/** A traceback's lines, each shown. */
const shownLines = (s: string): string => s.split('\n').map(shown).join('\n');

const when = (ms: number | null): string => (ms === null ? '?' : new Date(ms).toISOString().replace('T', ' ').slice(0, 19));

/** The failed jobs as a table for people (the id whole: Frappe's are `<site>::<uuid>`). Pure. */
export function failedTable(jobs: readonly FailedJob[], width?: number): string[] {
  return renderTable(
    ['ID', 'QUEUE', 'METHOD', 'FAILED (UTC)', 'EXCEPTION'],
    jobs.map((j) => [shown(j.id), shown(j.queue), shown(j.method), when(j.failedAt), shown(j.exception)]),
    { ...(width ? { width } : {}), shrink: [4, 2], minWidth: 16 },
  );
}

/** `fbench jobs failed|show|requeue|delete`: RQ's failed jobs of the bench, read from its queue Redis. */
export async function jobsCommand(action: string, ids: string[], opts: JobsOptions): Promise<number> {
  const { model } = await planBench(benchRequest(opts));
  const out = (text: string): boolean => process.stdout.write(`${text}\n`);
  switch (action) {
    case 'failed': {
      const jobs = await listFailed(model, { ...(opts.queue ? { queue: opts.queue } : {}), limit: opts.lines ?? 100 });
      if (opts.json) out(JSON.stringify(jobs.map(jobJson), null, 2));
      else if (jobs.length === 0) out(`no failed jobs${opts.queue ? ` on ${opts.queue}` : ''}`);
      else failedTable(jobs, process.stdout.isTTY ? process.stdout.columns : undefined).forEach(out);
      return 0;
    }
    case 'show': {
      if (ids.length !== 1) throw new FbenchError('fbench jobs show takes one job id', 'fbench jobs show <id> (ids from `fbench jobs failed`)');
      const job = await showJob(model, ids[0]!);
      if (opts.json) out(JSON.stringify(jobJson(job), null, 2));
      else {
        out(`job ${shown(job.id)} on ${shown(job.queue)}, failed ${when(job.failedAt)} UTC`);
        out(`method: ${shown(job.method)}`);
        out(`call: ${shown(job.call)}`);
        out(job.traceback ? `\n${shownLines(job.traceback.trimEnd())}` : '(no traceback stored)');
      }
      return 0;
    }
    case 'requeue':
    case 'delete': {
      if (opts.all && action === 'delete') throw new FbenchError('fbench jobs delete takes job ids, not --all', 'delete one by one: fbench jobs delete <id>');
      const targets = opts.all ? (await listFailed(model, { ...(opts.queue ? { queue: opts.queue } : {}), limit: 10_000 })).map((j) => j.id) : ids;
      if (targets.length === 0)
        throw new FbenchError(
          opts.all ? 'no failed jobs to requeue' : `fbench jobs ${action} needs a job id`,
          opts.all ? undefined : `fbench jobs ${action} <id>`,
        );
      const done = await actOnFailed(model, action, targets);
      if (opts.json) out(JSON.stringify(done, null, 2));
      else for (const d of done) out(shown(d.said));
      return done.every((d) => d.ok) ? 0 : 1;
    }
    default:
      throw new FbenchError(`fbench jobs: no action "${action}"`, 'failed, show ID, requeue ID|--all, delete ID');
  }
}
