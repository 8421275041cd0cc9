import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import { NAME_MAX } from '../../plan/lookup.js';
import { actOnFailed, jobJson, listFailed, showJob } from '../../session/jobs.js';
import { planBench } from '../../session/planning.js';
import { ACTS, json, READS, refusal, text, type ToolContext } from '../answer.js';

/** A job id as RQ makes them (Frappe's `<site>::<uuid>`): well under this. */
const jobId = z.string().min(1).max(NAME_MAX).describe('the whole job id, as failed_jobs lists it');

/** `failed_jobs` and `job`: RQ's failed registry as `fbench jobs failed|show` reads it. */
export function jobTools(server: McpServer, { bench, answer }: ToolContext): void {
  server.registerTool(
    'failed_jobs',
    {
      description: "RQ's failed jobs, newest first: id (whole), queue, method, when, the exception's last line.",
      inputSchema: { queue: z.string().max(NAME_MAX).optional().describe('only this queue (long)'), limit: z.number().int().min(1).max(500).optional() },
      annotations: READS,
    },
    (a) =>
      answer(async () =>
        json((await listFailed((await planBench({ bench })).model, { ...(a.queue ? { queue: a.queue } : {}), limit: a.limit ?? 50 })).map(jobJson)),
      ),
  );
  server.registerTool(
    'job',
    {
      description: 'One job by id: method, call with its arguments, queue, when it failed, the exception and the traceback.',
      inputSchema: { id: jobId },
      annotations: READS,
    },
    (a) => answer(async () => json(jobJson(await showJob((await planBench({ bench })).model, a.id)))),
  );
}

/** `requeue_job`: a failed job back on its queue, as `fbench jobs requeue`. */
export function requeueTool(server: McpServer, { bench, answer }: ToolContext): void {
  server.registerTool(
    'requeue_job',
    { description: 'Put a failed job back on its queue (as RQ requeues it).', inputSchema: { id: jobId }, annotations: ACTS },
    (a) =>
      answer(async () => {
        const [r] = await actOnFailed((await planBench({ bench })).model, 'requeue', [a.id]);
        return r!.ok ? text(r!.said) : refusal(r!.said);
      }),
  );
}
