import { request } from '../run/control-client.js';
import type { ProcessInfo } from '../runtime/control-server.js';
import { fail, ok, type DoctorContext, type Finding } from './types.js';

const G = 'fbench';

/** A running `fbench start` is asked how its processes are: one crash-looping or failed is a ✖. */
export async function checkSession(ctx: Pick<DoctorContext, 'dir' | 'fbenchPid'>): Promise<Finding[]> {
  if (!ctx.fbenchPid) return [ok(G, 'no fbench start is running for this bench')];
  let processes: ProcessInfo[] = [];
  try {
    await request(ctx.dir, { cmd: 'ps' }, (m) => (processes = (m.processes as ProcessInfo[] | undefined) ?? processes), 2000);
  } catch (err) {
    return [
      fail(
        G,
        `fbench start (pid ${ctx.fbenchPid}) is running but does not answer: ${(err as Error).message}`,
        `look at its terminal; stop it with kill ${ctx.fbenchPid} if it hangs`,
      ),
    ];
  }
  const out: Finding[] = [ok(G, `fbench start is running for this bench (pid ${ctx.fbenchPid}); ports it holds are explained as its own`)];
  for (const p of processes) {
    if (p.state !== 'backoff' && p.state !== 'failed') continue;
    const last = p.lastLine ? `; its last line: ${p.lastLine}` : '';
    out.push(
      fail(
        G,
        `${p.name} is ${p.state === 'failed' ? 'failed' : `crash-looping (${p.restarts} restarts)`}${last}`,
        `see why with \`fbench logs ${p.name}\`; fix it, then \`fbench restart ${p.name}\``,
      ),
    );
  }
  if (out.length === 1 && processes.length) out.push(ok(G, `its ${processes.length} processes run (none crash-looping)`));
  return out;
}
