import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import { logLineJson, recentLogs } from '../../client/log-query.js';
import { NAME_MAX } from '../../plan/lookup.js';
import { READS, text, type ToolContext } from '../answer.js';

/** `logs`: recent lines, merged in time order; a plain-text search (nothing an agent sends can backtrack). */
export function logsTool(server: McpServer, { bench, answer }: ToolContext): void {
  server.registerTool(
    'logs',
    {
      description:
        "Recent log lines of the bench, merged in time order, each with its process name: one process or several, or all (and `system`, fbench itself). `search` is plain text, any case (never a pattern that could stall). With no session, the last session's logs/fbench.log.",
      inputSchema: {
        names: z.array(z.string().min(1).max(NAME_MAX)).max(100).optional().describe('names, types, roles, wildcards, or system; default all'),
        lines: z.number().int().min(1).max(2000).optional().describe('lines per process (default 50)'),
        since_seconds: z.number().int().min(1).optional().describe('only lines of the last N seconds'),
        search: z.string().max(200).optional().describe('only lines holding this text (any case)'),
      },
      annotations: READS,
    },
    (a) =>
      answer(async () => {
        const needle = a.search?.toLowerCase();
        const { lines, from } = await recentLogs(bench, a.names ?? [], {
          n: a.lines ?? 50,
          ...(a.since_seconds ? { since: Date.now() - a.since_seconds * 1000 } : {}),
          ...(needle ? { match: (t: string) => t.toLowerCase().includes(needle) } : {}),
        });
        const head = from === 'session' ? '' : `(no session is running: from ${from})\n`;
        return text(
          head +
            lines
              .map((l) => {
                const j = logLineJson(l);
                return `${j.time.slice(11, 19)} ${j.name} | ${j.text}`;
              })
              .join('\n') || `${head}(no lines)`,
        );
      }),
  );
}
