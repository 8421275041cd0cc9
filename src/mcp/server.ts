import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { answerWith, refusal, type Answer, type ToolContext } from './answer.js';
import { RequestGate } from './request-gate.js';
import { actingTools } from './tools/act.js';
import { doctorTool } from './tools/doctor.js';
import { errorsTool } from './tools/errors.js';
import { jobTools, requeueTool } from './tools/jobs.js';
import { logsTool } from './tools/logs.js';
import { planTool } from './tools/plan.js';
import { queuesTool } from './tools/queues.js';
import { statusTool } from './tools/status.js';

/** The tools that only look, and those that act (left out with --read-only). */
const LOOKING = [statusTool, logsTool, errorsTool, queuesTool, jobTools, doctorTool, planTool];
const ACTING = [actingTools, requeueTool];

/** The MCP server of one bench: tools over its running session (control socket), its plan, its queue Redis. */
export function benchServer(bench: string, opts: { readOnly: boolean; version: string; unavailable?: string }): McpServer {
  const server = new McpServer({ name: 'fbench', version: opts.version }, { instructions: INSTRUCTIONS });
  const ctx: ToolContext = {
    bench,
    // Started outside a bench, the server still answers: every tool says why, instead of an editor showing "Connection closed".
    answer: (fn: () => Promise<Answer>) => (opts.unavailable ? Promise.resolve(refusal(opts.unavailable)) : answerWith(fn)),
  };
  for (const register of opts.readOnly ? LOOKING : [...LOOKING, ...ACTING]) register(server, ctx);
  return server;
}

/** What an agent is told of the server when it connects. */
const INSTRUCTIONS = [
  'fbench runs a Frappe bench (web, workers, scheduler, socketio, Redis) for development; these tools look at it and act on it.',
  'After editing code: `errors` with since_save=true says what broke since the save (a failed request with its exception and the frame in the app, a failed job, an asset build, a crash); `status` has the same counts in its summary and what is not ready.',
  "`logs` reads lines (plain-text search), `failed_jobs` and `job` read RQ's failed jobs, `restart` restarts a process (a busy worker finishes its job first) and answers once it is ready again.",
  'Names are process names (web.1), types (worker), roles (redis) or wildcards (worker*), as `status` lists them.',
].join(' ');

/** Serve one bench over stdio until the client leaves. Nothing else may write to stdout: it is the protocol's. */
export async function serveStdio(bench: string, opts: { readOnly: boolean; version: string; unavailable?: string }): Promise<void> {
  const server = benchServer(bench, opts);
  const closed = new Promise<void>((resolve) => (server.server.onclose = resolve));
  const gate = new RequestGate(process.stdin, process.stdout);
  gate.start();
  await server.connect(new StdioServerTransport(gate.requests, process.stdout));
  gate.requests.once('end', () => void server.close());
  await closed;
  gate.close();
}
