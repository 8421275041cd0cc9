import path from 'node:path';
import { FbenchError } from '../errors.js';
import { closest } from '../util/closest.js';
import type { Plan, PlanProcess } from './types.js';

/** What a name on the command line can mean: a process, its Procfile type, its role, a log file it writes. */
export interface Nameable {
  name: string;
  type: string;
  role: string;
  logFiles?: readonly string[];
}

export interface NameOptions {
  /** The option or command the names came from, for messages (`--quiet`, `restart`). */
  option?: string;
  /** For log files named relative to it (`logs/worker.log`). */
  bench?: string;
  /** A name that means nothing is left out instead of refused (a re-plan removed it). */
  skipUnknown?: boolean;
}

/** The longest name taken: a Procfile's names are short, and matching (the closest name, a wildcard) costs more than linear time in it. */
export const NAME_MAX = 200;

const globRe = (glob: string): RegExp =>
  new RegExp(
    `^${glob
      .replace(/[.+^${}()|\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')
      .replace(/\[!/g, '[^')}$`,
  );

/**
 * The one rule for names in every command: `all`; a shell wildcard (`worker*`) over process
 * names and types; an instance (`worker.1`); else a Procfile type (`worker`, `worker_email`);
 * else a role (`redis`, `web`); else a log file the processes write (`worker.log`). A name that
 * means nothing is refused with the closest one ("did you mean"). Pure.
 */
export function resolveNames(procs: readonly Nameable[], names: readonly string[], opts: NameOptions = {}): string[] {
  const out = new Set<string>();
  for (const n of names) {
    if (n.length > NAME_MAX)
      throw new FbenchError(
        `a name of ${n.length} characters${opts.option ? ` (${opts.option})` : ''}: "${n.slice(0, 40)}…"`,
        `names are at most ${NAME_MAX} characters: a process (worker.1), a type, a role or a wildcard`,
      );
    let hits: string[];
    if (n === 'all') hits = procs.map((p) => p.name);
    else if (/[*?[]/.test(n)) {
      const re = globRe(n);
      hits = procs.filter((p) => re.test(p.name) || re.test(p.type)).map((p) => p.name);
    } else if (procs.some((p) => p.name === n)) hits = [n];
    else {
      hits = procs.filter((p) => p.type === n).map((p) => p.name);
      if (hits.length === 0) hits = procs.filter((p) => p.role === n).map((p) => p.name);
      if (hits.length === 0)
        hits = procs
          .filter((p) => (p.logFiles ?? []).some((f) => path.basename(f) === n || (opts.bench !== undefined && path.relative(opts.bench, f) === n)))
          .map((p) => p.name);
    }
    if (hits.length === 0 && opts.skipUnknown) continue;
    if (hits.length === 0) throw unknownName(procs, n, opts.option);
    hits.forEach((h) => out.add(h));
  }
  return [...out];
}

function unknownName(procs: readonly Nameable[], n: string, option?: string): FbenchError {
  const words = [...new Set(procs.flatMap((p) => [p.name, p.type, p.role]))];
  const guess = closest(n, words);
  return new FbenchError(
    `no process, type or role "${n}"${option ? ` (${option})` : ''}`,
    `${guess ? `did you mean "${guess}"? ` : ''}processes: ${procs.map((p) => p.name).join(', ') || 'none'}; also: all, a wildcard like worker*, a role like redis`,
  );
}

/** The process names a list of names means in a plan (see resolveNames). */
export function processesNamed(plan: Plan, names: readonly string[], option?: string, skipUnknown = false): string[] {
  return resolveNames(plan.processes, names, { bench: plan.bench, ...(option ? { option } : {}), skipUnknown });
}

/** The PATH the bench's processes get (its env/bin first). */
export function planPath(plan: Plan): string {
  return plan.processes[0]?.env.PATH ?? '';
}

/** The plan's Redis servers. */
export function redisProcesses(plan: Plan): PlanProcess[] {
  return plan.processes.filter((p) => p.role === 'redis');
}
