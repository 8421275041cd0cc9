import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { z } from 'zod';
import { runDoctor, verdictOf } from '../doctor/run.js';
import { FbenchError, formatError } from '../errors.js';
import { siteUrl } from '../frappe/bench-model.js';
import { NAME_MAX } from '../plan/lookup.js';
import { planToJson } from '../plan/render.js';
import { act, benchSessions, bySession, restartWords, type SessionAnswer } from '../client/control-client.js';
import { actOnFailed, jobJson, listFailed, showJob } from '../session/jobs.js';
import { benchErrors } from '../client/bench-errors.js';
import { logLineJson, recentLogs } from '../client/log-query.js';
import { planBench } from '../session/planning.js';
import { benchQueueStats, withQueueRedis } from '../session/queue-redis.js';
import { runningSessions, sessionCommand } from '../session/session-files.js';
import { RequestGate } from './request-gate.js';

/** The lines of each errors entry an answer holds (the rest: its `more` command). */
const MCP_ENTRY_LINES = 15;

/** The most any answer holds: an agent's context is small, a bench's logs are not. */
export const ANSWER_BYTES = 32 * 1024;

type Answer = { content: { type: 'text'; text: string }[]; isError?: boolean };

/** Text within ANSWER_BYTES: the end kept (the newest lines), what was cut said first. Pure. */
export function bounded(text: string, budget = ANSWER_BYTES): string {
  if (Buffer.byteLength(text) <= budget) return text;
  const lines = text.split('\n');
  const kept: string[] = [];
  let bytes = 200; // room for the note
  for (let i = lines.length - 1; i >= 0 && bytes + Buffer.byteLength(lines[i]!) + 1 <= budget; i--) {
    kept.unshift(lines[i]!);
    bytes += Buffer.byteLength(lines[i]!) + 1;
  }
  const cut = lines.length - kept.length;
  if (kept.length === 0) return `${text.slice(0, budget / 4)}\n[… cut: the answer is kept under ${budget / 1024} KB]`;
  return `[… ${cut} earlier line${cut === 1 ? '' : 's'} cut: the answer is kept under ${budget / 1024} KB; ask for fewer]\n${kept.join('\n')}`;
}

const text = (t: string): Answer => ({ content: [{ type: 'text', text: bounded(t) }] });
const json = (v: unknown): Answer => text(JSON.stringify(v, null, 2));
const refusal = (t: string): Answer => ({ content: [{ type: 'text', text: bounded(t) }], isError: true });

/** Any failure as the tool's answer, in fbench's words (never a stack trace, never a hang). */
async function answerWith(fn: () => Promise<Answer>): Promise<Answer> {
  try {
    return await fn();
  } catch (err) {
    return refusal(err instanceof FbenchError ? formatError(err) : err instanceof Error ? err.message : String(err));
  }
}

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
/** A job id as RQ makes them (Frappe's `<site>::<uuid>`): well under this. */
const jobId = z.string().min(1).max(NAME_MAX).describe('the whole job id, as failed_jobs lists it');
const grace = z
  .number()
  .int()
  .min(0)
  .max(3600)
  .optional()
  .describe("seconds a worker may take to finish its job before it is killed (default: its queues' timeout)");

/** The MCP server of one bench: tools over its running session (control socket), its plan, its queue Redis. */
export function benchServer(bench: string, opts: { readOnly: boolean; version: string; unavailable?: string }): McpServer {
  const server = new McpServer({ name: 'fbench', version: opts.version }, { instructions: INSTRUCTIONS });
  // Started outside a bench, the server still answers: every tool says why, instead of an editor showing "Connection closed".
  const answer = (fn: () => Promise<Answer>): Promise<Answer> => (opts.unavailable ? Promise.resolve(refusal(opts.unavailable)) : answerWith(fn));
  const read = { readOnlyHint: true, openWorldHint: false } as const;

  server.registerTool(
    'status',
    {
      description:
        "The bench's processes: role, state, readiness in words, pid, uptime, restarts, CPU and memory; its ports and the site's URL. With no session running, what would run (the plan).",
      annotations: read,
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
      annotations: read,
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
      annotations: read,
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

  server.registerTool(
    'queues',
    { description: 'Per queue of the bench: jobs waiting, live workers, busy workers with the method and age of their job, failed jobs.', annotations: read },
    () =>
      answer(async () => {
        const { model } = await planBench({ bench });
        return json(await withQueueRedis(model, (c) => benchQueueStats(c, model, Date.now())));
      }),
  );

  server.registerTool(
    'failed_jobs',
    {
      description: "RQ's failed jobs, newest first: id (whole), queue, method, when, the exception's last line.",
      inputSchema: { queue: z.string().max(NAME_MAX).optional().describe('only this queue (long)'), limit: z.number().int().min(1).max(500).optional() },
      annotations: read,
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
      annotations: read,
    },
    (a) => answer(async () => json(jobJson(await showJob((await planBench({ bench })).model, a.id)))),
  );

  server.registerTool(
    'doctor',
    { description: 'What would stop this bench from starting or working: every check fbench doctor makes, with its fix.', annotations: read },
    () =>
      answer(async () => {
        const checks = await runDoctor(bench, process.env, {});
        return json({ verdict: verdictOf(checks), checks });
      }),
  );

  server.registerTool(
    'plan',
    {
      description:
        'What fbench runs for this bench: each process with its role, command, working folder, port, queues, dependencies and stop grace (the plan JSON).',
      annotations: read,
    },
    () => answer(async () => text(planToJson((await planBench({ bench })).plan))),
  );

  if (opts.readOnly) return server;
  const acting = { readOnlyHint: false, destructiveHint: false, openWorldHint: false } as const;

  server.registerTool(
    'restart',
    {
      description:
        'Restart processes of the running bench, as `fbench restart`: a worker finishes its job first (what it waits for is in the answer); answers once each is ready again.',
      inputSchema: { names, grace_seconds: grace },
      annotations: acting,
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
      annotations: { ...acting, destructiveHint: true },
    },
    (a) =>
      answer(() => actOn(bench, 'stop', a.names, { ...(a.grace_seconds !== undefined ? { graceSeconds: a.grace_seconds } : {}), force: a.force === true })),
  );
  server.registerTool(
    'start',
    { description: 'Start processes of the running bench that were stopped; answers once each is ready.', inputSchema: { names }, annotations: acting },
    (a) => answer(() => actOn(bench, 'start', a.names)),
  );
  server.registerTool(
    'requeue_job',
    { description: 'Put a failed job back on its queue (as RQ requeues it).', inputSchema: { id: jobId }, annotations: acting },
    (a) =>
      answer(async () => {
        const [r] = await actOnFailed((await planBench({ bench })).model, 'requeue', [a.id]);
        return r!.ok ? text(r!.said) : refusal(r!.said);
      }),
  );
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
