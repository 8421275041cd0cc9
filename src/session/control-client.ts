import net from 'node:net';
import { FbenchError } from '../errors.js';
import { resolveNames } from '../plan/lookup.js';
import { socketAddress } from '../runtime/control-server.js';
import type { ControlRequest, ProcessInfo } from './control-protocol.js';
import { processUid, userName } from '../util/process-facts.js';
import { runningSessions, sessionCommand, type SessionKind } from './session-files.js';

/** An open conversation with a running session. */
export interface Connection {
  send(message: object): void;
  close(): void;
  /** Settles when the connection is closed (by either side). */
  done: Promise<void>;
}

/**
 * Open a connection to the session listening on `socket` and send `req`; `onMessage` gets each
 * JSON line of the answer. `timeoutMs`: give up on a session that does not answer.
 */
export function connect(socket: string, req: ControlRequest, onMessage: (m: Record<string, unknown>) => void, timeoutMs?: number): Connection {
  let buf = '';
  const sock = net.connect(socketAddress(socket));
  sock.setEncoding('utf8');
  sock.once('connect', () => sock.write(`${JSON.stringify(req)}\n`));
  if (timeoutMs !== undefined)
    sock.setTimeout(timeoutMs, () => sock.destroy(Object.assign(new Error(`no answer within ${timeoutMs} ms`), { code: 'ETIMEDOUT' })));
  sock.on('data', (d: string) => {
    buf += d;
    const lines = buf.split('\n');
    buf = lines.pop() ?? '';
    for (const l of lines) {
      if (!l) continue;
      let m: Record<string, unknown>;
      try {
        m = JSON.parse(l) as Record<string, unknown>;
      } catch {
        continue; // not from a session of this version: ignore rather than crash
      }
      onMessage(m);
    }
  });
  const done = new Promise<void>((resolve, reject) => {
    sock.once('error', (err: NodeJS.ErrnoException) => {
      const why =
        err.code === 'EACCES'
          ? 'permission denied (the session belongs to another user?)'
          : err.code === 'ENOENT'
            ? 'its control socket is missing'
            : err.code === 'ECONNREFUSED'
              ? 'its control socket does not answer'
              : err.message;
      reject(
        Object.assign(
          new FbenchError(
            `cannot reach the running session (${socket}): ${why}`,
            err.code === 'EACCES' ? 'run fbench as the user who started it' : 'is it still starting? try again in a moment',
          ),
          { code: err.code }, // a slow answer (ETIMEDOUT) is not a session gone
        ),
      );
    });
    sock.once('close', () => resolve());
  });
  return { send: (m) => void sock.write(`${JSON.stringify(m)}\n`), close: () => sock.end(), done };
}

/** Send one request and collect every message of the answer. */
export async function request(socket: string, req: ControlRequest, timeoutMs?: number): Promise<Record<string, unknown>[]> {
  const got: Record<string, unknown>[] = [];
  await connect(socket, req, (m) => got.push(m), timeoutMs).done;
  return got;
}

/** A running session of a bench, with its processes as it answers `ps`. */
export interface SessionAnswer {
  kind: SessionKind;
  pid: number;
  socket: string;
  processes: ProcessInfo[];
}

/** Every session running for the bench, each asked for its processes; none running is one clear error. */
export async function benchSessions(bench: string, timeoutMs = 15_000): Promise<SessionAnswer[]> {
  const running = runningSessions(bench);
  if (running.length === 0) throw new FbenchError(`no fbench session is running for ${bench}`, 'start one with `fbench start`');
  for (const s of running) {
    const uid = processUid(s.pid);
    if (uid !== null && uid !== process.getuid?.())
      throw new FbenchError(
        `${sessionCommand(s.kind)} (pid ${s.pid}) runs this bench as ${userName(uid)}: its session is not yours to see or control`,
        'run fbench as that user',
      );
  }
  return Promise.all(
    running.map(async (s) => {
      let processes: ProcessInfo[] = [];
      for (const m of await request(s.socket, { cmd: 'ps' }, timeoutMs)) {
        if (m.ok === false) throw new FbenchError(String(m.error));
        if (Array.isArray(m.processes)) processes = m.processes as ProcessInfo[];
      }
      return { ...s, processes };
    }),
  );
}

/** The process names the bench's other sessions run now (not to be reused by this one, of `kind`). */
export async function namesInUse(bench: string, kind: SessionKind): Promise<string[]> {
  if (!runningSessions(bench).some((s) => s.kind !== kind)) return [];
  try {
    return (await benchSessions(bench, 2000)).filter((s) => s.kind !== kind).flatMap((s) => s.processes.map((p) => p.name));
  } catch {
    return [];
  }
}

/** The names as the one rule reads them, across every session of the bench, grouped by the session that runs each. */
export function bySession(sessions: SessionAnswer[], names: readonly string[], option: string, bench: string): { session: SessionAnswer; names: string[] }[] {
  const all = sessions.flatMap((s) => s.processes.filter((p) => !p.retiring));
  const wanted = new Set(resolveNames(all, names, { option, bench }));
  return sessions
    .map((session) => ({
      session,
      names: session.processes
        .filter((p) => !p.retiring)
        .map((p) => p.name)
        .filter((n) => wanted.has(n)),
    }))
    .filter((x) => x.names.length > 0);
}

/** The answer's messages, failing on an {ok:false} one. */
export async function ask(socket: string, req: ControlRequest): Promise<Record<string, unknown>[]> {
  const got = await request(socket, req);
  const bad = got.find((m) => m.ok === false);
  if (bad) throw new FbenchError(String(bad.error));
  return got;
}

/** What a session answers a restart with, per process. */
export interface RestartResult {
  name: string;
  ok: boolean;
  readiness?: string;
  why?: string;
  lastLine?: string | null;
}

/** The per-process results in a restart's answer. */
export function restartResults(got: readonly Record<string, unknown>[]): RestartResult[] {
  return (got.find((m) => Array.isArray(m.results))?.results ?? []) as RestartResult[];
}

/** One result in words: `restarted worker.1: registered on …`, or why it did not start again. */
export function restartWords(r: RestartResult, done: 'restarted' | 'started' = 'restarted'): string {
  return r.ok
    ? `${done} ${r.name}: ${r.readiness}`
    : `${r.name} did not start${done === 'restarted' ? ' again' : ''}: ${r.why}${r.lastLine ? `; its last line: ${r.lastLine}` : ''}`;
}
