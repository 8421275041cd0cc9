/** What a program prints for `args` (its version, usually), or the reason it did not run. Bounded by `timeoutMs`. */
export async function programOutput(
  program: string,
  args: readonly string[],
  timeoutMs: number,
): Promise<{ ok: true; stdout: string } | { ok: false; why: string }> {
  // execa only for the doctor: `fbench start` never pays for loading it.
  const { execa } = await import('execa');
  const r = await execa(program, args, { timeout: timeoutMs, reject: false, stdin: 'ignore' });
  if (r.failed) return { ok: false, why: r.timedOut ? `no answer within ${timeoutMs} ms` : (r.code ?? r.shortMessage ?? 'failed') };
  return { ok: true, stdout: r.stdout };
}
