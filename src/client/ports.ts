import { realPath } from '../util/real-path.js';
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { FbenchError } from '../errors.js';
import { benchPorts, choosePorts, configPorts, reassignEdits, type BenchPort, type FileEdit, type PortKey, type PortMove } from '../frappe/bench-ports.js';
import { isBenchDir } from '../frappe/discover.js';
import { parseBenchToml } from '../config/bench-toml.js';
import { resolveSiteConfig } from '../frappe/site-config.js';
import { findPortHolder, portListened } from '../health/port-holder.js';
import { sessionOf } from '../runtime/process-group.js';
import type { Planned } from '../session/planning.js';
import { runningRecords } from '../session/registry.js';
import { runningSessions, sessionCommand } from '../session/session-files.js';
import { CONFIG_MAX_BYTES } from '../config/read-file.js';
import { readBounded, writeReplacing } from '../util/safe-file.js';

/** One port of the bench and who has it now. */
export interface PortReport extends BenchPort {
  /** free; held by this bench's own session; by another bench's fbench session; by another program. */
  state: 'free' | 'ours' | 'session' | 'held';
  /** Who holds it, in words. */
  by?: string;
  holder?: { pid: number; command: string };
  /** The other session's bench folder. */
  session?: { bench: string; pid: number };
}

const readOrNull = (f: string): string | null => {
  try {
    return readBounded(f, { maxBytes: CONFIG_MAX_BYTES }).toString('utf8');
  } catch {
    return null;
  }
};

/** The bench's ports, where each is set, and who holds each. */
export function portReport(planned: Planned): PortReport[] {
  const bench = planned.plan.bench;
  const ours = new Set(runningSessions(bench).map((s) => s.pid));
  const records = runningRecords().filter((r) => r.bench !== bench);
  const all = [...ours, ...records.map((r) => r.pid)];
  return portsOf(planned).map((p): PortReport => {
    const holder = portListened(p.port) ? findPortHolder(p.port) : null;
    if (holder) {
      const session = sessionOf(holder.pid, all);
      if (session !== null && ours.has(session)) return { ...p, state: 'ours', by: `this bench's session (pid ${session})`, holder };
      const other = records.find((r) => r.pid === session);
      if (other)
        return {
          ...p,
          state: 'session',
          by: `the ${sessionCommand(other.kind)} of ${other.bench} (pid ${other.pid})`,
          holder,
          session: { bench: other.bench, pid: other.pid },
        };
      return { ...p, state: 'held', by: `pid ${holder.pid} (${holder.command})`, holder };
    }
    if (portListened(p.port)) return { ...p, state: 'held', by: 'a process this user cannot see' };
    const claimed = records.find((r) => r.ports.some((x) => x.port === p.port));
    if (claimed)
      return {
        ...p,
        state: 'session',
        by: `the ${sessionCommand(claimed.kind)} of ${claimed.bench} (pid ${claimed.pid})`,
        session: { bench: claimed.bench, pid: claimed.pid },
      };
    return { ...p, state: 'free' };
  });
}

/** Ports of the report that stop this bench from starting: held by others, or set twice (a cache and queue on one port). */
export function conflicts(report: readonly PortReport[]): string[] {
  const out = report.filter((p) => p.state === 'held' || p.state === 'session').map((p) => `${p.key} ${p.port} is held by ${p.by}`);
  for (const p of report) {
    const twice = report.find(
      (q) =>
        q !== p &&
        q.port === p.port &&
        q.key < p.key &&
        !(p.key === 'redis_socketio' && q.key === 'redis_cache') &&
        !(q.key === 'redis_socketio' && p.key === 'redis_cache'),
    );
    if (twice) out.push(`${twice.key} and ${p.key} are both ${p.port}`);
  }
  return out;
}

/** The bench's ports as its files set them. */
function portsOf(planned: Planned): BenchPort[] {
  const { model } = planned;
  return benchPorts(
    model,
    readOrNull(path.join(model.dir, 'sites', 'common_site_config.json')),
    model.layout.benchToml ? readOrNull(model.layout.benchToml) : null,
  );
}

/** The ports of the other benches in the parent folder, as bench reads them when it makes a new one. */
function siblingPorts(bench: string): Partial<Record<PortKey, number>>[] {
  const parent = path.dirname(bench);
  let names: string[];
  try {
    names = readdirSync(parent);
  } catch {
    return [];
  }
  return names.flatMap((n) => {
    const dir = path.join(parent, n);
    if (dir === bench || !isBenchDir(dir)) return [];
    const text = readOrNull(path.join(dir, 'sites', 'common_site_config.json'));
    const toml = readOrNull(path.join(dir, 'bench.toml'));
    try {
      return [configPorts(resolveSiteConfig(text ? JSON.parse(text) : {}, {}).config, toml === null ? null : parseBenchToml(toml))];
    } catch {
      return [];
    }
  });
}

/**
 * `fbench ports --reassign`: new ports no sibling bench and no running session uses, written in
 * every file that names them. Refused while this bench's session runs (its processes hold the
 * ports being moved). With `dryRun` nothing is written. Files are written whole (a temporary
 * file renamed over), each after a copy of it is kept as `<file>.fbench-bak`; a failure puts
 * back what was written.
 */
export function reassignPorts(planned: Planned, dryRun: boolean): { moves: PortMove[]; edits: FileEdit[] } {
  const bench = planned.plan.bench;
  const running = runningSessions(bench);
  if (running.length > 0)
    throw new FbenchError(
      `${sessionCommand(running[0]!.kind)} is running for this bench (pid ${running[0]!.pid}): its processes hold the ports to move`,
      'stop it first (`fbench stop`), then run `fbench ports --reassign` again',
    );
  const mine = portsOf(planned);
  const claimed = new Set(runningRecords().flatMap((r) => r.ports.map((p) => p.port)));
  const moves = choosePorts(mine, siblingPorts(bench), (port) => claimed.has(port) || portListened(port));
  const edits = reassignEdits(planned.model, moves, { read: readOrNull, isBench: isBenchDir });
  // Nothing outside this bench is ever written (a copy's files may still name the original's).
  const outside = edits.find((e) => path.relative(realPath(bench), realPath(e.file)).startsWith('..'));
  if (outside)
    throw new FbenchError(
      `${outside.file} is outside this bench (${bench}): fbench ports --reassign writes only the bench's own files`,
      'nothing was changed; give the bench its own copy of that file, then run it again',
    );
  if (dryRun || edits.length === 0) return { moves, edits };
  // Each file keeps its mode; every write is a new file renamed over the name (never through a link).
  const modeOf = (f: string): number => statSync(f).mode & 0o7777;
  const done: FileEdit[] = [];
  try {
    for (const e of edits) writeReplacing(`${e.file}.fbench-bak`, e.before, modeOf(e.file));
    for (const e of edits) {
      writeReplacing(e.file, e.after, modeOf(e.file));
      done.push(e);
    }
  } catch (err) {
    for (const e of done) writeReplacing(e.file, e.before, modeOf(e.file));
    throw new FbenchError(
      `cannot write ${path.relative(bench, edits[done.length]!.file)} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`,
      'nothing was changed; make the bench writable and try again',
    );
  }
  return { moves, edits };
}
