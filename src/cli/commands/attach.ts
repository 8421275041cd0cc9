import { createInterface } from 'node:readline';
import { FbenchError } from '../../errors.js';
import { findBench } from '../../frappe/discover.js';
import { resolveNames } from '../../plan/lookup.js';
import { benchSessions, connect } from '../../client/control-client.js';
import { has } from '../../session/control-protocol.js';

/** After the last line typed (Ctrl-D, or the end of piped input), answers get this long of quiet before detaching. */
const SETTLE_MS = 500;
const SETTLE_MAX_MS = 5000;

/** `fbench attach NAME`: a process's output here, and what is typed (or piped) to its stdin. */
export async function attachCommand(name: string, opts: { bench?: string }): Promise<number> {
  const bench = findBench(opts.bench, process.cwd());
  const sessions = await benchSessions(bench);
  const all = sessions.flatMap((s) => s.processes);
  const names = resolveNames(all, [name], { option: 'attach', bench });
  if (names.length !== 1)
    throw new FbenchError(`attach takes one process: "${name}" is ${names.join(', ')}`, `name one of them, e.g. fbench attach ${names[0]}`);
  const target = names[0]!;
  const session = sessions.find((s) => s.processes.some((p) => p.name === target))!;
  let error: string | null = null;
  let ended = false;
  let lastOutput = Date.now();
  let leaving = false;
  const who = `fbench attach (pid ${process.pid}${process.stdin.isTTY ? ' on a terminal' : ''})`;
  const conn = connect(session.socket, { cmd: 'attach', name: target, who }, (m) => {
    if (has(m, 'error')) error = m.error;
    else if (has(m, 'name')) process.stderr.write(`fbench: attached to ${m.name}: what you type goes to it; Ctrl-D or Ctrl-C detaches, leaving it running\n`);
    else if (has(m, 'ended')) ended = true;
    else if (has(m, 'line')) {
      lastOutput = Date.now();
      process.stdout.write(`${m.line}\n`);
    }
  });
  const leave = (): void => {
    leaving = true;
    conn.close();
  };
  process.once('SIGINT', leave);
  const typed = createInterface({ input: process.stdin, crlfDelay: Infinity, terminal: false });
  typed.on('line', (line) => conn.send({ input: `${line}\n` }));
  typed.once('close', () => {
    if (leaving) return;
    void (async () => {
      const end = Date.now() + SETTLE_MAX_MS;
      while (Date.now() - lastOutput < SETTLE_MS && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
      leave();
    })();
  });
  await conn.done;
  const byUs = leaving;
  typed.close();
  if (error) throw new FbenchError(error);
  if (ended || !byUs) throw new FbenchError(`the session has stopped (${target} with it): detached`);
  return 0;
}
