/**
 * Time as the supervisor sees it: injected so backoff, grace deadlines and "waiting for…"
 * lines can be tested with a virtual clock, without waiting.
 */
export interface Clock {
  now(): number;
  /** A timer that does not keep fbench alive by itself; returns its cancel. */
  setTimer(ms: number, fn: () => void): () => void;
}

export const realClock: Clock = {
  now: () => Date.now(),
  setTimer(ms, fn) {
    const t = setTimeout(fn, ms);
    return () => clearTimeout(t);
  },
};
