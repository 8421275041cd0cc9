import { Listr } from 'listr2';
import type { Printer } from '../output/printer.js';
import type { StateEvent, Supervisor } from '../runtime/supervisor.js';
import type { ServiceCheck } from './services.js';

type Checks = ReadonlyMap<string, ServiceCheck>;

/** What the task list listens to (a Supervisor). */
export type StartupEvents = Pick<Supervisor, 'on' | 'off' | 'once' | 'done'>;

/**
 * On a terminal: a listr2 task list of the start-up (waiting → starting → healthy/ready with
 * the time each took), holding the log stream back until it is done, then handing over.
 * Call before the supervisor starts; resolves when start-up has succeeded or failed.
 */
export async function showStartupTasks(
  sup: StartupEvents,
  printer: Printer,
  names: readonly string[],
  checks: Checks,
  renderer: 'default' | 'silent' = 'default',
): Promise<void> {
  printer.hold();
  const t0 = Date.now();
  const latest = new Map<string, StateEvent>();
  const listeners = new Map<string, (e: StateEvent) => void>();
  const onState = (e: StateEvent): void => {
    latest.set(e.name, e);
    listeners.get(e.name)?.(e);
  };
  sup.on('state', onState);
  let failed = false;
  const settled = new Promise<void>((resolve) => {
    sup.once('ready', () => resolve());
    const giveUp = (): void => {
      failed = true;
      for (const l of listeners.values()) l({ name: '', state: 'stopped' });
      resolve();
    };
    sup.once('startup-failed', giveUp);
    void sup.done.then(giveUp); // stopped (Ctrl-C) before it was ready
  });

  const list = new Listr(
    names.map((name) => ({
      title: `${name}: waiting`,
      task: (_ctx: unknown, task: { title: string }) =>
        new Promise<void>((resolve, reject) => {
          const apply = (e: StateEvent): void => {
            const check = checks.get(name);
            if (failed && e.name === '') return resolve(); // start-up failed elsewhere: stop waiting
            if (e.state === 'running') task.title = `${name}: starting (pid ${e.pid})`;
            else if (e.state === 'healthy') {
              const what = check?.kind === 'redis' ? 'healthy (PONG)' : check?.kind === 'port' ? `listening on :${check.port}` : 'started';
              task.title = `${name}: ${what} after ${Date.now() - t0} ms`;
              resolve();
            } else if (e.state === 'failed' || e.error) reject(new Error(`${name}: ${e.error ?? 'failed'}`));
          };
          if (failed) return resolve(); // start-up already failed before this task ran
          listeners.set(name, apply);
          const seen = latest.get(name);
          if (seen) apply(seen);
        }),
    })),
    { concurrent: true, exitOnError: false, renderer, rendererOptions: { collapseErrors: false } },
  );
  await Promise.all([list.run().catch(() => {}), settled]);
  sup.off('state', onState);
  printer.release();
}
