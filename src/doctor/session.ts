import { ask } from '../client/control-client.js';
import { messageWith, type ProcessInfo } from '../session/control-protocol.js';
import { runningSessions, sessionCommand } from '../session/session-files.js';
import { fail, ok, type Finding } from './types.js';

const G = 'fbench';

/** The sessions running for this bench are asked how their processes are: one crash-looping or failed is a ✖. */
export async function checkSession(dir: string): Promise<Finding[]> {
  const sessions = runningSessions(dir);
  if (sessions.length === 0) return [ok(G, 'no fbench session is running for this bench')];
  const out: Finding[] = [];
  for (const s of sessions) {
    const what = `${sessionCommand(s.kind)} (pid ${s.pid})`;
    let processes: ProcessInfo[] = [];
    try {
      processes = messageWith(await ask(s.socket, { cmd: 'ps' }, 2000), 'processes')?.processes ?? [];
    } catch (err) {
      out.push(
        fail(
          G,
          `${what} is running but does not answer: ${(err as Error).message}`,
          `look at its terminal; stop it with \`fbench stop\` (or kill ${s.pid}) if it hangs`,
        ),
      );
      continue;
    }
    out.push(ok(G, `${what} is running for this bench; the ports it holds are explained as its own`));
    const trouble = processes.filter((p) => p.state === 'backoff' || p.state === 'failed');
    for (const p of trouble) {
      const last = p.lastLine ? `; its last line: ${p.lastLine}` : '';
      out.push(
        fail(
          G,
          `${p.name} is ${p.state === 'failed' ? `failed (${p.readiness})` : `crash-looping (${p.crashes} crash${p.crashes === 1 ? '' : 'es'} in a row)`}${last}`,
          `see why with \`fbench logs ${p.name}\`; fix it, then \`fbench restart ${p.name}\``,
        ),
      );
    }
    if (trouble.length === 0 && processes.length) out.push(ok(G, `its ${processes.length} processes run (none crash-looping)`));
  }
  return out;
}
