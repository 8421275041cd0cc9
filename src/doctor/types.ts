import type { BenchModel } from '../frappe/bench-model.js';
import type { Plan } from '../plan/types.js';

export type Status = 'ok' | 'warn' | 'fail';

/** One line of the doctor's report: what was found, and how to fix it when it is not ok. */
export interface Finding {
  group: string;
  status: Status;
  finding: string;
  fix?: string;
}

/** What every check gets: the bench as far as it could be read. */
export interface DoctorContext {
  dir: string;
  model: BenchModel;
  plan: Plan;
  /** pids of the fbench sessions running for this bench. */
  sessionPids: number[];
  /** The running `fbench start` (it runs the Redis lines), if any. */
  startPid: number | null;
}

export const ok = (group: string, finding: string): Finding => ({ group, status: 'ok', finding });
export const warn = (group: string, finding: string, fix: string): Finding => ({ group, status: 'warn', finding, fix });
export const fail = (group: string, finding: string, fix: string): Finding => ({ group, status: 'fail', finding, fix });
