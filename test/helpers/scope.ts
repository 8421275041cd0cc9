import { after } from 'node:test';
import { FbenchRun } from './fbench-run.js';

type RunOptions = ConstructorParameters<typeof FbenchRun>[1];

/**
 * What a test file starts and must end: fbench runs (SIGKILLed if still running) and other
 * clean-ups (temp benches, children), run after the file's tests whatever their outcome.
 * `fbench` starts a run in the scope; `finished` waits for its end and gives its exit and output.
 */
export function testScope(): {
  runs: FbenchRun[];
  cleanups: (() => void)[];
  fbench: (args: string[], opts?: RunOptions) => FbenchRun;
  finished: (args: string[], opts?: RunOptions) => Promise<{ code: number | null; out: string }>;
} {
  const runs: FbenchRun[] = [];
  const cleanups: (() => void)[] = [];
  after(() => {
    for (const r of runs) if (r.child.exitCode === null && r.child.signalCode === null) r.signal('SIGKILL');
    cleanups.forEach((c) => c());
  });
  const fbench = (args: string[], opts?: RunOptions): FbenchRun => {
    const r = new FbenchRun(args, opts);
    runs.push(r);
    return r;
  };
  const finished = async (args: string[], opts?: RunOptions): Promise<{ code: number | null; out: string }> => {
    const r = fbench(args, opts);
    const { code } = await r.exited;
    return { code, out: r.output };
  };
  return { runs, cleanups, fbench, finished };
}
