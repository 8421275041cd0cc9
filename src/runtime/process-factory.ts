import type { Printer } from '../output/printer.js';
import { AdoptedProcess } from './adopted-process.js';
import { GroupProcess, type GroupRegistry } from './group-process.js';
import type { ProcessFactory } from './supervised-process.js';

/** The real processes: children in their own groups, registered with the watchdog; adopted ones taken over. */
export function realProcesses(printer: Printer, registry: GroupRegistry, graceMs: number): ProcessFactory {
  return (spec) => {
    const child = (): GroupProcess => new GroupProcess(spec, { printer, registry, leftoverGraceMs: graceMs });
    return spec.adoptPid === undefined ? child() : new AdoptedProcess(spec.name, spec.adoptPid, child);
  };
}
