import { waitForRedis } from '../health/redis-ping.js';
import { waitForPort } from '../health/tcp.js';
import type { Printer } from '../output/printer.js';
import type { NodeCheck } from '../output/reporter.js';
import type { ExternalService, HealthCheck, Plan, PlanProcess } from '../plan/types.js';
import type { NodeSpec, Probe } from '../runtime/supervisor.js';

export type ProbeFor = (name: string, check: HealthCheck) => Probe;

/** Health checks as supervisor probes: Redis PING (gating) or an open port (report only). */
export function makeProbe(readyTimeoutMs: number, printer: Printer): ProbeFor {
  return (name, check) =>
    check.kind === 'redis'
      ? async (signal) => {
          await waitForRedis(check, { timeoutMs: readyTimeoutMs, signal, onLoading: () => printer.system(`${name} is loading its data (LOADING); waiting`) });
        }
      : (signal) => waitForPort(check.host, check.port, readyTimeoutMs, signal);
}

export function processNode(p: PlanProcess, probeFor: ProbeFor, adoptedPid?: number): NodeSpec {
  return {
    name: p.name,
    dependsOn: p.dependsOn,
    ...(adoptedPid === undefined ? { process: { name: p.name, command: p.command, cwd: p.cwd, env: p.env } } : { adoptedPid }),
    ...(p.health ? { probe: probeFor(p.name, p.health) } : {}),
    gating: p.health?.kind === 'redis',
    critical: p.critical,
  };
}

/** An external Redis: a node with a check and nothing to run. */
export function externalNode(x: ExternalService, probeFor: ProbeFor): NodeSpec {
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

export function planNodes(plan: Plan, adopted: ReadonlyMap<string, number>, probeFor: ProbeFor): NodeSpec[] {
  return [...plan.processes.map((p) => processNode(p, probeFor, adopted.get(p.name))), ...plan.externals.map((x) => externalNode(x, probeFor))];
}

/** What the reporter says of each checked node. */
export function checksOf(plan: Plan): Map<string, NodeCheck> {
  return new Map<string, NodeCheck>([
    ...plan.processes.filter((p) => p.health).map((p): [string, NodeCheck] => [p.name, { kind: p.health!.kind, port: p.health!.port }]),
    ...plan.externals.map((x): [string, NodeCheck] => [x.url, { kind: 'redis', port: x.health.port }]),
  ]);
}
