import { execForm, ownOutput } from '../config/shell-command.js';
import { waitForRedis } from '../health/redis-ping.js';
import { waitForPort } from '../health/tcp.js';
import type { Printer } from '../output/printer.js';
import { processesNamed } from '../plan/lookup.js';
import type { ExternalService, HealthCheck, Plan, PlanProcess } from '../plan/types.js';
import type { ProcessSpec } from '../runtime/supervised-process.js';
import type { Probe, ServiceSpec } from '../runtime/supervisor.js';

export type ProbeFor = (name: string, check: HealthCheck, aclfile?: string | null) => Probe;

/** What the reporter says of each checked service: a gating Redis PING, or a port opening. */
export interface ServiceCheck {
  kind: 'redis' | 'port';
  port: number;
}

/** Health checks as supervisor probes: Redis PING (gating) or an open port (report only). */
export function makeProbe(readyTimeoutMs: number, printer: Printer): ProbeFor {
  return (name, check, aclfile) =>
    check.kind === 'redis'
      ? async (signal) => {
          try {
            await waitForRedis(check, { timeoutMs: readyTimeoutMs, signal, onLoading: () => printer.system(`${name} is loading its data (LOADING); waiting`) });
          } catch (err) {
            // Refused credentials from a Redis with an ACL file: the users are that file's.
            if (aclfile && /refused the credentials/.test((err as Error).message)) {
              throw new Error(`${(err as Error).message} (users from the aclfile ${aclfile}; run \`bench setup redis\`, then \`bench create-rq-users\`)`);
            }
            throw err;
          }
        }
      : (signal) => waitForPort(check.host, check.port, readyTimeoutMs, signal);
}

/** A Redis saves its data on SIGTERM (seconds for a big RDB): it gets at least this long. */
export const REDIS_STOP_GRACE_MS = 30_000;

/** How a plan process is run: not quiet, and no process to take over, unless said. */
export interface ServiceOptions {
  graceMs: number;
  quiet?: boolean;
  /** stdin /dev/null instead of a pipe (--stdin-null). */
  noStdin?: boolean;
  adoptPid?: number;
}

/** The plan's command as fbench runs it: its output redirections taken over, then exec'd. */
export function launch(p: PlanProcess): Pick<ProcessSpec, 'command' | 'stdout' | 'stderr'> {
  const owned = ownOutput(p.command);
  // exec: the pid fbench watches and signals is the program, not a shell around it.
  return owned ? { command: execForm(owned.command), stdout: owned.stdout, stderr: owned.stderr } : { command: execForm(p.command) };
}

/** A plan process as a supervised service. */
function processService(p: PlanProcess, probeFor: ProbeFor, o: ServiceOptions): ServiceSpec {
  const { graceMs } = o;
  return {
    name: p.name,
    dependsOn: p.dependsOn,
    process: {
      name: p.name,
      ...launch(p),
      cwd: p.cwd,
      env: p.env,
      ...(o.quiet ? { quiet: true } : {}),
      ...(o.noStdin ? { stdin: false } : {}),
      ...(o.adoptPid === undefined ? {} : { adoptPid: o.adoptPid }),
    },
    ...(p.health ? { probe: probeFor(p.name, p.health, p.redis?.aclfile) } : {}),
    gating: p.health?.kind === 'redis',
    critical: p.critical,
    ...(p.role === 'redis' ? { graceMs: Math.max(graceMs, REDIS_STOP_GRACE_MS), stoppingHint: 'saving its data?' } : {}),
    ...(p.role === 'worker' ? { stoppingHint: 'finishing a job?' } : {}),
  };
}

/** An external Redis: a service with a check and nothing to run. */
function externalService(x: ExternalService, probeFor: ProbeFor): ServiceSpec {
  const check = probeFor(x.url, x.health);
  return {
    name: x.url,
    dependsOn: [],
    probe: async (signal) => {
      try {
        await check(signal);
      } catch (err) {
        throw new Error(`(external Redis from ${x.source}) is unreachable: ${(err as Error).message}`);
      }
    },
    gating: true,
    critical: true,
  };
}

/** What the command line says about how processes run: the grace, and --quiet / --stdin-null (names, types or roles). */
export interface ServiceChoices {
  graceMs: number;
  quiet?: string;
  stdinNull?: string;
}

/**
 * The services of a plan. `strict`: a --quiet or --stdin-null name that means no process is an
 * error (at start); a re-plan that removed it just has no such process.
 */
export function planServices(
  plan: Plan,
  probeFor: ProbeFor,
  choices: ServiceChoices,
  adopted: ReadonlyMap<string, number> = new Map(),
  strict = true,
): ServiceSpec[] {
  const named = (list: string | undefined, option: string): Set<string> => new Set(list ? processesNamed(plan, list.split(','), option, !strict) : []);
  const quiet = named(choices.quiet, '--quiet');
  const noStdin = named(choices.stdinNull, '--stdin-null');
  const each = (p: PlanProcess): ServiceSpec => {
    const adoptPid = adopted.get(p.name);
    return processService(p, probeFor, {
      graceMs: choices.graceMs,
      quiet: quiet.has(p.name),
      noStdin: noStdin.has(p.name),
      ...(adoptPid === undefined ? {} : { adoptPid }),
    });
  };
  return [...plan.processes.map(each), ...plan.externals.map((x) => externalService(x, probeFor))];
}

/** What the reporter says of each checked service. */
export function checksOf(plan: Plan): Map<string, ServiceCheck> {
  return new Map<string, ServiceCheck>([
    ...plan.processes.filter((p) => p.health).map((p): [string, ServiceCheck] => [p.name, { kind: p.health!.kind, port: p.health!.port }]),
    ...plan.externals.map((x): [string, ServiceCheck] => [x.url, { kind: 'redis', port: x.health.port }]),
  ]);
}
