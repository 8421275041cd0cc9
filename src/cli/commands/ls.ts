import { ask } from '../../client/control-client.js';
import { messageWith, type SessionInfo, type SessionRef } from '../../session/control-protocol.js';
import { runningRecords } from '../../session/registry.js';
import { sessionCommand } from '../../session/session-files.js';
import { renderTable } from '../../util/table.js';
import { uptime } from '../../util/units.js';

/** `fbench ls`: every session of this user on this machine, each asked how many of its processes are not ready. */
export async function lsCommand(opts: { json?: boolean }): Promise<number> {
  const records = runningRecords();
  const rows = await Promise.all(
    records.map(async (r) => {
      let info: SessionInfo | null = null;
      try {
        info = messageWith(await ask(r.socket, { cmd: 'info' }, 1500), 'info')?.info ?? null;
      } catch {
        // starting, or stopping: listed with what the registry says
      }
      return {
        session: { kind: r.kind, pid: r.pid } satisfies SessionRef,
        bench: r.bench,
        startedAt: new Date(r.startedAt).toISOString(),
        uptimeMs: Date.now() - r.startedAt,
        ports: r.ports,
        processes: info?.processes ?? null,
        notReady: info?.notReady ?? null,
      };
    }),
  );
  if (opts.json) {
    process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
    return 0;
  }
  if (rows.length === 0) {
    process.stdout.write('no fbench session is running for this user\n');
    return 0;
  }
  const table = rows.map((r) => [
    r.bench,
    String(r.session.pid),
    sessionCommand(r.session.kind),
    uptime(r.uptimeMs),
    r.processes === null ? '?' : String(r.processes),
    r.notReady === null ? '?' : String(r.notReady),
    r.ports.map((p) => `${p.name.replace(/\.1$/, '')} ${p.port}`).join(', '),
  ]);
  process.stdout.write(
    `${renderTable(['BENCH', 'PID', 'SESSION', 'UPTIME', 'PROCESSES', 'NOT READY', 'PORTS'], table, { ...(process.stdout.isTTY ? { width: process.stdout.columns } : {}), shrink: [6, 0] }).join('\n')}\n`,
  );
  return 0;
}
