import { findBench } from '../../frappe/discover.js';
import { FbenchError } from '../../errors.js';
import type { ProcessInfo } from '../../runtime/control-server.js';
import { request } from '../../run/control-client.js';

interface Opts {
  bench?: string;
}

/** Send a request and fail on an {ok:false} answer. */
async function ask(opts: Opts, req: Parameters<typeof request>[1], onMessage: (m: Record<string, unknown>) => void = () => {}): Promise<void> {
  const bench = findBench(opts.bench, process.cwd());
  let error: string | null = null;
  await request(bench, req, (m) => {
    if (m.ok === false) error = String(m.error);
    else onMessage(m);
  });
  if (error) throw new FbenchError(error);
}

export async function psCommand(opts: Opts & { json?: boolean }): Promise<number> {
  let processes: ProcessInfo[] = [];
  await ask(opts, { cmd: 'ps' }, (m) => (processes = m.processes as ProcessInfo[]));
  if (opts.json) {
    process.stdout.write(`${JSON.stringify(processes, null, 2)}\n`);
    return 0;
  }
  const rows = processes.map((p) => [
    p.name,
    p.state,
    p.pid === null ? '-' : String(p.pid),
    p.uptimeMs === null ? '-' : uptime(p.uptimeMs),
    String(p.restarts),
    p.port === null ? '' : String(p.port),
    p.health,
  ]);
  const head = ['NAME', 'STATE', 'PID', 'UPTIME', 'RESTARTS', 'PORT', 'HEALTH'];
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  process.stdout.write(
    [head, ...rows]
      .map((r) =>
        r
          .map((c, i) => c.padEnd(w[i]!))
          .join('  ')
          .trimEnd(),
      )
      .join('\n') + '\n',
  );
  return 0;
}

export async function restartCommand(names: string[], opts: Opts): Promise<number> {
  await ask(opts, { cmd: 'restart', names }, (m) => process.stdout.write(`restarted ${(m.names as string[]).join(', ')}\n`));
  return 0;
}

export async function stopCommand(names: string[], opts: Opts): Promise<number> {
  await ask(opts, { cmd: 'stop', names }, (m) =>
    process.stdout.write(names.length ? `stopped ${(m.names as string[]).join(', ')}\n` : 'stopping the session\n'),
  );
  return 0;
}

export async function logsCommand(names: string[], opts: Opts & { follow?: boolean; lines: number }): Promise<number> {
  await ask(opts, { cmd: 'logs', names, n: opts.lines, follow: opts.follow === true }, (m) => process.stdout.write(`${String(m.line)}\n`));
  // A follow ends only when the session does.
  if (opts.follow) throw new FbenchError('fbench start has stopped: nothing more to follow');
  return 0;
}

function uptime(ms: number): string {
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${s % 60}s`;
  return `${Math.floor(s / 3600)}h${Math.floor((s % 3600) / 60)}m`;
}
