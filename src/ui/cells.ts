import type { ProcessInfo } from '../session/control-protocol.js';
import { megabytes, percent, uptime } from '../util/units.js';

/** A row of the processes pane, as its columns go: name, state, pid, uptime, restarts, CPU, RSS, readiness. */
export function processCells(p: ProcessInfo): string[] {
  return [
    p.name,
    p.state,
    p.pid === null ? '-' : String(p.pid),
    p.uptimeMs === null ? '-' : uptime(p.uptimeMs),
    String(p.restarts),
    percent(p.cpuPercent),
    megabytes(p.rssBytes),
    `${p.atPrompt ? '(Pdb) ' : ''}${p.readiness}${p.port ? ` :${p.port}` : ''}`.replace(/ on :(\d+) :\1$/, ' :$1'),
  ];
}

/** All the view shows of these processes (their rows, colours and prompts): a poll that leaves it the same is not redrawn. */
export function shownOf(list: readonly ProcessInfo[]): string {
  return JSON.stringify(list.map((p) => [processCells(p), p.crashLooping, p.ready, p.atPrompt]));
}
