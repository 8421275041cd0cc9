import path from 'node:path';
import { shellQuote } from '../config/shell-command.js';
import { unreachable, type Warning } from '../errors.js';
import type { Plan, PlanProcess } from '../plan/types.js';
import type { BenchModel } from '../frappe/bench-model.js';
import { REDIS_STOP_GRACE_S, workerStopSeconds } from '../frappe/stop-policy.js';
import { ROLE_TRAITS } from '../frappe/roles.js';

/** One program of a production formation: a process type, run `count` times. */
export interface ProductionProgram {
  /** The Procfile type it comes from (worker_long). */
  type: string;
  /** bench's own name for it: frappe-web, node-socketio, frappe-schedule, frappe-worker-long, redis-cache. */
  programName: string;
  /** Start order: Redis (1) before web and socketio (4) before workers and the rest (5), as bench's supervisor config. */
  priority: number;
  role: PlanProcess['role'];
  command: string;
  cwd: string;
  count: number;
  env: Record<string, string>;
  /** Types that must be up first (from the plan's dependencies). */
  after: string[];
  /** Seconds a stop may take: a worker finishes its job first. */
  stopSeconds: number;
  stdoutLog: string;
  stderrLog: string;
}

export interface ProductionFacts {
  /** The bench's env/bin/gunicorn, when it has one. */
  gunicorn: string | null;
  /** Where a program is on PATH (absolute), injected so the translation stays pure. */
  which: (program: string) => string | null;
  exists: (p: string) => boolean;
  /** Where gunicorn listens: 127.0.0.1 behind nginx on one machine; 0.0.0.0 in a container. */
  bind?: string;
}

/** Translate a dev plan into the programs a Frappe deployment runs. Pure (facts are injected). */
export function productionPrograms(plan: Plan, model: BenchModel, facts: ProductionFacts): { programs: ProductionProgram[]; warnings: Warning[] } {
  const warnings: Warning[] = [];
  const byType = new Map<string, PlanProcess[]>();
  for (const p of plan.processes) byType.set(p.type, [...(byType.get(p.type) ?? []), p]);
  const typeOfName = new Map(plan.processes.map((p) => [p.name, p.type]));
  const logs = path.join(model.dir, 'logs');
  const programs: ProductionProgram[] = [];

  for (const [type, instances] of byType) {
    const first = instances[0]!;
    const exported = ROLE_TRAITS[first.role].export;
    if (!exported) {
      warnings.push({ file: 'Procfile', message: `${type}: dropped (asset watching is for development)` });
      continue;
    }
    const shape = first.shape;
    const bare = [...shape.argv].map(shellQuote).join(' ');
    let command = bare;
    let cwd = first.cwd; // where the plan runs it: sites/ for Frappe's own commands
    let stopSeconds = 10; // supervisord's and bench's own default
    switch (first.role) {
      case 'web':
        if (facts.gunicorn) {
          command = `${shellQuote(facts.gunicorn)} -b ${facts.bind ?? '127.0.0.1'}:${model.config.webserverPort} -w ${model.config.gunicornWorkers} --max-requests 5000 --max-requests-jitter 500 -t ${Number(model.config.raw.http_timeout ?? 120)} frappe.app:application --preload`;
          cwd = path.join(model.dir, 'sites');
        } else {
          warnings.push({
            file: 'env/bin/gunicorn',
            message: `missing: ${type} keeps the Procfile's command (${bare}); a production bench serves with gunicorn (pip install gunicorn into env)`,
          });
          command = absolutize(bare, shape.argv[0], facts);
        }
        break;
      case 'socketio': {
        const program = shape.argv[0] ?? 'node';
        const node = path.isAbsolute(program) && facts.exists(program) ? program : facts.which('node');
        if (program === 'bench') command = absolutize(bare, program, facts);
        else if (node)
          command = [node, ...shape.argv.slice(1).map((a) => (a.endsWith('.js') && !path.isAbsolute(a) ? path.join(model.dir, a) : a))]
            .map(shellQuote)
            .join(' ');
        else warnings.push({ file: 'Procfile', message: `${type}: no node found on PATH; keeping ${program}` });
        break;
      }
      case 'worker':
        stopSeconds = workerStopSeconds(first.queues ?? [], model.config);
        command = absolutize(bare, shape.argv[0], facts);
        break;
      case 'redis': {
        stopSeconds = REDIS_STOP_GRACE_S;
        const args = shape.argv.slice(1).map((a, i) => (i === 0 && !a.startsWith('-') ? path.resolve(model.dir, a) : a));
        command = absolutize([shape.argv[0]!, ...args].map(shellQuote).join(' '), shape.argv[0], facts);
        break;
      }
      case 'schedule':
      case 'admin':
      case 'other':
      case 'watch':
        command = absolutize(bare, shape.argv[0], facts);
        break;
      default:
        unreachable(first.role);
    }
    programs.push({
      type,
      programName: exported.program(type),
      priority: exported.priority,
      role: first.role,
      command,
      cwd,
      count: instances.length,
      env: { ...model.dotenv, ...shape.env },
      after: [...new Set(first.dependsOn.map((d) => typeOfName.get(d)).filter((t): t is string => t !== undefined))],
      stopSeconds,
      stdoutLog: path.join(logs, `${type}.log`),
      stderrLog: path.join(logs, `${type}.error.log`),
    });
  }
  // Redis first, then what needs it (supervisor priority, systemd ordering).
  programs.sort((a, b) => a.priority - b.priority);
  return { programs, warnings };
}

/** A service manager's PATH is minimal: name programs (bench, redis-server) by absolute path. */
function absolutize(command: string, program: string | undefined, facts: ProductionFacts): string {
  if (!program || path.isAbsolute(program) || !command.startsWith(program)) return command;
  const abs = facts.which(program);
  return abs ? `${shellQuote(abs)}${command.slice(program.length)}` : command;
}
