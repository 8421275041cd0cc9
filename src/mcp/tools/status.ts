import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { benchSessions } from '../../client/control-client.js';
import { benchErrors } from '../../client/bench-errors.js';
import { siteUrl } from '../../frappe/bench-model.js';
import { planBench } from '../../session/planning.js';
import { runningSessions } from '../../session/session-files.js';
import { json, READS, type ToolContext } from '../answer.js';

/** `status`: the bench's processes as `fbench ps --json` gives them, its site, and what is down or broke since the save. */
export function statusTool(server: McpServer, { bench, answer }: ToolContext): void {
  server.registerTool(
    'status',
    {
      description:
        "The bench's processes: role, state, readiness in words, pid, uptime, restarts, CPU and memory; its ports and the site's URL. With no session running, what would run (the plan).",
      annotations: READS,
    },
    () =>
      answer(async () => {
        const { plan, model } = await planBench({ bench });
        const site = siteUrl(model);
        if (runningSessions(bench).length === 0)
          return json({
            bench,
            running: false,
            note: 'no fbench session is running: `fbench start` starts this plan',
            site,
            processes: plan.processes.map((p) => ({ name: p.name, role: p.role, port: p.port, queues: p.queues })),
          });
        const sessions = await benchSessions(bench);
        const processes = sessions.flatMap((s) => s.processes);
        // What an agent asks first after an edit: is anything down, did anything break since the save.
        const broke = await benchErrors(model, { since: 'save' }).catch(() => null);
        return json({
          bench,
          running: true,
          site,
          summary: {
            notReady: processes.filter((p) => !p.ready && !p.retiring).map((p) => `${p.name}: ${p.readiness}`),
            errorsSinceSave: broke ? broke.errors.filter((e) => e.kind !== 'job').length : null,
            failedJobsSinceSave: broke ? broke.errors.filter((e) => e.kind === 'job').length : null,
            lastSave: broke?.lastSave ?? null,
          },
          sessions: sessions.map((s) => ({ kind: s.kind, pid: s.pid })),
          processes, // the rows `fbench ps --json` prints: one ProcessInfo, every field
        });
      }),
  );
}
