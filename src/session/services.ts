import { ROLE_TRAITS } from '../frappe/roles.js';
import { withGrace } from '../frappe/stop-policy.js';
import { isOvercommitAdvice, isRedisBootLine } from '../frappe/redis-log.js';

const folded = (line: string): boolean => isRedisBootLine(line) || isOvercommitAdvice(line);
import type { BenchModel } from '../frappe/bench-model.js';
import { processesNamed } from '../plan/lookup.js';
import type { ExternalService, Plan, PlanProcess } from '../plan/types.js';
import type { Probe, ServiceSpec } from '../runtime/supervisor.js';
import { keepsRunning, portReady, redisReady, WorkerReadiness, type ReadinessContext } from './readiness.js';
import { workerActivity } from './worker-activity.js';
import type { ProcessIdentity } from '../util/process-facts.js';

/** What the command line says about how processes run. */
export interface ServiceChoices {
  /** --grace or FBENCH_GRACE: every process's stop grace (a Redis keeps the time to save). */
  graceS?: number;
  /** Processes, types or roles whose lines are kept but not printed (--quiet). */
  quiet?: readonly string[];
  /** Processes, types or roles whose stdin is /dev/null (--stdin-null). */
  stdinNull?: readonly string[];
  /** This bench's Redis servers already running (left by an earlier run): name → pid. */
  adopted?: ReadonlyMap<string, ProcessIdentity>;
  /** Added to every process's environment (the colour variables). */
  env?: Record<string, string>;
  /** A busy worker's restart stops it first, then starts the new one (--reload-wait): no handover. */
  stopFirst?: boolean;
}

/** Builds the supervisor's services from a plan, with their checks. */
export class ServiceBuilder {
  private readonly workers: WorkerReadiness;

  constructor(private readonly ctx: ReadinessContext) {
    this.workers = new WorkerReadiness(ctx);
  }

  /**
   * The services of a plan. `strict`: a --quiet or --stdin-null name that means no process is an
   * error (at start); a re-plan that removed it just has no such process.
   */
  build(plan: Plan, model: BenchModel, choices: ServiceChoices, strict = true): ServiceSpec[] {
    const named = (list: readonly string[] | undefined, option: string): Set<string> =>
      new Set(list?.length ? processesNamed(plan, list, option, !strict) : []);
    const quiet = named(choices.quiet, '--quiet');
    const stdinNull = named(choices.stdinNull, '--stdin-null');
    // Stopped last by the watchdog: what others depend on.
    const needed = new Set(plan.processes.flatMap((p) => p.dependsOn));
    const redis = new Set([...plan.processes.filter((p) => p.role === 'redis').map((p) => p.name), ...plan.externals.map((x) => x.name)]);
    const processes = plan.processes.map((p) =>
      this.process(p, model, choices, { quiet: quiet.has(p.name), stdinNull: stdinNull.has(p.name), rank: needed.has(p.name) ? 1 : 0, redis }),
    );
    return [...processes, ...plan.externals.map((x) => this.external(x))];
  }

  private process(
    p: PlanProcess,
    model: BenchModel,
    choices: ServiceChoices,
    o: { quiet: boolean; stdinNull: boolean; rank: number; redis: ReadonlySet<string> },
  ): ServiceSpec {
    const stop = withGrace(p.stop, choices.graceS);
    const adopt = choices.adopted?.get(p.name);
    return {
      name: p.name,
      dependsOn: p.dependsOn,
      ...(p.start.waitsForRedis ? {} : { startAfter: p.dependsOn.filter((d) => !o.redis.has(d)) }),
      process: {
        name: p.name,
        command: p.exec.command,
        stdout: p.exec.stdout,
        stderr: p.exec.stderr,
        cwd: p.cwd,
        env: { ...choices.env, ...p.env },
        // A Redis's boot banner is folded into fbench's own "ready" line, its overcommit advice into one line of fbench's.
        show: o.quiet ? false : p.role === 'redis' ? (line) => !folded(line.toString('utf8', 0, line.length - 1)) : true,
        stdin: o.stdinNull ? 'null' : 'pipe',
        graceMs: stop.graceSeconds * 1000,
        stopRank: o.rank,
        ...(p.start.nice ? { nice: p.start.nice } : {}),
        ...(adopt === undefined ? {} : { adopt }),
      },
      ...this.readiness(p),
      critical: p.critical,
      restart: ROLE_TRAITS[p.role].restart,
      stop: { keepsData: stop.keepsData, ...(stop.hint ? { hint: stop.hint } : {}) },
      ...(p.health?.kind === 'rq-worker'
        ? { work: workerActivity(p.health.redis, () => this.ctx.membersOf(p.name), model.queues, model.config, this.ctx.clock) }
        : {}),
      // A worker busy with a job is replaced new-first: the new code runs at once, the job finishes.
      ...(ROLE_TRAITS[p.role].handsOver && !choices.stopFirst ? { handover: true } : {}),
    };
  }

  private readiness(p: PlanProcess): { probe: Probe; gating: boolean } {
    const h = p.health;
    if (h?.kind === 'redis') return { probe: redisReady(p.name, h, p.redis?.aclfile ?? null, this.ctx), gating: true };
    if (h?.kind === 'port') return { probe: portReady(p.name, h.port, this.ctx), gating: false };
    if (h?.kind === 'rq-worker') return { probe: this.workers.probe(p.name, h), gating: false };
    return { probe: keepsRunning(this.ctx.clock), gating: false };
  }

  /** An external Redis: a service with a check and nothing to run. */
  private external(x: ExternalService): ServiceSpec {
    const ping = redisReady(x.name, x.health, null, this.ctx);
    const from = `${x.url} (from ${x.source})`;
    return {
      name: x.name,
      dependsOn: [],
      probe: async (signal, note) => {
        try {
          return await ping(signal, (why) => note(`${from} is unreachable: ${why}`));
        } catch (err) {
          throw new Error(`${from} is unreachable: ${(err as Error).message}`);
        }
      },
      gating: true,
      critical: true,
      restart: 'always',
      stop: { keepsData: false },
    };
  }
}
