/** How long a test waits for something by default: generous, since a loaded laptop is slow and speed is the benchmark's job. */
export const UNTIL_MS = 30_000;

/**
 * Wait until `get` holds (a truthy value, sync or async) and resolve with it; checked every
 * 25 ms. On time out, an error that says `what`, with the end of `run`'s output when given.
 */
export async function until<T>(get: () => T | Promise<T>, what: string, run?: { output: string } | null, ms = UNTIL_MS): Promise<NonNullable<T>> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await get();
    if (v) return v as NonNullable<T>;
    if (Date.now() > end) throw new Error(`${what}: not within ${ms} ms${run ? `; output:\n${run.output.slice(-3000)}` : ''}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
