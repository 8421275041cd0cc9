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
  /** The session's part of every process's marker: `<session>:<process>`. */
  session: string;
  clock: Clock;
}

/** The real processes: children in their own groups, registered with the watchdog; adopted ones taken over. */
export function realProcesses(parts: RealProcessParts): ProcessFactory {
  return (spec) => {
    const child = (): GroupProcess =>
      new GroupProcess(spec, {
        printer: parts.printer,
        registry: parts.registry,
        logFiles: parts.logFiles,
        marker: `${parts.session}:${spec.name}`,
        clock: parts.clock,
      });
    return spec.adopt === undefined ? child() : new AdoptedProcess(spec, spec.adopt, child, parts.clock);
  };
}
