import type { Printer } from '../output/printer.js';
import type { Clock } from '../util/clock.js';
import { AdoptedProcess } from './adopted-process.js';
import { GroupProcess, type GroupRegistry } from './group-process.js';
import type { LogFiles } from './log-files.js';
import type { ProcessFactory } from './supervised-process.js';

export interface RealProcessParts {
  printer: Printer;
  registry: GroupRegistry;
  logFiles: LogFiles;
  /** The session's part of every process's marker: `<session>:<process>:<instance>`. */
  session: string;
  clock: Clock;
}

/** The real processes: children in their own groups, registered with the watchdog; adopted ones taken over. */
export function realProcesses(parts: RealProcessParts): ProcessFactory {
  // Each instance its own marker: an old worker finishing its job beside its replacement (a
  // handover) must not count the new one's processes as its own, nor the other way round.
  let instances = 0;
  return (spec) => {
    const marker = `${parts.session}:${spec.name}:${++instances}`;
    const child = (): GroupProcess =>
      new GroupProcess(spec, {
        printer: parts.printer,
        registry: parts.registry,
        logFiles: parts.logFiles,
        marker,
        clock: parts.clock,
      });
    return spec.adopt === undefined ? child() : new AdoptedProcess(spec, spec.adopt, child, parts.clock);
  };
}
