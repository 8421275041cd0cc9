import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { planToJson } from '../../plan/render.js';
import { planBench } from '../../session/planning.js';
import { READS, text, type ToolContext } from '../answer.js';

/** `plan`: what `fbench plan --json` says runs. */
export function planTool(server: McpServer, { bench, answer }: ToolContext): void {
  server.registerTool(
    'plan',
    {
      description:
        'What fbench runs for this bench: each process with its role, command, working folder, port, queues, dependencies and stop grace (the plan JSON).',
      annotations: READS,
    },
    () => answer(async () => text(planToJson((await planBench({ bench })).plan))),
  );
}
