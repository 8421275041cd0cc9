/**
 * Time as fbench's long-lived parts see it (supervisor, relay, processes, reporter,
 * debounce): injected so backoff, grace deadlines, partial lines and "waiting for…" lines
 * are tested in virtual time, without waiting.
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
    t.unref();
    return () => clearTimeout(t);
  },
};

/** Resolve after `ms` on `clock`; reject with the signal's reason when it aborts first. */
export function delay(clock: Clock, ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason as Error);
    const onAbort = (): void => {
      cancel();
      reject(signal!.reason as Error);
    };
    const cancel = clock.setTimer(ms, () => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    });
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
