import { watch, writeFileSync, readFileSync, renameSync, type FSWatcher } from 'node:fs';
import path from 'node:path';
import { FbenchError } from '../errors.js';
import { reloadRoles } from '../frappe/layout.js';
import { commandLine } from '../util/process-facts.js';
import type { Printer } from '../output/printer.js';
import type { Plan } from '../plan/types.js';
import { acquirePidFile, removePidFile } from '../runtime/pidfile.js';
import type { StateEvent, Supervisor } from '../runtime/supervisor.js';
import { removeFile } from '../util/remove-file.js';

/** The file the new CLI's admin writes to ask a running bench to restart its app processes. */
export const RELOAD_REQUEST = 'reload.request';

/**
 * fbench as the new bench CLI's runner (frappe/pilot) on a `bench.toml` bench: `pids/bench.pid`
 * names fbench (the CLI's `bench stop` sends it SIGTERM: fbench's faithful stop), `pids/<name>.pid`
 * each running process (its admin's process page reads them), and `pids/reload.request` is acted
 * on. All of them removed at the end.
 */
export class RunnerPids {
  private readonly benchPid: string;
  private readonly written = new Map<string, { file: string; pid: number }>();
  private watcher: FSWatcher | null = null;
  private sup: Supervisor | null = null;

  constructor(
    private readonly dir: string,
    private readonly session: { plan: () => Plan; printer: Printer; restart: (names: string[], why: string) => void },
  ) {
    this.benchPid = path.join(dir, 'bench.pid');
  }

  /** Take `bench.pid` before anything starts: the CLI's own runner holding it means this bench already runs. */
  claim(): void {
    const holder = acquirePidFile(this.benchPid, process.pid);
    if (holder !== null) {
      throw new FbenchError(
        `this bench is already running under the bench CLI's own runner (pids/bench.pid: pid ${holder}, ${commandLine(holder)})`,
        'stop it first with `bench stop` (or Ctrl-C in its terminal); nothing was started',
      );
    }
  }

  start(sup: Supervisor): void {
    this.sup = sup;
    sup.on('state', this.onState);
    try {
      // One folder's events: the plain mechanism, no tree to walk.
      this.watcher = watch(this.dir, (_event, file) => {
        if (file === RELOAD_REQUEST) this.takeRequest();
      });
      this.watcher.on('error', () => this.watcher?.close());
    } catch {
      this.session.printer.warn(`cannot watch ${this.dir}: the bench CLI's reload requests (pids/${RELOAD_REQUEST}) are not acted on`);
    }
    this.takeRequest(); // one written before the start
  }

  close(): void {
    this.sup?.off('state', this.onState);
    this.watcher?.close();
    for (const { file, pid } of this.written.values()) removePidFile(file, pid);
    this.written.clear();
    removePidFile(this.benchPid, process.pid);
  }

  /** A process's pid file: `<type>.pid`, as the CLI names it; `<type>.<n>.pid` for a second instance of a type. */
  private fileFor(name: string): string {
    const p = this.session.plan().processes.find((x) => x.name === name);
    const base = p && name === `${p.type}.1` ? p.type : name;
    return path.join(this.dir, `${base}.pid`);
  }

  private readonly onState = (e: StateEvent): void => {
    const before = this.written.get(e.name);
    if ((e.state === 'running' || e.state === 'ready') && e.pid) {
      if (before?.pid === e.pid) return;
      const file = this.fileFor(e.name);
      try {
        // Written under a private name, then renamed: a reader never sees half a pid.
        writeFileSync(`${file}.${process.pid}`, `${e.pid}\n`);
        renameSync(`${file}.${process.pid}`, file);
        this.written.set(e.name, { file, pid: e.pid });
      } catch {
        // The folder went away: the bench runs on, the CLI just does not see this process.
      }
    } else if (before && e.state !== 'stopping') {
      removePidFile(before.file, before.pid);
      this.written.delete(e.name);
    }
  };

  /** `web` restarts web; `workload` every app process (never Redis, watch or the CLI's admin). The request is removed once taken. */
  private takeRequest(): void {
    const file = path.join(this.dir, RELOAD_REQUEST);
    let what: string;
    try {
      what = readFileSync(file, 'utf8').trim();
    } catch {
      return; // gone, or its removal
    }
    // Created but not yet written (the writer's open and write are two events): its write brings another event.
    if (!what) return;
    removeFile(file);
    const roles = reloadRoles(what);
    if (!roles) {
      this.session.printer.warn(`pids/${RELOAD_REQUEST} asked for "${what.slice(0, 40)}": the bench CLI asks for "web" or "workload"; ignored`);
      return;
    }
    const names = this.session
      .plan()
      .processes.filter((p) => roles.includes(p.role))
      .map((p) => p.name);
    if (names.length) this.session.restart(names, `the bench CLI asked for a reload (${what})`);
  }
}
