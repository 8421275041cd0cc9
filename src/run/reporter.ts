import type { Printer } from '../output/printer.js';
import { describeExit } from '../runtime/supervised-process.js';
import type { StateEvent, Supervisor, Waiting } from '../runtime/supervisor.js';
import type { ServiceCheck } from './services.js';

export interface ReporterInfo {
  /** Names with a health check, and what kind: gates are "healthy", ports are ":N". */
  checks: ReadonlyMap<string, ServiceCheck>;
  /** How many consecutive crashes make a crash loop worth a warning. */
  loopWarningAt: number;
  /** A start-up task list shows starts and checks until ready: don't say them twice. */
  quietStartup?: boolean;
}

/** A stop that takes longer than this gets a line saying why it waits. */
const SLOW_STOP_MS = 1000;

/** Turns supervisor events into fbench's own `system |` lines. */
export function reportToPrinter(sup: Supervisor, printer: Printer, info: ReporterInfo): void {
  const say = (s: string): void => printer.system(s);
  let ready = false;
  const stopping = new Set<string>();
  sup.on('state', (e: StateEvent) => {
    const check = info.checks.get(e.name);
    if (info.quietStartup && !ready && (e.state === 'running' || e.state === 'healthy')) return;
    switch (e.state) {
      case 'running':
        say(e.adopted ? `${e.name} taken over (pid ${e.pid})` : `${e.name} started (pid ${e.pid})`);
        break;
      case 'healthy':
        if (check?.kind === 'redis') say(`${e.name} healthy: PONG on :${check.port} (${e.elapsedMs} ms after its start)`);
        else if (check?.kind === 'port') say(`${e.name} listening on :${check.port} (${e.elapsedMs} ms after its start)`);
        break;
      case 'backoff': {
        const deps = sup.dependents(e.name);
        say(`${e.name} ${describeExit(e.exit!)}; restarting in ${fmtDelay(e.delayMs!)}${deps.length ? ` (${deps.join(', ')} depend on it)` : ''}`);
        if (e.crashes! >= info.loopWarningAt) {
          const last = sup.process(e.name)?.ring.last(1)[0];
          say(`warning: ${e.name} is crash-looping (${e.crashes} crashes in a row)${last ? `; its last line: ${last}` : ''}`);
        }
        break;
      }
      case 'exited':
        say(`${e.name} ${describeExit(e.exit!)}${e.exit!.code === 0 ? ' (finished; not restarted)' : ''}`);
        break;
      case 'stopping': {
        // A long grace (a Redis saving its data) is worth a line, once the stop has taken a moment.
        if (e.graceMs === undefined || e.graceMs <= 10_000) break;
        const grace = e.graceMs;
        const timer = setTimeout(() => {
          if (stopping.has(e.name)) say(`${e.name} is still stopping (${e.hint ?? 'finishing its work'}); SIGKILL after ${Math.round(grace / 1000)} s`);
        }, SLOW_STOP_MS);
        timer.unref();
        stopping.add(e.name);
        break;
      }
      case 'stopped':
        stopping.delete(e.name);
        say(`${e.name} stopped${e.exit ? ` (${describeExit(e.exit)})` : ''}`);
        break;
      case 'failed':
        // A start-up failure is said by 'startup-failed', with the output that explains it.
        if (ready && e.error) say(`error: ${e.name} ${e.error}`);
        break;
      default:
        if (e.error) say(`warning: ${e.name}: ${e.error}`);
    }
  });
  sup.on('waiting', (left: Waiting[]) => {
    say(`waiting for ${left.map((w) => (w.hint ? `${w.name} (${w.hint})` : w.name)).join(', ')} — Ctrl-C again to kill`);
  });
  sup.on('startup-failed', (name: string, why: string) => {
    say(`error: ${name} ${why}`);
    const lines = sup.process(name)?.ring.last(8) ?? [];
    if (lines.length) say(`its last output:\n${lines.map((l) => `  ${l}`).join('\n')}`);
    say('nothing that depends on it was started; stopping');
  });
  sup.on('ready', (ms: number) => {
    ready = true;
    const gates = [...info.checks].filter(([, c]) => c.kind === 'redis').map(([n]) => n);
    const ports = [...info.checks].filter(([, c]) => c.kind === 'port').map(([n, c]) => `${n} :${c.port}`);
    const parts = [gates.length ? `${gates.join(', ')} healthy` : '', ports.join(', ')].filter(Boolean);
    say(`ready in ${ms} ms${parts.length ? `: ${parts.join('; ')}` : ''}`);
  });
}

function fmtDelay(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`;
}
