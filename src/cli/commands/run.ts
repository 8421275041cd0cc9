import { runOneOff } from '../../client/one-off.js';
import { planBench } from '../../session/planning.js';
import { benchRequest, noteManager, type BenchOptions } from '../context.js';

/** `fbench run COMMAND…`: one command in the bench's environment. */
export async function runCommand(command: string[], opts: BenchOptions & { shell?: boolean; dev?: boolean }): Promise<number> {
  noteManager(opts);
  const { plan } = await planBench({ ...benchRequest(opts), dev: opts.dev !== false });
  return runOneOff(plan, command, opts.shell === true);
}
