import { after } from 'node:test';
import type { FbenchRun } from './fbench-run.js';

/**
 * What a test file starts and must end: fbench runs (SIGKILLed if still running) and other
 * clean-ups (temp benches, children), run after the file's tests whatever their outcome.
 */
export function testScope(): { runs: FbenchRun[]; cleanups: (() => void)[] } {
  const scope = { runs: [] as FbenchRun[], cleanups: [] as (() => void)[] };
  after(() => {
    for (const r of scope.runs) if (r.child.exitCode === null && r.child.signalCode === null) r.signal('SIGKILL');
    scope.cleanups.forEach((c) => c());
  });
  return scope;
}
