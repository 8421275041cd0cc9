import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import { benchErrors } from '../../client/bench-errors.js';
import { NAME_MAX } from '../../plan/lookup.js';
import { planBench } from '../../session/planning.js';
import { json, READS, type ToolContext } from '../answer.js';

/** The lines of each errors entry an answer holds (the rest: its `more` command). */
const MCP_ENTRY_LINES = 15;

/** `errors`: what went wrong, as `fbench errors --json` says it. */
export function errorsTool(server: McpServer, { bench, answer }: ToolContext): void {
  server.registerTool(
    'errors',
    {
      description:
        'What went wrong in the bench, newest first: failed requests (method, path, status, the exception and the frame in the app), failed jobs (Frappe method, exception, the worker lines while it ran), asset builds that failed (file:line), crashes (exit and the decisive line). The same error again is one entry with a count. With no session, failed jobs only.',
      inputSchema: {
        since_save: z.boolean().optional().describe('only what happened since the last save fbench saw'),
        since_seconds: z.number().int().min(1).optional().describe('only what happened in the last N seconds'),
        site: z.string().max(NAME_MAX).optional().describe('only what happened on this site'),
        limit: z.number().int().min(1).max(200).optional().describe('at most this many entries (default 20)'),
      },
      annotations: READS,
    },
    (a) =>
      answer(async () => {
        const { model } = await planBench({ bench });
        const since = a.since_save ? ('save' as const) : a.since_seconds ? Date.now() - a.since_seconds * 1000 : undefined;
        const found = await benchErrors(model, { ...(since !== undefined ? { since } : {}), ...(a.site ? { site: a.site } : {}), limit: a.limit ?? 20 });
        // Each entry's last lines (a traceback's end, the exception) so that the answer stays whole JSON under its bound.
        return json({ ...found, errors: found.errors.map((e) => ({ ...e, lines: e.lines.slice(-MCP_ENTRY_LINES) })) });
      }),
  );
}
