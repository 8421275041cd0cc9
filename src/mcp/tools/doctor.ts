import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { runDoctor, verdictOf } from '../../doctor/run.js';
import { json, READS, type ToolContext } from '../answer.js';

/** `doctor`: every check `fbench doctor` makes, with its fix. */
export function doctorTool(server: McpServer, { bench, answer }: ToolContext): void {
  server.registerTool(
    'doctor',
    { description: 'What would stop this bench from starting or working: every check fbench doctor makes, with its fix.', annotations: READS },
    () =>
      answer(async () => {
        const checks = await runDoctor(bench, process.env, {});
        return json({ verdict: verdictOf(checks), checks });
      }),
  );
}
