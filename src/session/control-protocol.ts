import type { QueueStats } from '../frappe/rq.js';
import type { SessionKind } from './session-files.js';

/** One process as `fbench ps`, `fbench ui` and `ps --json` show it. */
export interface ProcessInfo {
  name: string;
  type: string;
  role: string;
  state: string;
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
  /** Its last line of output. */
  lastLine: string | null;
  /** The log files it writes, for names like `worker.log`. */
  logFiles: string[];
  /** An old process finishing its job after a handover (a row beside the new one, not a name to act on). */
  retiring?: boolean;
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

export type ControlRequest =
  | { cmd: 'ps' }
  | { cmd: 'info' }
  | { cmd: 'queues' }
  /** The newest failed job, with its traceback (`job: null` when none failed). */
  | { cmd: 'failed-job' }
  | { cmd: 'restart'; names: string[]; graceSeconds?: number }
  | { cmd: 'stop'; names: string[]; graceSeconds?: number }
  | { cmd: 'logs'; names: string[]; n: number; follow: boolean; since?: number }
  /** Then the client sends `{input}` lines, and gets `{line}` lines until it leaves. */
  | { cmd: 'attach'; name: string; who?: string };

export type { QueueStats };
