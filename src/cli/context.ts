import { parseConcurrency } from '../plan/formation.js';
import type { PlanRequest } from '../run/planning.js';

/** Options every command that reads a bench accepts. */
export interface BenchOptions {
  bench?: string;
  env?: string;
  /** -p/--procfile (bench's flag); `f` is honcho's -f, the same. */
  procfile?: string;
  f?: string;
}

/** Options that shape the formation (plan, start, export). */
export interface FormationOptions extends BenchOptions {
  preset?: string;
  concurrency?: string[];
  port?: number;
  dev?: boolean;
}

/** What the command line says about which bench and which files: the request, from parsed options. */
export function benchRequest(opts: BenchOptions): PlanRequest {
  const procfile = opts.procfile ?? opts.f;
  return { ...(opts.bench ? { bench: opts.bench } : {}), ...(procfile ? { procfile } : {}), ...(opts.env ? { envFiles: opts.env.split(',') } : {}) };
}

/** The whole plan request of `plan` and `start`. */
export function formationRequest(opts: FormationOptions, only: readonly string[] = []): PlanRequest {
  return {
    ...benchRequest(opts),
    ...(opts.preset ? { preset: opts.preset } : {}),
    concurrency: parseConcurrency(opts.concurrency ?? []),
    only,
    ...(opts.port !== undefined ? { basePort: opts.port } : {}),
    dev: opts.dev !== false,
  };
}
