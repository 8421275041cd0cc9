import path from 'node:path';
import type { FSWatcher } from 'chokidar';
import { FbenchError, formatError, formatWarning } from '../errors.js';
import type { Printer } from '../output/printer.js';
import { diffPlans, isEmpty, type PlanDiff } from '../plan/diff.js';
import type { Plan } from '../plan/types.js';
import { Debounce } from '../runtime/debounce.js';
import type { Clock } from '../util/clock.js';
import type { Planned } from './planning.js';
import type { BenchModel } from '../frappe/bench-model.js';
import { keepsData } from '../frappe/redis-conf.js';

/** An editor's save is often several writes and a rename: one re-plan, this long after the last. */
const REPLAN_DEBOUNCE_MS = 200;

export interface ReplanTarget {
  plan(): Plan;
  /** The bench as the running plan was made from (its Redis confs say what a restart loses). */
  model(): BenchModel;
  printer: Printer;
  clock: Clock;
  /** An edit was taken (`fbench errors --since save` counts from here). */
  saved(): void;
  /** Make the running session the new plan: stop what went, restart what changed, start what came. */
  applyPlan(next: Planned, diff: PlanDiff): Promise<void>;
}

/**
 * Re-plans the running session when the Procfile, the site config or the preset changes, one
 * edit at a time: an edit that comes while one is applied waits for it, and edits that pile up
 * meanwhile are one re-plan of the files as they are then. Nothing it does is left unhandled.
 */
export class Replanner {
  private watcher: FSWatcher | null = null;
  private pending = new Set<string>();
  private applying: Promise<void> | null = null;
  private readonly debounce: Debounce<string>;

  constructor(
    private readonly session: ReplanTarget,
    private readonly build: () => Promise<Planned>,
    private readonly files: readonly string[],
  ) {
    this.debounce = new Debounce(REPLAN_DEBOUNCE_MS, (changed) => this.request(changed), session.clock);
  }

  /** Watch the files; resolves with what the "watching" line says of them. */
  async start(): Promise<string> {
    const { watch } = await import('chokidar');
    const w = watch([...this.files], { ignoreInitial: true });
    this.watcher = w;
    w.on('all', (_event: string, p: string) => this.debounce.push(p));
    w.on('error', () => {}); // a file that went away is seen as a change; nothing else to do
    await new Promise<void>((r) => w.once('ready', () => r()));
    const bench = this.session.plan().bench;
    return `${this.files.map((f) => (path.relative(bench, f).startsWith('..') ? f : path.relative(bench, f))).join(', ')} for re-planning`;
  }

  /** Re-plan for these changed files, after the re-plan under way if there is one. */
  request(changed: readonly string[]): Promise<void> {
    for (const f of changed) this.pending.add(f);
    this.applying ??= this.loop().finally(() => (this.applying = null));
    return this.applying;
  }

  async close(): Promise<void> {
    this.debounce.cancel();
    this.pending.clear();
    await this.watcher?.close();
    await this.applying;
  }

  private async loop(): Promise<void> {
    while (this.pending.size > 0) {
      const bench = this.session.plan().bench;
      const why = [...this.pending].map((f) => path.relative(bench, f)).join(', ');
      this.pending.clear();
      try {
        await this.once(why);
      } catch (err) {
        this.session.printer.error(`${why} changed, and applying it failed: ${(err as Error).message}; what runs is kept as it is`);
      }
    }
  }

  private async once(why: string): Promise<void> {
    let next: Planned;
    try {
      next = await this.build();
    } catch (err) {
      this.session.printer.warn(
        `${why} changed, but it does not plan: ${err instanceof FbenchError ? formatError(err) : (err as Error).message}; keeping what runs`,
      );
      return;
    }
    this.session.saved();
    const before = this.session.plan();
    const known = new Set(before.warnings.map(formatWarning));
    for (const w of next.plan.warnings) if (!known.has(formatWarning(w))) this.session.printer.warn(formatWarning(w));
    const diff = diffPlans(before, next.plan);
    if (isEmpty(diff)) {
      this.session.printer.system(`${why} changed: nothing to restart`);
      await this.session.applyPlan(next, diff);
      return;
    }
    const said = [
      diff.added.length ? `adding ${diff.added.map((p) => p.name).join(', ')}` : '',
      diff.removed.length ? `removing ${diff.removed.join(', ')}` : '',
      ...diff.changed.map((c) => `restarting ${c.process.name} (${c.why})`),
    ].filter(Boolean);
    this.session.printer.system(`${why} changed: ${said.join('; ')}`);
    // A Redis restarted loses what it holds unless its conf keeps it on disk: never silently.
    for (const c of diff.changed.filter((x) => x.process.role === 'redis')) {
      const conf = this.session.model().redisConfs[c.process.type]?.conf;
      if (conf && !keepsData(conf))
        this.session.printer.warn(
          `${c.process.name} restarts empty: its conf keeps no data (save "", no appendonly), so what it holds now (queued jobs, cache) is lost`,
        );
    }
    await this.session.applyPlan(next, diff);
  }
}
