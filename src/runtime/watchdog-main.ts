// The watchdog's cleanup (watchdog.ts is the waiting half): fbench has gone without stopping
// these process groups (its arguments, "PGID:RANK:GRACE"; the session is in its environment). They are stopped
// as fbench would have: rank by rank (the processes first, then what they depend on), one
// SIGTERM each, waited for up to each one's grace, with what carries the session's marker
// outside them (a work horse that lost its worker, a daemon); then SIGKILL for what is left.
import { groupAlive, killTree, markedProcesses, pidAlive, processTree, signalGroup, signalPid, WATCHDOG_VAR } from './process-group.js';

for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(s, () => {});

const session = process.env[WATCHDOG_VAR] ?? '';
const groups = process.argv
  .slice(2)
  .map((t) => t.split(':').map(Number))
  .filter(([g, r, ms]) => Number.isInteger(g) && g! > 1 && Number.isInteger(r) && Number.isFinite(ms))
  .map(([pgid, rank, graceMs]) => ({ pgid: pgid!, rank: rank!, graceMs: graceMs! }))
  .filter((g) => groupAlive(g.pgid));

const treeOf = (list: readonly { pgid: number }[]): Set<number> => new Set(list.flatMap((g) => processTree(g.pgid)));
/** What carries the session's marker, but for the processes of the later ranks (a Redis is stopped in its turn). */
const escapees = (): number[] => {
  const later = treeOf(groups.filter((g) => g.rank > 0));
  return (session ? markedProcesses(`${session}:`, true) : []).filter((p) => !later.has(p));
};

for (const rank of [...new Set(groups.map((g) => g.rank))].sort((a, b) => a - b)) {
  const these = groups.filter((g) => g.rank === rank);
  const own = treeOf(these);
  const loose = rank === 0 ? escapees().filter((p) => !own.has(p)) : [];
  for (const g of these) signalGroup(g.pgid, 'SIGTERM');
  for (const p of loose) signalPid(p, 'SIGTERM');
  const start = Date.now();
  const grace = Math.max(0, ...these.map((g) => g.graceMs));
  for (;;) {
    const left = these.filter((g) => groupAlive(g.pgid));
    for (const g of left) if (Date.now() - start >= g.graceMs) killTree(g.pgid);
    const looseLeft = loose.filter(pidAlive);
    if (left.length === 0 && looseLeft.length === 0) break;
    if (Date.now() - start >= grace) {
      for (const p of looseLeft) signalPid(p, 'SIGKILL');
      for (const g of left) killTree(g.pgid);
      break;
    }
    await new Promise((r) => setTimeout(r, 50)); // its own process, kept alive by this timer: real time
  }
}
for (const g of groups) killTree(g.pgid);
for (const p of escapees()) signalPid(p, 'SIGKILL');
