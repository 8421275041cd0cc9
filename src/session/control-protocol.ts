import type { Role } from '../frappe/roles.js';
import type { ServiceState } from '../runtime/supervisor.js';
import type { Skipped } from '../runtime/control-server.js';
import type { QueueStats } from '../frappe/rq.js';
import type { SessionKind } from './session-files.js';
import type { FailedJobDetail } from '../frappe/rq-jobs.js';
import type { ErrorEntry } from './error-log.js';

/** One process as `fbench ps`, `fbench ui` and `ps --json` show it. */
export interface ProcessInfo {
  name: string;
  type: string;
  role: Role;
  state: ServiceState;
  ready: boolean;
  /** In words: `PONG`, `listening on :8000`, `registered on short,default,long`, `running`, `backoff 4 s`, `exited 3`. */
  readiness: string;
  pid: number | null;
  uptimeMs: number | null;
  restarts: number;
  /** Crashes in a row, as the crash-loop warning counts them. */
  crashes: number;
  /** As many crashes in a row as the crash-loop warning is said at. */
  crashLooping: boolean;
  port: number | null;
  /** Of its whole process group (and what it started), since the last sample; null when not running. */
  cpuPercent: number | null;
  rssBytes: number | null;
  atPrompt: boolean;
  /** The port of the debugger it runs under (fbench debug), or null; also said in `readiness`. */
  debugPort: number | null;
  /** Its last line of output. */
  lastLine: string | null;
  /** The log files it writes, for names like `worker.log`. */
  logFiles: string[];
  /** An old process finishing its job after a handover (a row beside the new one, not a name to act on). */
  retiring?: boolean;
}

/** A running session, as every JSON surface names it (ps rows, ls, MCP status): one form everywhere. */
export interface SessionRef {
  kind: SessionKind;
  pid: number;
}

/** What a session says of itself (`fbench ls`). */
export interface SessionInfo {
  kind: SessionKind;
  pid: number;
  bench: string;
  startedAt: number;
  ports: { name: string; port: number }[];
  processes: number;
  notReady: number;
}

/** A line of a process (or of fbench itself, `system`), with when it came. */
export interface LogLine {
  time: number;
  seq: number;
  name: string;
  text: string;
}

/**
 * Every request a session answers on its control socket, by name, with what it takes: the one
 * contract the CLI, the ui, the MCP server and doctor send through (control-client.ts) and the
 * session's handlers cover (control.ts). A renamed request or field breaks the compile at both ends.
 */
export interface ControlRequests {
  ps: Record<never, never>;
  /** What the session says of itself (`fbench ls`). */
  info: Record<never, never>;
  queues: Record<never, never>;
  /** The newest failed job, with its traceback (`job: null` when none failed). */
  'failed-job': Record<never, never>;
  /** What went wrong while it runs, with RQ's failed jobs (`fbench errors`). */
  errors: Record<never, never>;
  /** `wait`: stop first, even a busy worker (no handover). */
  restart: { names: string[]; graceSeconds?: number; wait?: boolean };
  /** No names: the whole session. `force`: a Redis even under running workers. */
  stop: { names: string[]; graceSeconds?: number; force?: boolean };
  logs: { names: string[]; n: number; follow: boolean; since?: number };
  /** Then the client sends `{input}` lines, and gets `{line}` lines until it leaves. */
  attach: { name: string; who?: string };
  /** Restart one process under debugpy; `off`: as the plan runs it again. */
  debug: { names: string[]; wait: boolean; off: boolean };
}

export type ControlCommand = keyof ControlRequests;

/** One request as it goes over the socket. */
export type RequestOf<C extends ControlCommand> = { cmd: C } & ControlRequests[C];
export type ControlRequest = { [C in ControlCommand]: RequestOf<C> }[ControlCommand];

/** What a session says while a restart or a stop waits (a job to finish, a kill and what it lost). */
export interface Told {
  say: string;
  /** The processes still waited for. */
  waiting?: string[];
}

/** What a session answers a restart with, per process. */
export interface RestartResult {
  name: string;
  ok: boolean;
  readiness?: string;
  why?: string;
  /** What it said that tells why it did not start (see whatItSaid). */
  said?: string | null;
}

/** What went wrong while a session runs (`fbench errors`, the ui's `e`, MCP's errors). */
export interface ErrorsReport {
  errors: ErrorEntry[];
  /** The last save fbench start saw (ISO 8601), or null. */
  lastSave: string | null;
  /** Entries dropped past the bound. */
  dropped: number;
}

/**
 * Every message a session may send for each request, in the order they come: the other half of
 * the contract. A renamed field breaks the compile in the handler that sends it and the client
 * that reads it.
 */
export interface ControlAnswers {
  ps: { ok: true; processes: ProcessInfo[] };
  info: { ok: true; info: SessionInfo };
  queues: { ok: true; queues: QueueStats[] };
  'failed-job': { ok: true; job: FailedJobDetail | null };
  errors: { ok: true } & ErrorsReport;
  restart: Told | { ok: true; results: RestartResult[] };
  /** Names: `{names}` once they have stopped. None: `{stopping}` at once, then `{ended}` with the session's exit code. */
  stop: Told | { ok: true; names: string[] } | { ok: true; stopping: number } | { ended: number };
  logs: { line: LogLine } | Skipped;
  attach: { ok: true; name: string } | { line: string } | { ended: true } | Skipped;
  debug: { ok: true; name: string; port: number | null };
}

/** Any request may be refused instead (an unknown name, a session still starting). */
export interface Refusal {
  ok: false;
  error: string;
}

export type ControlMessage<C extends ControlCommand> = ControlAnswers[C] | Refusal;

/** What an attached client sends after its request. */
export interface AttachInput {
  input: string;
}

/** Every field any message of a union has: a key not among them (a renamed field) does not compile. */
type FieldOf<M> = M extends unknown ? keyof M & string : never;

/** Whether `m` is the message that carries `key` (narrowed to it). */
export function has<M extends object, K extends FieldOf<M>>(m: M, key: K): m is Extract<M, Record<K, unknown>> {
  return key in m;
}

/** The first message of `msgs` that has `key` (typed as that message). */
export function messageWith<M extends object, K extends FieldOf<M>>(msgs: readonly M[], key: K): Extract<M, Record<K, unknown>> | undefined {
  return msgs.find((m): m is Extract<M, Record<K, unknown>> => has(m, key));
}

export type { QueueStats };

const names = (v: unknown): string[] => (Array.isArray(v) ? v.map(String) : []);
const seconds = (v: unknown): { graceSeconds?: number } => (typeof v === 'number' && Number.isFinite(v) && v >= 0 ? { graceSeconds: v } : {});
const none = (): Record<never, never> => ({});

/**
 * A request as another program sent it, read field by field into the contract's form: what a
 * handler gets is what its type says (a wrong type is dropped, as a missing field is).
 */
export const readRequest: { [C in ControlCommand]: (raw: Readonly<Record<string, unknown>>) => ControlRequests[C] } = {
  ps: none,
  info: none,
  queues: none,
  'failed-job': none,
  errors: none,
  restart: (r) => ({ names: names(r.names), ...seconds(r.graceSeconds), wait: r.wait === true }),
  stop: (r) => ({ names: names(r.names), ...seconds(r.graceSeconds), force: r.force === true }),
  logs: (r) => ({
    names: names(r.names),
    n: typeof r.n === 'number' && r.n >= 0 ? r.n : 50,
    follow: r.follow === true,
    ...(typeof r.since === 'number' ? { since: r.since } : {}),
  }),
  attach: (r) => ({ name: String(r.name ?? ''), ...(typeof r.who === 'string' ? { who: r.who } : {}) }),
  debug: (r) => ({ names: names(r.names), wait: r.wait === true, off: r.off === true }),
};
