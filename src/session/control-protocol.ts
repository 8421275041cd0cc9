import type { Role } from '../frappe/roles.js';
import type { ServiceState } from '../runtime/supervisor.js';
import type { QueueStats } from '../frappe/rq.js';
import type { SessionKind } from './session-files.js';

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
export type ControlRequest = { [C in ControlCommand]: { cmd: C } & ControlRequests[C] }[ControlCommand];

export type { QueueStats };
