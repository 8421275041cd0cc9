import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import { act, benchSessions, bySession, restartWords, type SessionAnswer } from '../../client/control-client.js';
import { NAME_MAX } from '../../plan/lookup.js';
import { runningSessions, sessionCommand } from '../../session/session-files.js';
import { ACTS, bounded, type Answer, type ToolContext } from '../answer.js';

/** The sessions of the bench, or why there are none. */
async function sessionsOf(bench: string): Promise<SessionAnswer[]> {
  if (runningSessions(bench).length === 0) throw new Error(`no fbench session is running for ${bench}: start it with \`fbench start\``);
  return benchSessions(bench);
}

/**
 * restart or stop as the CLI asks it, the session's lines (what it waits for, a job killed)
 * collected for the answer instead of printed.
 */
async function actOn(bench: string, cmd: 'restart' | 'stop' | 'start', names: string[], o: { graceSeconds?: number; force?: boolean } = {}): Promise<Answer> {
  const sessions = await sessionsOf(bench);
  const said: string[] = [];
  let failed = false;
  // A start is a restart of what is stopped, told as a start.
  const asked = cmd === 'start' ? 'restart' : cmd;
  for (const { session, names: mine } of bySession(sessions, names, asked, bench)) {
    const grace = o.graceSeconds !== undefined ? { graceSeconds: o.graceSeconds } : {};
    const req = asked === 'restart' ? { cmd: asked, names: mine, ...grace } : { cmd: asked, names: mine, ...grace, ...(o.force ? { force: true } : {}) };
    const outcome = (await act(session.socket, req, (line) => said.push(line)).done)!;
    for (const r of outcome.results) {
      if (!r.ok) failed = true;
      said.push(restartWords(r, cmd === 'start' ? 'started' : 'restarted'));
    }
    if (cmd === 'stop') said.push(`stopped ${outcome.stopped.join(', ')}`);
    said.push(`(${sessionCommand(session.kind)}, pid ${session.pid})`);
  }
  return { content: [{ type: 'text', text: bounded(said.join('\n')) }], ...(failed ? { isError: true } : {}) };
}

const names = z
  .array(z.string().min(1).max(NAME_MAX))
  .min(1)
  .max(100)
  .describe('process names (web.1), types (worker), roles or wildcards (worker*), as fbench ps shows them');
const grace = z
  .number()
  .int()
  .min(0)
  .max(3600)
  .optional()
  .describe("seconds a worker may take to finish its job before it is killed (default: its queues' timeout)");

/** `restart`, `stop` and `start`: the CLI's conversation with the session, its words collected for the answer. */
export function actingTools(server: McpServer, { bench, answer }: ToolContext): void {
  server.registerTool(
    'restart',
    {
      description:
        'Restart processes of the running bench, as `fbench restart`: a worker finishes its job first (what it waits for is in the answer); answers once each is ready again.',
      inputSchema: { names, grace_seconds: grace },
      annotations: ACTS,
    },
    (a) => answer(() => actOn(bench, 'restart', a.names, { ...(a.grace_seconds !== undefined ? { graceSeconds: a.grace_seconds } : {}) })),
  );
  server.registerTool(
    'stop',
    {
      description:
        'Stop processes of the running bench, as `fbench stop NAME` (the bench goes on): a worker finishes its job first, or the job killed is named.',
      inputSchema: {
        names,
        grace_seconds: grace,
        force: z.boolean().optional().describe('stop a Redis even while workers that need it run (they lose their connection)'),
      },
      annotations: { ...ACTS, destructiveHint: true },
    },
    (a) =>
      answer(() => actOn(bench, 'stop', a.names, { ...(a.grace_seconds !== undefined ? { graceSeconds: a.grace_seconds } : {}), force: a.force === true })),
  );
  server.registerTool(
    'start',
    { description: 'Start processes of the running bench that were stopped; answers once each is ready.', inputSchema: { names }, annotations: ACTS },
    (a) => answer(() => actOn(bench, 'start', a.names)),
  );
}
