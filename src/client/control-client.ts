import net from 'node:net';
import { FbenchError } from '../errors.js';
import { resolveNames } from '../plan/lookup.js';
import { socketAddress } from '../runtime/control-server.js';
import {
  has,
  messageWith,
  type AttachInput,
  type ControlAnswers,
  type ControlCommand,
  type ControlMessage,
  type ProcessInfo,
  type RequestOf,
  type RestartResult,
} from '../session/control-protocol.js';
import { processUid, userName } from '../util/process-facts.js';
import { runningSessions, sessionCommand, type SessionKind } from '../session/session-files.js';

/** An open conversation with a running session. */
export interface Connection {
  /** What an attached client types. */
  send(message: AttachInput): void;
  close(): void;
  /** Settles when the connection is closed (by either side). */
  done: Promise<void>;
}

/**
 * Open a connection to the session listening on `socket` and send `req`; `onMessage` gets each
 * JSON line of the answer. `timeoutMs`: give up on a session that does not answer.
 */
export function connect<C extends ControlCommand>(
  socket: string,
  req: RequestOf<C>,
  onMessage: (m: ControlMessage<C>) => void,
  timeoutMs?: number,
): Connection {
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
      let m: unknown;
      try {
        m = JSON.parse(l);
      } catch {
        continue; // not from a session of this version: ignore rather than crash
      }
      // The session is this user's own fbench (the socket is 0600): its messages are the contract's.
      if (typeof m === 'object' && m !== null) onMessage(m as ControlMessage<C>);
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

/** Send one request and collect every message of the answer, a refusal included. */
export async function request<C extends ControlCommand>(socket: string, req: RequestOf<C>, timeoutMs?: number): Promise<ControlMessage<C>[]> {
  const got: ControlMessage<C>[] = [];
  await connect(socket, req, (m) => got.push(m), timeoutMs).done;
  return got;
}

/** The answer's messages; a refusal is thrown as fbench's one line. */
export async function ask<C extends ControlCommand>(socket: string, req: RequestOf<C>, timeoutMs?: number): Promise<ControlAnswers[C][]> {
  const got = await request(socket, req, timeoutMs);
  const bad = refusalIn(got);
  if (bad) throw new FbenchError(bad);
  return got as ControlAnswers[C][];
}

/** Why the session refused, when it did. */
function refusalIn(msgs: readonly object[]): string | null {
  const bad = msgs.find((m) => 'ok' in m && m.ok === false);
  return bad ? String((bad as { error?: unknown }).error) : null;
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
      const processes = messageWith(await ask(s.socket, { cmd: 'ps' }, timeoutMs), 'processes')?.processes ?? [];
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

/** How a restart or a stop of some processes of one session ended. */
export interface ActOutcome {
  /** Per process, for a restart: ready again, or why not. */
  results: RestartResult[];
  /** For a stop: the processes stopped. */
  stopped: string[];
}

/**
 * Ask one session to restart or stop processes: `onSay` hears each new thing it says while it
 * waits (a job to finish, a kill and what it lost), as its own terminal does. `leave()` stops
 * listening, not the work (the bench goes on); `done` is then null.
 */
export function act(
  socket: string,
  req: RequestOf<'restart'> | RequestOf<'stop'>,
  onSay: (line: string) => void,
): { done: Promise<ActOutcome | null>; leave(): void } {
  const got: ControlMessage<'restart' | 'stop'>[] = [];
  let said = '';
  let left = false;
  const conn = connect<'restart' | 'stop'>(socket, req, (m) => {
    got.push(m);
    if (has(m, 'say') && m.say !== said) onSay((said = m.say));
  });
  const done = conn.done.then(() => {
    if (left) return null;
    const bad = refusalIn(got);
    if (bad) throw new FbenchError(bad);
    return {
      results: messageWith(got, 'results')?.results ?? [],
      stopped: messageWith(got, 'names')?.names ?? (req.cmd === 'stop' ? req.names : []),
    };
  });
  return {
    done,
    leave: () => {
      left = true;
      conn.close();
    },
  };
}

/** One result in words: `restarted worker.1: registered on …`, or why it did not start again. */
export function restartWords(r: RestartResult, done: 'restarted' | 'started' = 'restarted'): string {
  return r.ok
    ? `${done} ${r.name}: ${r.readiness}`
    : `${r.name} did not start${done === 'restarted' ? ' again' : ''}: ${r.why}${r.said ? `; it said: ${r.said}` : ''}`;
}
