import path from 'node:path';
import { LineRelay } from '../output/line-relay.js';
import type { Printer } from '../output/printer.js';
import type { Plan, PlanProcess } from '../plan/types.js';
import { tailFile } from '../runtime/file-tail.js';
import type { Supervisor } from '../runtime/supervisor.js';
import type { Clock } from '../util/clock.js';

/** The files fbench writes itself for a process (its owned redirections). */
function ownedFiles(p: PlanProcess): string[] {
  return [p.exec.stdout, p.exec.stderr].flatMap((t) => (typeof t === 'object' ? [path.resolve(p.cwd, t.file)] : []));
}

/**
 * Log files that programs write by themselves (a compound line's shell does the redirection),
 * with the name their lines show under: the one process writing it, else the file. Files fbench
 * writes itself are never followed: their lines are already in the stream. Pure.
 */
export function followedLogs(plan: Plan): Map<string, string> {
  const owned = new Set(plan.processes.flatMap(ownedFiles));
  const writers = new Map<string, string[]>();
  for (const p of plan.processes) for (const f of p.logFiles) if (!owned.has(f)) writers.set(f, [...(writers.get(f) ?? []), p.name]);
  return new Map([...writers].map(([f, w]) => [f, w.length === 1 ? w[0]! : path.basename(f)]));
}

/** Follows into the stream the log files that compound Procfile lines write themselves (`--no-follow-logs` turns it off). */
export class LogTails {
  private tails = new Map<string, { label: string; close: () => void }>();

  constructor(
    private readonly session: { plan: () => Plan; supervisor: () => Supervisor | null; printer: Printer; clock: Clock },
    private readonly enabled: boolean,
  ) {}

  start(): void {
    this.sync();
  }

  /** Follow what the plan's lines write now (after a re-plan, too). */
  sync(): void {
    if (!this.enabled) return;
    const wanted = followedLogs(this.session.plan());
    for (const [file, t] of this.tails) {
      if (wanted.get(file) !== t.label) {
        t.close();
        this.tails.delete(file);
      }
    }
    for (const [file, label] of wanted) {
      if (this.tails.has(file)) continue;
      this.session.printer.addName(label);
      const tail = tailFile(file, this.session.clock);
      new LineRelay(label, tail.stream, this.session.printer, {
        onText: (t) => this.session.supervisor()?.process(label)?.record(t),
        clock: this.session.clock,
      });
      this.tails.set(file, { label, close: tail.close });
    }
  }

  close(): void {
    for (const t of this.tails.values()) t.close();
    this.tails.clear();
  }
}
