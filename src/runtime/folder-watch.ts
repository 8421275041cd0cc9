// fs.promises is read when a folder is walked, not when fbench loads (it pulls in more of Node).
import { promises as fsp, readdirSync, statSync, watch, type FSWatcher } from 'node:fs';
import path from 'node:path';
import { realClock, type Clock } from '../util/clock.js';

export interface FolderWatchOptions {
  root: string;
  /** Whether a folder is entered and watched, by its name alone, before anything under it is read. */
  enter: (folderName: string) => boolean;
  /** Whether a change to a file of this name counts. */
  wanted: (fileName: string) => boolean;
  onChange: (file: string) => void;
  /**
   * Said once when the system refuses a watch (its inotify limit): how many folders are watched,
   * how many are polled instead, and the error.
   */
  onRefused: (info: { watched: number; polled: number; code: string }) => void;
  /** At most this many watches, as if the system refused the next one (to try the refusal path). */
  maxWatches?: number;
  /** Folders (and what is under them) that are polled, never watched: where the kernel's watch cannot see every edit. */
  pollUnder?: readonly string[];
  clock?: Clock;
}

/** Folders listed at once while the tree is walked. */
const WALKERS = 8;
/** Polled folders are looked at again after this long at least, and at most after POLL_MAX_MS, by how many there are. */
const POLL_MIN_MS = 2000;
const POLL_MAX_MS = 30_000;
/** Polled folders read in one turn of the loop. */
const POLL_BATCH = 200;

/**
 * Watches a tree by its folders, not its files: a watch on a folder reports every file in it,
 * so the cost grows with the folders entered, not with what they hold. Folders that appear
 * later (a `git checkout` adding a module) are watched as they come. When the system refuses a
 * watch, the folders it could not watch are polled instead, at an interval bounded by how
 * many they are; the watch never fails for it.
 */
export class FolderWatch {
  private watchers = new Map<string, FSWatcher>();
  private polled = new Set<string>();
  /** mtimes of the wanted files of polled folders. */
  private seen = new Map<string, number>();
  /** Why the system refused a watch, once it did. */
  private refusedCode: string | null = null;
  private started = false;
  private cancelPoll: (() => void) | null = null;
  private closed = false;
  private readonly clock: Clock;

  constructor(private readonly opts: FolderWatchOptions) {
    this.clock = opts.clock ?? realClock;
  }

  /** The watches held (one per folder watched). */
  get watchCount(): number {
    return this.watchers.size;
  }

  get polledCount(): number {
    return this.polled.size;
  }

  /** Walk the tree and watch it; resolves once every folder there now is watched (or polled). */
  async start(): Promise<void> {
    await this.add(this.opts.root);
    this.started = true;
    if (this.refusedCode) this.sayRefused();
    else if (this.polled.size) this.schedulePoll();
  }

  /** How often polled folders are looked at: bounded by how many they are, so the cost stays flat. */
  get pollEveryMs(): number {
    return Math.min(POLL_MAX_MS, Math.max(POLL_MIN_MS, this.polled.size * 2));
  }

  close(): void {
    this.closed = true;
    for (const w of this.watchers.values()) w.close();
    this.watchers.clear();
    this.cancelPoll?.();
  }

  /**
   * Watch `root` and every folder under it that may be entered: a walk a few folders at a time,
   * so that what is held at once is a few listings, not the whole tree's.
   */
  private add(root: string): Promise<void> {
    const queue = [root];
    let active = 0;
    return new Promise((resolve) => {
      const pump = (): void => {
        while (active < WALKERS && queue.length > 0) {
          active++;
          void this.list(queue.pop()!, queue).finally(() => {
            active--;
            pump();
          });
        }
        if (active === 0 && queue.length === 0) resolve();
      };
      pump();
    });
  }

  /** Watch one folder (or poll it), and queue the folders in it. */
  private async list(dir: string, queue: string[]): Promise<void> {
    if (this.closed || this.watchers.has(dir) || this.polled.has(dir)) return;
    const watched = this.mustPoll(dir) ? this.pollFolder(dir) : this.watchFolder(dir);
    let entries;
    try {
      entries = await fsp.readdir(dir, { withFileTypes: true });
    } catch {
      this.forget(dir);
      return;
    }
    if (!watched) await this.remember(dir, entries);
    for (const e of entries) if (e.isDirectory() && this.opts.enter(e.name)) queue.push(path.join(dir, e.name));
  }

  private mustPoll(dir: string): boolean {
    return (this.opts.pollUnder ?? []).some((p) => dir === p || dir.startsWith(`${p}${path.sep}`));
  }

  private pollFolder(dir: string): false {
    this.polled.add(dir);
    if (this.started) this.schedulePoll(); // a folder that appeared later
    return false;
  }

  private watchFolder(dir: string): boolean {
    if (this.refusedCode || (this.opts.maxWatches !== undefined && this.watchers.size >= this.opts.maxWatches)) return this.refuse(dir, 'ENOSPC');
    let w: FSWatcher;
    try {
      w = watch(dir, { persistent: false }, (_event, name) => this.onEvent(dir, name));
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? 'error';
      if (code === 'ENOENT' || code === 'ENOTDIR') return true; // gone already
      return this.refuse(dir, code);
    }
    // A watched folder removed, or the kernel giving up on it: forget it, never crash.
    w.on('error', () => this.forget(dir));
    this.watchers.set(dir, w);
    return true;
  }

  /** No more watches: this folder and every one after it are polled. Said once the walk has counted them. */
  private refuse(dir: string, code: string): false {
    this.polled.add(dir);
    if (this.refusedCode === null) {
      this.refusedCode = code;
      if (this.started) this.sayRefused(); // a folder that appeared later
    }
    return false;
  }

  private sayRefused(): void {
    this.opts.onRefused({ watched: this.watchers.size, polled: this.polled.size, code: this.refusedCode! });
    this.schedulePoll();
  }

  private onEvent(dir: string, name: string | Buffer | null): void {
    if (this.closed) return;
    if (name === null) return;
    const file = path.join(dir, name.toString());
    if (this.opts.wanted(path.basename(file))) this.opts.onChange(file);
    // A folder that appeared is watched in its turn; one that went is forgotten.
    if (this.opts.enter(path.basename(file)))
      void fsp.stat(file).then(
        (st) => (st.isDirectory() ? this.add(file) : undefined),
        () => this.forget(file),
      );
  }

  private forget(dir: string): void {
    for (const d of [...this.watchers.keys()]) {
      if (d === dir || d.startsWith(`${dir}${path.sep}`)) {
        this.watchers.get(d)!.close();
        this.watchers.delete(d);
      }
    }
  }

  /** The wanted files of a folder that is polled, with their mtimes. */
  private async remember(dir: string, entries: { name: string; isFile(): boolean }[]): Promise<void> {
    for (const e of entries) {
      if (!e.isFile() || !this.opts.wanted(e.name)) continue;
      const f = path.join(dir, e.name);
      const st = await fsp.stat(f).catch(() => null);
      if (st) this.seen.set(f, st.mtimeMs);
    }
  }

  private schedulePoll(): void {
    if (this.cancelPoll || this.closed) return;
    this.cancelPoll = this.clock.setTimer(this.pollEveryMs, () => {
      void this.poll().finally(() => {
        this.cancelPoll = null;
        this.schedulePoll();
      });
    });
  }

  /**
   * One look at every polled folder. Synchronous reads, POLL_BATCH folders at a time between
   * turns of the loop: a promise per stat cost several times the CPU (measured on 6,000 folders),
   * and a batch holds the loop for a millisecond or two.
   */
  private async poll(): Promise<void> {
    const now = new Set<string>();
    const dirs = [...this.polled];
    for (let i = 0; i < dirs.length; i++) {
      if (i > 0 && i % POLL_BATCH === 0) {
        await new Promise((r) => setImmediate(r));
        if (this.closed) return;
      }
      let entries;
      try {
        entries = readdirSync(dirs[i]!, { withFileTypes: true });
      } catch {
        continue;
      }
      for (const e of entries) {
        const f = path.join(dirs[i]!, e.name);
        if (e.isDirectory() && this.opts.enter(e.name) && !this.polled.has(f) && !this.watchers.has(f)) await this.add(f);
        if (!e.isFile() || !this.opts.wanted(e.name)) continue;
        now.add(f);
        const st = statSync(f, { throwIfNoEntry: false });
        if (!st) continue;
        if (this.seen.get(f) !== st.mtimeMs) {
          this.opts.onChange(f); // changed, or new
          this.seen.set(f, st.mtimeMs);
        }
      }
    }
    for (const f of [...this.seen.keys()]) {
      if (!now.has(f)) {
        this.seen.delete(f);
        this.opts.onChange(f);
      }
    }
  }
}
