import type { CommandShape, OutputTarget } from '../config/shell-command.js';
import type { Warning } from '../errors.js';
import type { Role } from '../frappe/roles.js';
import type { RqWorkerCheck } from '../frappe/rq.js';
import type { RedisKind } from '../frappe/site-config.js';
import type { StartPolicy } from '../frappe/start-policy.js';
import type { StopPolicy } from '../frappe/stop-policy.js';
import type { HealthCheck, RedisCheck } from '../health/types.js';

export type { HealthCheck } from '../health/types.js';

/** How fbench tells a process is ready: Redis PONG, a port its group listens on, an RQ worker registered; null: it keeps running a moment. */
export type Readiness = HealthCheck | RqWorkerCheck;

/** What the plan knows of a Redis that the Procfile starts. */
export interface RedisInfo {
  /** Which of the bench's Redis URLs it serves (matched by port, else by Procfile name). */
  kinds: RedisKind[];
  port: number | null;
  conf: string | null;
  dir: string | null;
  pidfile: string | null;
  aclfile: string | null;
}

/** The command as fbench runs it: exec'd by sh (the pid fbench watches is the program), its output redirections taken over. */
export interface RunSpec {
  command: string;
  stdout: OutputTarget;
  stderr: OutputTarget;
}

export interface PlanProcess {
  /** Instance name, honcho style: `worker.1`. */
  name: string;
  /** The Procfile entry (process type) it is an instance of. */
  type: string;
  role: Role;
  /** The Procfile's command, as written (after the stale-node fallback). */
  command: string;
  /** That command read as sh would read it. */
  shape: CommandShape;
  exec: RunSpec;
  cwd: string;
  /** The port it listens on, when known (web, socketio, redis). */
  port: number | null;
  /** Worker queues; null for anything that is not a worker. */
  queues: string[] | null;
  /** Process names, or `redis://` URLs of external services, that must be ready first (and that stop only after it). */
  dependsOn: string[];
  /** Files its command redirects output to (absolute). */
  logFiles: string[];
  /** Variables fbench sets on top of its own environment. */
  env: Record<string, string>;
  /** How its readiness is told; a Redis check gates what depends on it. */
  health: Readiness | null;
  /** A crash of a non-critical process (watch) never stops the run, even with --exit-on-crash. */
  critical: boolean;
  stop: StopPolicy;
  start: StartPolicy;
  redis: RedisInfo | null;
}

/** A Redis the bench uses but does not start (a bench made with skip_redis). */
export interface ExternalService {
  /** Its name among the processes: the role it plays, `redis_cache (external)` (what depends on it names it so). */
  name: string;
  url: string;
  /** The config key or environment variable the URL came from. */
  source: string;
  health: RedisCheck;
}

export interface Plan {
  bench: string;
  procfile: string;
  /** What every process gets on top of fbench's environment (each also gets its PORT): for `fbench run` too. */
  env: Record<string, string>;
  processes: PlanProcess[];
  externals: ExternalService[];
  warnings: Warning[];
}
