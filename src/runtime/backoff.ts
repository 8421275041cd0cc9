/** Restart delays: 1 s doubling to 30 s; a process that ran a minute is forgiven. */
export interface BackoffPolicy {
  initialMs: number;
  maxMs: number;
  resetAfterMs: number;
  /** Consecutive crashes from which a crash-loop warning is printed. */
  loopWarningAt: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { initialMs: 1000, maxMs: 30_000, resetAfterMs: 60_000, loopWarningAt: 3 };

/** The number of consecutive crashes after one more exit. Pure. */
export function nextCrashCount(previous: number, ranForMs: number, policy: BackoffPolicy): number {
  return ranForMs >= policy.resetAfterMs ? 1 : previous + 1;
}

/** The delay before restart number `crashes` (1-based). Pure. */
export function backoffDelay(crashes: number, policy: BackoffPolicy): number {
  return Math.min(policy.maxMs, policy.initialMs * 2 ** Math.max(0, crashes - 1));
}
