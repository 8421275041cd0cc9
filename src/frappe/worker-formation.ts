import { shellQuote } from '../config/shell-command.js';
import { FbenchError } from '../errors.js';
import type { QueueSelection, WorkerFormation, WorkerGroup } from './preset-file.js';
import { knownQueues, STANDARD_QUEUES } from './queues.js';
import { classifyEntry, type BenchEntry, type Role } from './roles.js';
import { QUEUE_NAME, type ResolvedSiteConfig } from './site-config.js';

export interface FormationSpec {
  roles?: readonly Role[];
  exclude?: readonly string[];
  workers: WorkerFormation;
  /** For error messages: the preset file or the command-line option. */
  source: string;
}

export interface Formation {
  entries: BenchEntry[];
  /** Instances per process type the formation asks for. */
  concurrency: Record<string, number>;
}

/**
 * Apply a preset or a `--queues` split to the Procfile's entries: filter processes and
 * rebuild the worker lines from the Procfile's own worker command. Pure.
 */
export function applyFormation(entries: readonly BenchEntry[], config: ResolvedSiteConfig, spec: FormationSpec): Formation {
  const roleOf = new Map(entries.map((e) => [e.name, e.info.role]));
  // The worker line that serves every queue (no --queue, as roles.ts reads it) is the model for new ones.
  const allQueues = (e: BenchEntry | undefined): boolean => e !== undefined && e.info.queues === undefined;
  const keep = (e: BenchEntry): boolean => {
    const role = e.info.role;
    if (spec.roles && !spec.roles.includes(role)) return false;
    return !(spec.exclude ?? []).some((x) => x === e.name || x === role);
  };
  const kept = entries.filter(keep);
  if (spec.workers.kind === 'procfile') return { entries: kept, concurrency: {} };
  if (spec.roles && !spec.roles.includes('worker')) return { entries: kept, concurrency: {} };

  const workers = entries.filter((e) => roleOf.get(e.name) === 'worker');
  const template = workers.find(allQueues) ?? workers[0];
  const groups: WorkerGroup[] =
    spec.workers.kind === 'each'
      ? resolve(spec.workers.set, config).map((q) => ({
          queues: [q],
          ...(spec.workers.kind === 'each' && spec.workers.count !== undefined ? { count: spec.workers.count } : {}),
        }))
      : spec.workers.groups;

  const all = knownQueues(config);
  const concurrency: Record<string, number> = {};
  const built: BenchEntry[] = [];
  for (const g of groups) {
    const queues = resolve(g.queues, config);
    const unknown = queues.filter((q) => !all.includes(q));
    if (unknown.length > 0) {
      throw new FbenchError(
        `unknown queue${unknown.length > 1 ? 's' : ''} ${unknown.map((q) => `"${q}"`).join(', ')} in ${spec.source}`,
        `this bench's queues are ${all.join(', ')}; a custom queue is declared under "workers" in sites/common_site_config.json`,
      );
    }
    const everyQueue = all.every((q) => queues.includes(q));
    const name = everyQueue ? 'worker' : `worker_${queues.join('_')}`;
    if (built.some((b) => b.name === name))
      throw new FbenchError(`${spec.source} asks for the worker "${name}" twice`, 'list each queue combination once and set its count instead');
    const base = template?.command ?? 'bench worker';
    built.push(classifyEntry({ name, command: everyQueue && allQueues(template) ? base : withQueues(base, queues), line: template?.line ?? 0 }));
    const custom = queues.length === 1 ? config.workers[queues[0]!]?.background_workers : undefined;
    const count = g.count ?? custom ?? config.backgroundWorkers;
    if (count !== 1) concurrency[name] = count;
  }

  // The new workers stand where the Procfile's first worker stood, so PORT numbering stays put.
  const at = kept.findIndex((e) => roleOf.get(e.name) === 'worker');
  const others = kept.filter((e) => roleOf.get(e.name) !== 'worker');
  const insertAt = at === -1 ? others.length : kept.slice(0, at).filter((e) => roleOf.get(e.name) !== 'worker').length;
  return { entries: [...others.slice(0, insertAt), ...built, ...others.slice(insertAt)], concurrency };
}

/** Parse `--queues default,long+short,email`: commas separate processes, `+` joins queues. Pure. */
export function parseQueueGroups(spec: string, count?: number): WorkerGroup[] {
  const groups = spec
    .split(',')
    .map((g) =>
      g
        .split('+')
        .map((q) => q.trim())
        .filter(Boolean),
    )
    .filter((g) => g.length > 0);
  if (groups.length === 0) throw new FbenchError('--queues lists no queue', 'for example --queues default,long,email or --queues short+default,long');
  const bad = groups.flat().find((q) => !QUEUE_NAME.test(q));
  if (bad !== undefined)
    throw new FbenchError(
      `--queues: ${JSON.stringify(bad)} is not a queue name (letters, digits, "_" and "-" only)`,
      'for example --queues default,long,email',
    );
  return groups.map((queues) => ({ queues, ...(count !== undefined ? { count } : {}) }));
}

function resolve(sel: QueueSelection, config: ResolvedSiteConfig): string[] {
  if (sel === 'all') return knownQueues(config);
  if (sel === 'standard') return Object.keys(STANDARD_QUEUES);
  return sel;
}

/** The worker command with `--queue a,b` set, keeping its env prefix and redirections. */
function withQueues(command: string, queues: readonly string[]): string {
  const q = shellQuote(queues.join(','));
  if (/--queue[= ]\S+/.test(command)) return command.replace(/--queue[= ]\S+/, `--queue ${q}`);
  const m = /\bworker\b/.exec(command);
  return m ? `${command.slice(0, m.index + m[0].length)} --queue ${q}${command.slice(m.index + m[0].length)}` : `${command} --queue ${q}`;
}
