import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { planBench } from '../../session/planning.js';
import { benchQueueStats, withQueueRedis } from '../../session/queue-redis.js';
import { json, READS, type ToolContext } from '../answer.js';

/** `queues`: per queue, waiting and failed jobs, live and busy workers, from the queue Redis. */
export function queuesTool(server: McpServer, { bench, answer }: ToolContext): void {
  server.registerTool(
    'queues',
    { description: 'Per queue of the bench: jobs waiting, live workers, busy workers with the method and age of their job, failed jobs.', annotations: READS },
    () =>
      answer(async () => {
        const { model } = await planBench({ bench });
        return json(await withQueueRedis(model, (c) => benchQueueStats(c, model, Date.now())));
      }),
  );
}
