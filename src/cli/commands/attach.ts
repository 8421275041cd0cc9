import { createInterface } from 'node:readline';
import { FbenchError } from '../../errors.js';
import { findBench } from '../../frappe/discover.js';
import { connect } from '../../run/control-client.js';
import { sleep } from '../../util/sleep.js';

/** After the last line typed (Ctrl-D, or the end of piped input), answers get this long of quiet before detaching. */
const SETTLE_MS = 500;
const SETTLE_MAX_MS = 5000;

/** `fbench attach NAME`: a process's output here, and what is typed (or piped) to its stdin. */
export async function attachCommand(name: string, opts: { bench?: string }): Promise<number> {
  const bench = findBench(opts.bench, process.cwd());
  let error: string | null = null;
  let lastOutput = Date.now();
  let leaving = false;
  const who = `fbench attach (pid ${process.pid}${process.stdin.isTTY ? ' on a terminal' : ''})`;
  const conn = connect(bench, { cmd: 'attach', name, who }, (m) => {
    if (m.ok === false) error = String(m.error);
    else if (m.ok === true)
      process.stderr.write(`fbench: attached to ${String(m.name)}: what you type goes to it; Ctrl-D or Ctrl-C detaches, leaving it running\n`);
    else if (typeof m.line === 'string') {
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
    void (async () => {
      const end = Date.now() + SETTLE_MAX_MS;
      while (Date.now() - lastOutput < SETTLE_MS && Date.now() < end) await sleep(50);
      leave();
    })();
  });
  await conn.done;
  typed.close();
  if (error) throw new FbenchError(error);
  if (!leaving) throw new FbenchError('fbench start has stopped: detached');
  return 0;
}
