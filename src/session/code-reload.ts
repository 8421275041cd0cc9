import { readFileSync } from 'node:fs';
import path from 'node:path';
import { isCodeChange, mayHoldCode, reloadWaves } from '../frappe/code-watch.js';
import type { BenchModel } from '../frappe/bench-model.js';
import type { Printer } from '../output/printer.js';
import type { Plan } from '../plan/types.js';
import { Debounce } from '../runtime/debounce.js';
import { FolderWatch } from '../runtime/folder-watch.js';
import { blindToOutsideEdits, mountsOf } from '../runtime/mount-table.js';
import type { Clock } from '../util/clock.js';
import { plural } from '../util/plural.js';

/** A burst of changes (a `git checkout` of 500 files) is one restart, this long after its last change. */
const RELOAD_DEBOUNCE_MS = 250;

/** The system's limit on inotify watches, for the message that says it was reached. */
function watchLimit(): string {
  try {
    return readFileSync('/proc/sys/fs/inotify/max_user_watches', 'utf8').trim();
  } catch {
    return '?';
  }
}

/**
 * Restarts the roles that do not reload themselves (workers, the scheduler) when Python code
 * under apps/ changes, once per burst. It watches the folders that can hold an app's code, not
 * their files; when the system refuses watches, it says so once and polls the rest.
 */
export class CodeReload {
  private watch: FolderWatch | null = null;
  private readonly reload: Debounce<string>;

  constructor(
    private readonly session: {
      plan: () => Plan;
      model: () => BenchModel;
      printer: Printer;
      clock: Clock;
      restart: (names: string[], why: string) => Promise<void>;
      /** A save fbench saw (`fbench errors --since save`). */
      saved: () => void;
    },
    /** The roles asked for (--reload); restarted as reloadWaves orders them on this bench. */
    private readonly roles: readonly string[],
    /** FBENCH_MAX_WATCHES: at most this many watches, to try the path of a system that refuses them. */
    private readonly maxWatches?: number,
    /** --poll (true: poll all of apps/), --no-poll (false: never), or by the mount table (undefined). */
    private readonly poll?: boolean,
  ) {
    this.reload = new Debounce(RELOAD_DEBOUNCE_MS, (files) => void this.restart(files), session.clock);
  }

  /** Watch apps/; resolves with what the "watching" line says of it, or null when there is nothing to watch. */
  async start(): Promise<string | null> {
    const apps = path.join(this.session.plan().bench, 'apps');
    const { waves, off } = this.waves();
    if (off) return `no .py changes: ${off}`;
    if (waves.length === 0) return null;
    const bench = this.session.plan().bench;
    const blind = this.poll === false ? [] : this.poll ? [{ point: apps, type: '--poll' }] : mountsOf(apps).filter((m) => blindToOutsideEdits(m.type));
    // A mount that holds apps/ from above is polled from apps/ down.
    const pollUnder = blind.map((m) => (apps.startsWith(`${m.point}${path.sep}`) || m.point === apps ? apps : m.point));
    const watch = new FolderWatch({
      root: apps,
      enter: mayHoldCode,
      wanted: isCodeChange,
      onChange: (f) => this.reload.push(f),
      onRefused: ({ watched, polled, code }) =>
        this.session.printer.warn(
          `could not watch ${polled} of ${watched + polled} folders under apps/ (${code}: the system's limit of file watches, fs.inotify.max_user_watches = ${watchLimit()}, is reached): ` +
            `.py changes there are found by polling instead, a few seconds late. To watch them all: sudo sysctl fs.inotify.max_user_watches=524288 (and add it to /etc/sysctl.conf)`,
        ),
      ...(this.maxWatches !== undefined ? { maxWatches: this.maxWatches } : {}),
      ...(pollUnder.length ? { pollUnder } : {}),
      clock: this.session.clock,
    });
    this.watch = watch;
    await watch.start();
    if (watch.watchCount + watch.polledCount === 0) return null;
    const where = blind.map((m, i) =>
      m.type === '--poll'
        ? 'asked with --poll'
        : `${path.relative(bench, pollUnder[i]!) || '.'} is on ${m.type}, where edits made outside this machine raise no event`,
    );
    const polled = where.length
      ? `; polled every ${Math.round(watch.pollEveryMs / 100) / 10} s: ${where.join('; ')}${this.poll ? '' : ' (--no-poll to watch instead)'}`
      : '';
    return `apps/ for .py changes (${plural(watch.watchCount + watch.polledCount, 'folder')}; restarting ${waves.map((w) => w.join(', ')).join(', then ')}${polled})`;
  }

  close(): void {
    this.reload.cancel();
    this.watch?.close();
  }

  private waves(): { waves: string[][]; off?: string } {
    return reloadWaves(
      this.roles,
      this.session.plan().processes.map((p) => p.role),
      this.session.model().benchToml,
    );
  }

  /** Each wave once the one before is ready again (a re-plan may have changed the roles since the start). */
  private async restart(changes: string[]): Promise<void> {
    const files = [...new Set(changes)]; // a save is often several events
    const plan = this.session.plan();
    const first = path.relative(plan.bench, files[0]!);
    const why = `${first}${files.length > 1 ? ` and ${files.length - 1} more` : ''} changed`;
    this.session.saved();
    for (const wave of this.waves().waves) {
      const names = plan.processes.filter((p) => wave.includes(p.role)).map((p) => p.name);
      if (names.length) await this.session.restart(names, why);
    }
  }
}
