import { editableFix, foreignEditables } from '../frappe/editable-installs.js';
import { benchLayout } from '../frappe/layout.js';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { analyzeCommand, SHELL_ONLY } from '../config/shell-command.js';
import { FbenchError } from '../errors.js';
import { otherBenchOf } from '../frappe/bench-ports.js';
import { isBenchDir } from '../frappe/discover.js';
import { describeHolder, findPortHolder, portListened, type PortHolder } from '../health/port-holder.js';
import { canConnect } from '../health/tcp.js';
import { redisProcesses } from '../plan/lookup.js';
import type { Plan, PlanProcess } from '../plan/types.js';
import { readPid } from '../runtime/pidfile.js';
import { identify, processCwd, processProgram, processUid, userName, type ProcessIdentity } from '../util/process-facts.js';
import { realPath } from '../util/real-path.js';
import { programOnPath } from './planning.js';
import { runningRecords } from './registry.js';
import { sessionCommand } from './session-files.js';
import { sessionOf } from '../runtime/process-group.js';

export type RedisDecision = { action: 'start' } | { action: 'adopt'; process: ProcessIdentity; evidence: string };

/**
 * Before starting a bench Redis: a free port → start it; this bench's own Redis already
 * there (a leftover of a crashed run) → adopt it; anything else on the port → refuse,
 * naming the holder. A copied bench's confs that still name the original's folders → refuse.
 */
export async function preflightRedis(proc: PlanProcess, bench: string): Promise<RedisDecision> {
  const port = proc.redis?.port;
  if (!port || proc.health?.kind !== 'redis') return { action: 'start' };
  refuseCopiedConf(proc, bench);
  if (!portListened(port) && !(await canConnect(proc.health.host, port, 300))) return { action: 'start' };

  const holder = findPortHolder(port);
  const owner = redisOwner(proc, holder);
  if (owner.mine) return { action: 'adopt', process: identify(owner.pid), evidence: owner.evidence };
  const { held, fix } = holderWords(port, holder);
  throw new FbenchError(`${proc.name}: ${held}, which is not this bench's Redis (${owner.why})`, `${fix}. Nothing was started.`);
}

/**
 * Who holds a port, and what to do about it: a process of another running fbench session is
 * named with that session's bench (stop it there), anything else by its pid (kill it).
 */
function holderWords(port: number, holder: PortHolder | null): { held: string; fix: string } {
  const move = 'or move this bench to free ports with `fbench ports --reassign`';
  if (!holder) return { held: describeHolder(port, holder), fix: `stop it, ${move}` };
  const records = runningRecords();
  const session = sessionOf(
    holder.pid,
    records.map((r) => r.pid),
  );
  const other = records.find((r) => r.pid === session);
  if (other)
    return {
      held: `${describeHolder(port, holder)}, of another fbench session (${sessionCommand(other.kind)}, pid ${other.pid}, for ${other.bench})`,
      fix: `stop that bench (\`fbench stop --bench ${other.bench}\`), ${move}`,
    };
  return { held: describeHolder(port, holder), fix: `stop it (kill ${holder.pid}), ${move}` };
}

export type RedisOwner = { mine: true; pid: number; evidence: string } | { mine: false; why: string };

/** The programs that are a Redis server, as the kernel names them. */
const REDIS_PROGRAMS = new Set(['redis-server', 'valkey-server']);

/**
 * Whether the process holding a bench Redis's port is that Redis, decided by the kernel and
 * never by what the server answers (any program on the port can claim any pid and dir): a
 * redis-server of this user, working in the conf's `dir`, named by the conf's pid file.
 */
export function redisOwner(proc: PlanProcess, holder: PortHolder | null): RedisOwner {
  if (!holder) return { mine: false, why: 'fbench cannot see whose it is' };
  const { pid } = holder;
  const uid = processUid(pid);
  if (uid !== process.getuid?.()) return { mine: false, why: `it runs as ${userName(uid)}` };
  const program = processProgram(pid);
  if (!program || !REDIS_PROGRAMS.has(program)) return { mine: false, why: `it is ${program ?? 'a program fbench cannot name'}, not redis-server` };
  const dir = proc.redis?.dir ?? proc.cwd;
  const cwd = processCwd(pid);
  if (cwd === null || realPath(cwd) !== realPath(dir)) return { mine: false, why: `it works in ${cwd ?? 'a folder fbench cannot see'}, not ${dir}` };
  const pidfile = proc.redis?.pidfile;
  if (pidfile && readPid(pidfile) !== pid) return { mine: false, why: `${pidfile} does not name it` };
  return { mine: true, pid, evidence: pidfile ? 'its pid file names it' : `it works in ${dir}` };
}

/**
 * A copy of a bench (`cp -a`) keeps the original's absolute `dir`/`pidfile` in its Redis confs:
 * its Redis would be the original's (its data, its pid file, the one fbench would stop).
 */
export function refuseCopiedConf(proc: PlanProcess, bench: string): void {
  const r = proc.redis;
  if (!r) return;
  for (const [key, value] of [
    ['dir', r.dir],
    ['pidfile', r.pidfile],
  ] as const) {
    const other = value ? otherBenchOf(value, bench, isBenchDir) : null;
    if (other === null || realPath(other) === realPath(bench)) continue;
    throw new FbenchError(
      `${proc.name}: ${r.conf ? path.relative(bench, r.conf) : 'its conf'} sets ${key} ${value}, in another bench (${other}): this bench is a copy of it, and this Redis would be that bench's`,
      'give this bench its own Redis folders and ports: `fbench ports --reassign` (or `bench setup redis`). Nothing was started.',
    );
  }
}

/** A port web or socketio must listen on, already held by another program: start-up stops before anything runs. */
export function preflightPort(proc: PlanProcess): void {
  if ((proc.role !== 'web' && proc.role !== 'socketio') || proc.port === null) return;
  if (!portListened(proc.port)) return;
  const { held, fix } = holderWords(proc.port, findPortHolder(proc.port));
  throw new FbenchError(`${proc.name}: ${held}; ${proc.name} could not listen there`, `${fix}. Nothing was started.`);
}

/**
 * Everything that would stop the plan from starting, found before anything runs: redis-server
 * missing, a Redis port held by another program, a web or socketio port taken. Resolves this
 * bench's leftover Redis servers to adopt (name → process).
 */
export async function preflight(plan: Plan): Promise<Map<string, ProcessIdentity>> {
  const redis = redisProcesses(plan);
  refuseMissingPrograms(plan);
  for (const p of redis) refuseMissingConf(p, plan.bench);
  for (const p of plan.processes) preflightPort(p);
  const decisions = await Promise.all(redis.map((p) => preflightRedis(p, plan.bench)));
  const adopted = new Map<string, ProcessIdentity>();
  redis.forEach((p, i) => {
    const d = decisions[i]!;
    if (d.action === 'adopt') adopted.set(p.name, d.process);
  });
  return adopted;
}

/** Open files fbench holds for each process it runs (stdin, stdout, stderr, its start gate, a log file). */
const FILES_PER_PROCESS = 5;
/** And for itself: Node, Redis checks, watches, the control socket, its own log. */
const FILES_OF_ITS_OWN = 64;

/**
 * A plan that needs more open files than fbench may have (`ulimit -n`): what falls short and
 * the fix, or null. Without it, processes fail to start one by one (EMFILE).
 */
export function fileBudget(plan: Plan, limit: number | null): { problem: string; fix: string } | null {
  const n = plan.processes.length;
  const need = n * FILES_PER_PROCESS + FILES_OF_ITS_OWN;
  if (limit === null || need <= limit) return null;
  return {
    problem: `this bench runs ${n} processes: fbench needs about ${need} open files for them, and it may have ${limit} (\`ulimit -n\`)`,
    fix: `raise the limit before starting, e.g. \`ulimit -n ${2 ** Math.ceil(Math.log2(need * 2))}\``,
  };
}

/** What to do about a program a Procfile line runs that is not there. */
function installHint(program: string, bench: string): string {
  const commands = benchLayout(bench)?.commands;
  if (program.startsWith(path.join(bench, 'env') + path.sep)) return `the bench's virtualenv lacks it: run ${commands?.setupEnv ?? '`bench setup env`'}`;
  switch (path.basename(program)) {
    case 'bench':
      return 'install the bench CLI (`pipx install frappe-bench`), or give this bench its env/bin/bench with `bench setup env`';
    case 'redis-server':
      return 'install it: `sudo apt-get install redis-server` (Debian/Ubuntu), `sudo dnf install redis` (Fedora), `brew install redis` (macOS)';
    case 'node':
      return 'install Node.js (Frappe needs it for socketio and its assets)';
    default:
      return 'install it, or fix the Procfile line';
  }
}

/**
 * Every program the plan runs, found before anything starts (as sh would find it: by path, or
 * on the plan's PATH): a missing `bench` would otherwise make every Frappe process crash-loop
 * with "not found". One line naming the program and the processes that need it.
 */
export function refuseMissingPrograms(plan: Plan): void {
  const missing = new Map<string, string[]>();
  for (const p of plan.processes) {
    const shape = analyzeCommand(p.command); // the command as run: after the plan's stale-node fallback
    const program = shape.argv[0];
    if (!program || shape.compound || SHELL_ONLY.has(program) || /[$`*?[]/.test(program)) continue;
    const found = program.includes('/') ? existsSync(path.resolve(p.cwd, program)) : programOnPath(plan, program) !== null;
    if (!found) missing.set(program, [...(missing.get(program) ?? []), p.name]);
  }
  const [program, names] = [...missing.entries()][0] ?? [];
  if (!program) return;
  throw new FbenchError(
    `${program} is not found (${program.includes('/') ? 'no such file' : 'not in env/bin, nor on PATH'}); ${names!.join(', ')} run${names!.length === 1 ? 's' : ''} it`,
    `${installHint(program.includes('/') ? path.resolve(plan.bench, program) : program, plan.bench)}. Nothing was started.`,
  );
}

/**
 * A copied bench whose env/ imports another bench's apps (editable installs): its processes run
 * that bench's code, and its workers register under that bench's queues. Said before anything
 * starts (the start goes on: its Redis, ports and stand-ins may be all it needs), or null.
 */
export function foreignCodeWarning(plan: Plan): string | null {
  const layout = benchLayout(plan.bench);
  const e = layout && plan.processes.some((p) => p.role !== 'redis') ? foreignEditables(plan.bench)[0] : undefined;
  if (!e || !layout) return null;
  return `env/ runs another bench's code: ${e.file} points at ${e.target}, in ${e.bench} (a copied bench?); its workers will take that bench's jobs, not this one's → ${editableFix(layout)}`;
}

/** A Redis line whose conf file is missing: Redis would exit at once ("can't open config file"). */
function refuseMissingConf(p: PlanProcess, bench: string): void {
  const conf = p.redis?.conf;
  if (!conf || existsSync(conf)) return;
  throw new FbenchError(
    `${p.name}: ${path.relative(bench, conf)} does not exist`,
    `write the Redis confs with ${benchLayout(bench)?.commands.setupRedis ?? '`bench setup redis`'}. Nothing was started.`,
  );
}
