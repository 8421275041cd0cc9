import type { Warning } from '../errors.js';
import type { HealthCheck } from '../health/types.js';

export type { HealthCheck } from '../health/types.js';
import type { Role } from '../frappe/roles.js';
import type { RedisKind } from '../frappe/site-config.js';

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

export interface PlanProcess {
  /** Instance name, honcho style: `worker.1`. */
  name: string;
  /** The Procfile entry (process type) it is an instance of. */
  type: string;
  role: Role;
  command: string;
  cwd: string;
  /** The port it listens on, when known (web, socketio, redis). */
  port: number | null;
  /** Worker queues; null for anything that is not a worker. */
  queues: string[] | null;
  /** Process names, or `redis://` URLs of external services, that must be healthy first. */
  dependsOn: string[];
  /** Files its command redirects output to (absolute). */
  logFiles: string[];
  /** Variables fbench sets on top of its own environment. */
  env: Record<string, string>;
  /** Gating check (redis) or a readiness report (port); null when there is nothing to check. */
  health: HealthCheck | null;
  /** A crash of a non-critical process (watch) never stops the run, even with --exit-on-crash. */
  critical: boolean;
  redis: RedisInfo | null;
}

/** A Redis the bench uses but does not start (a bench made with skip_redis). */
export interface ExternalService {
  url: string;
  /** The config key or environment variable the URL came from. */
  source: string;
  health: HealthCheck;
}

export interface Plan {
  bench: string;
  procfile: string;
  processes: PlanProcess[];
  externals: ExternalService[];
  warnings: Warning[];
}
