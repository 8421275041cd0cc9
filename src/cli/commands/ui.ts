import { findBench } from '../../frappe/discover.js';
import { runningSessions } from '../../session/session-files.js';
import { FbenchError } from '../../errors.js';
import { loadView } from '../load-view.js';

/** `fbench ui`: the full-screen view of every session running for the bench; leaving it leaves them running. */
export async function uiCommand(opts: { bench?: string }): Promise<number> {
  if (!process.stdout.isTTY || !process.stdin.isTTY)
    throw new FbenchError(
      'fbench ui needs a terminal (stdin and stdout), and this is not one',
      'run it in a terminal, or use `fbench ps` and `fbench logs -f`',
    );
  const bench = findBench(opts.bench, process.cwd());
  const sessions = runningSessions(bench);
  if (sessions.length === 0)
    throw new FbenchError(`no fbench session is running for ${bench}`, 'start one with `fbench start` (or `fbench start --ui` for the view at once)');
  const runView = await loadView();
  await runView({ sockets: sessions.map((s) => s.socket), own: false });
  return 0;
}
