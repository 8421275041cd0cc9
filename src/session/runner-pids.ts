import path from 'node:path';
import { FbenchError } from '../errors.js';
import { commandLine } from '../util/process-facts.js';
import type { Plan } from '../plan/types.js';
import { acquirePidFile, readPid, removePidFile } from '../runtime/pidfile.js';
import type { StateEvent, Supervisor } from '../runtime/supervisor.js';
import { writeReplacing } from '../util/safe-file.js';

/**
 * fbench as the new bench CLI's runner (frappe/pilot) on a `bench.toml` bench: `pids/bench.pid`
 * names fbench (the CLI's `bench stop` removes it and sends fbench SIGTERM: fbench's faithful
 * stop), `pids/<name>.pid` each running process (its admin's process page lists them). All of
 * them removed at the end. The CLI has no other way to talk to its runner.
 */
export class RunnerPids {
  private readonly benchPid: string;
  private readonly written = new Map<string, { file: string; pid: number }>();
  private sup: Supervisor | null = null;

  constructor(
    private readonly dir: string,
    private readonly session: { plan: () => Plan },
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
  }

  /**
   * The bench is stopping: the CLI's `bench stop` removed `bench.pid` before its SIGTERM, so its
   * `bench ls` would say "stopped" while a worker still finishes its job. Written again until the end.
   */
  stopping(): void {
    try {
      if (readPid(this.benchPid) === null) acquirePidFile(this.benchPid, process.pid);
    } catch {
      // pids/ went away: the stop goes on, the CLI just cannot see it
    }
  }

  close(): void {
    this.sup?.off('state', this.onState);
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
        writeReplacing(file, `${e.pid}\n`); // whole, and never through a link planted at its name
        this.written.set(e.name, { file, pid: e.pid });
      } catch {
        // The folder went away: the bench runs on, the CLI just does not see this process.
      }
    } else if (before && e.state !== 'stopping') {
      removePidFile(before.file, before.pid);
      this.written.delete(e.name);
    }
  };
}
