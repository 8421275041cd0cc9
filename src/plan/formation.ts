import { MAX_PROCESSES, parseCount } from '../config/numbers.js';
import { FbenchError } from '../errors.js';

/** One instance of a process type, as honcho expands a formation. */
export interface Instance {
  type: string;
  name: string;
  index: number;
  /** honcho's PORT: base + 100 per process type (in order) + 1 per instance. */
  port: number;
}

export const DEFAULT_BASE_PORT = 5000;

/** Parse `-c web=2,worker=0` (repeatable). Pure. */
export function parseConcurrency(specs: readonly string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const spec of specs) {
    for (const part of spec.split(',')) {
      if (part.trim() === '') continue;
      const m = /^\s*([A-Za-z0-9_-]+)\s*=\s*(\S*)\s*$/.exec(part);
      if (!m) throw new FbenchError(`-c: bad concurrency "${part}"`, 'write it as -c name=N[,name=N], for example -c worker=2,watch=0');
      out[m[1]!] = parseCount(m[2], `-c ${m[1]}`);
    }
  }
  return out;
}

/** Expand process types into instances with names and PORTs, as honcho does. Pure. */
export function expandFormation(types: readonly string[], concurrency: Readonly<Record<string, number>>, basePort: number): Instance[] {
  const total = types.reduce((n, t) => n + (concurrency[t] ?? 1), 0);
  if (total > MAX_PROCESSES)
    throw new FbenchError(
      `the formation asks for ${total} processes; fbench runs at most ${MAX_PROCESSES}`,
      'lower the counts (-c, -n, the preset, background_workers)',
    );
  const lastPort = basePort + (types.length - 1) * 100 + Math.max(0, ...types.map((t) => (concurrency[t] ?? 1) - 1));
  if (types.length > 0 && lastPort > 65535)
    throw new FbenchError(`PORT numbering from ${basePort} reaches ${lastPort}, past 65535`, 'give a lower base with --port (or PORT in .env)');
  const out: Instance[] = [];
  types.forEach((type, t) => {
    const n = concurrency[type] ?? 1;
    for (let i = 1; i <= n; i++) out.push({ type, name: `${type}.${i}`, index: i, port: basePort + t * 100 + (i - 1) });
  });
  return out;
}

/**
 * The plan with every process named as no other running session names one: an instance whose
 * name is taken (`worker_email.1` of `fbench start`, for `fbench workers`) gets the next free
 * number of its type. Pure.
 */
export function withFreeNames<P extends { name: string; type: string; dependsOn: string[] }>(processes: readonly P[], taken: readonly string[]): P[] {
  const used = new Set(taken);
  const renamed = new Map<string, string>();
  for (const p of processes) {
    if (!used.has(p.name)) {
      used.add(p.name);
      continue;
    }
    let i = 1;
    while (used.has(`${p.type}.${i}`) || processes.some((q) => q !== p && q.name === `${p.type}.${i}`)) i++;
    renamed.set(p.name, `${p.type}.${i}`);
    used.add(`${p.type}.${i}`);
  }
  if (renamed.size === 0) return [...processes];
  return processes.map((p) => ({ ...p, name: renamed.get(p.name) ?? p.name, dependsOn: p.dependsOn.map((d) => renamed.get(d) ?? d) }));
}
