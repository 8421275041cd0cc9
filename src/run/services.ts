import { execForm } from '../config/shell-command.js';
import { waitForRedis } from '../health/redis-ping.js';
import { waitForPort } from '../health/tcp.js';
import type { Printer } from '../output/printer.js';
import type { ExternalService, HealthCheck, Plan, PlanProcess } from '../plan/types.js';
import type { Probe, ServiceSpec } from '../runtime/supervisor.js';

export type ProbeFor = (name: string, check: HealthCheck) => Probe;

/** What the reporter says of each checked service: a gating Redis PING, or a port opening. */
export interface ServiceCheck {
  kind: 'redis' | 'port';
  port: number;
}

/** Health checks as supervisor probes: Redis PING (gating) or an open port (report only). */
export function makeProbe(readyTimeoutMs: number, printer: Printer): ProbeFor {
  return (name, check) =>
    check.kind === 'redis'
      ? async (signal) => {
          await waitForRedis(check, { timeoutMs: readyTimeoutMs, signal, onLoading: () => printer.system(`${name} is loading its data (LOADING); waiting`) });
        }
      : (signal) => waitForPort(check.host, check.port, readyTimeoutMs, signal);
}

/** A Redis saves its data on SIGTERM (seconds for a big RDB): it gets at least this long. */
export const REDIS_STOP_GRACE_MS = 30_000;

/** A plan process as a supervised service; `adoptPid` when fbench takes over a running one. */
export function processService(p: PlanProcess, probeFor: ProbeFor, graceMs: number, adoptPid?: number): ServiceSpec {
  return {
    name: p.name,
    dependsOn: p.dependsOn,
    // exec: the pid fbench watches and signals is the program, not a shell around it.
    process: { name: p.name, command: execForm(p.command), cwd: p.cwd, env: p.env, ...(adoptPid === undefined ? {} : { adoptPid }) },
    ...(p.health ? { probe: probeFor(p.name, p.health) } : {}),
    gating: p.health?.kind === 'redis',
    critical: p.critical,
    ...(p.role === 'redis' ? { graceMs: Math.max(graceMs, REDIS_STOP_GRACE_MS), stoppingHint: 'saving its data?' } : {}),
    ...(p.role === 'worker' ? { stoppingHint: 'finishing a job?' } : {}),
  };
}

/** An external Redis: a service with a check and nothing to run. */
export function externalService(x: ExternalService, probeFor: ProbeFor): ServiceSpec {
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

export function planServices(plan: Plan, adopted: ReadonlyMap<string, number>, probeFor: ProbeFor, graceMs: number): ServiceSpec[] {
  return [...plan.processes.map((p) => processService(p, probeFor, graceMs, adopted.get(p.name))), ...plan.externals.map((x) => externalService(x, probeFor))];
}

/** What the reporter says of each checked service. */
export function checksOf(plan: Plan): Map<string, ServiceCheck> {
  return new Map<string, ServiceCheck>([
    ...plan.processes.filter((p) => p.health).map((p): [string, ServiceCheck] => [p.name, { kind: p.health!.kind, port: p.health!.port }]),
    ...plan.externals.map((x): [string, ServiceCheck] => [x.url, { kind: 'redis', port: x.health.port }]),
  ]);
}
