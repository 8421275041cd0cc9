import path from 'node:path';
import { FbenchError, formatError } from '../../errors.js';
import { listPresets, loadPreset } from '../../frappe/presets.js';
import { findBench } from '../../frappe/discover.js';
import type { BenchOptions } from '../context.js';

/** The bench named or around, else none (outside a bench: the shipped presets alone). */
function benchOrNone(explicit: string | undefined): string | null {
  try {
    return findBench(explicit, process.cwd());
  } catch (err) {
    if (explicit !== undefined || !(err instanceof FbenchError)) throw err;
    process.stderr.write("fbench: not in a bench: the shipped presets (a bench's own are in its config/fbench/presets/)\n");
    return null;
  }
}

/** `fbench presets`: name, where it comes from, what it is for. */
export function presetsCommand(opts: BenchOptions): number {
  const dir = benchOrNone(opts.bench);
  const rows = listPresets(dir).map((ref) => {
    const where = ref.origin === 'bench' && dir !== null ? path.relative(dir, ref.file) : 'shipped';
    try {
      return [ref.name, where, loadPreset(ref.name, dir).description];
    } catch (err) {
      if (!(err instanceof FbenchError)) throw err;
      return [ref.name, where, `INVALID: ${formatError(err)}`];
    }
  });
  const w0 = Math.max(...rows.map((r) => r[0]!.length));
  const w1 = Math.max(...rows.map((r) => r[1]!.length));
  process.stdout.write(rows.map((r) => `${r[0]!.padEnd(w0)}  ${r[1]!.padEnd(w1)}  ${r[2]}`).join('\n') + '\n');
  return 0;
}
