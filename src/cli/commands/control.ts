import { timeOfDay } from '../../util/units.js';
import { has, messageWith, type RequestOf, type SessionRef } from '../../session/control-protocol.js';
import { existsSync, mkdirSync } from 'node:fs';
import { CONFIG_MAX_BYTES } from '../../config/read-file.js';
import { readBounded, writeReplacing } from '../../util/safe-file.js';
import path from 'node:path';
import { FbenchError } from '../../errors.js';
import { launchConfig } from '../../frappe/debug-command.js';
import { findBench } from '../../frappe/discover.js';
import { colorFor, paint, SYSTEM_COLOR, useColor } from '../../output/colors.js';
import { SYSTEM } from '../../output/printer.js';
import { act, ask, benchSessions, bySession, connect, restartWords, type ActOutcome, type SessionAnswer } from '../../client/control-client.js';
import type { LogLine, ProcessInfo } from '../../session/control-protocol.js';
import { logLineJson, logsRequest, logTargets, recentLogs } from '../../client/log-query.js';
import { runningSessions, sessionCommand } from '../../session/session-files.js';
import { pidAlive } from '../../runtime/process-group.js';
import { resolveNames } from '../../plan/lookup.js';
import { processTable } from '../../util/process-table.js';
import { renderTable } from '../../util/table.js';
import { megabytes, percent, uptime } from '../../util/units.js';

interface Opts {
  bench?: string;
}

const what = (s: SessionAnswer): string => `${sessionCommand(s.kind)}, pid ${s.pid}`;

/**
 * Ask a session to restart or stop processes, printing what it waits for as it says it (a job
 * to finish). Ctrl-C stops waiting, not the work: the bench goes on, and how to cut it short is
 * said. Resolves how it ended, or null when the user stopped waiting.
 */
async function actWaiting(session: SessionAnswer, req: RequestOf<'restart'> | RequestOf<'stop'>): Promise<ActOutcome | null> {
  const asked = act(session.socket, req, (said) => process.stdout.write(`${said} (${what(session)})\n`));
  const onInt = (): void => {
    process.stderr.write(
      `fbench: not waiting any more; the bench goes on with the ${req.cmd} of ${req.names.join(', ')} → to cut a job short (it is lost): \`fbench ${req.cmd} ${req.names.join(' ')} --grace 0\`\n`,
    );
    asked.leave();
  };
  process.once('SIGINT', onInt);
  try {
    return await asked.done;
  } finally {
    process.off('SIGINT', onInt);
  }
}

/** The table of `fbench ps`, fitted to `width` (the readiness column is cut first). Pure. */
export function psTable(processes: readonly ProcessInfo[], width?: number): string[] {
  const rows = processes.map((p) => [
    p.name,
    p.state,
    p.pid === null ? '-' : String(p.pid),
    p.uptimeMs === null ? '-' : uptime(p.uptimeMs),
    String(p.restarts),
    p.port === null ? '' : String(p.port),
    percent(p.cpuPercent),
    megabytes(p.rssBytes),
    p.atPrompt ? `${p.readiness} (at a debugger prompt)` : p.readiness,
  ]);
  // Narrow, the figures go before the readiness is cut: it says what each process is doing.
  return renderTable(['NAME', 'STATE', 'PID', 'UPTIME', 'RESTARTS', 'PORT', 'CPU', 'RSS', 'READY'], rows, {
    ...(width ? { width } : {}),
    drop: [6, 7, 3, 4, 5], // the port is in the readiness too (listening on :8000)
    shrink: [8],
    minWidth: 12,
  });
}

export async function psCommand(names: string[], opts: Opts & { json?: boolean }): Promise<number> {
  const bench = findBench(opts.bench, process.cwd());
  if (opts.json && runningSessions(bench).length === 0) {
    process.stdout.write('[]\n'); // nothing runs: no processes, still JSON
    return 0;
  }
  const sessions = await benchSessions(bench);
  const chosen = names.length
    ? new Set(
        resolveNames(
          sessions.flatMap((s) => s.processes),
          names,
          { option: 'ps', bench },
        ),
      )
    : null;
  const keep = (p: ProcessInfo): boolean => !chosen || chosen.has(p.name);
  if (opts.json) {
    const out = sessions.flatMap((s) => s.processes.filter(keep).map((p) => ({ ...p, session: { kind: s.kind, pid: s.pid } satisfies SessionRef })));
    process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
    return 0;
  }
  const width = process.stdout.isTTY ? process.stdout.columns : undefined;
  const lines = sessions.flatMap((s) => [...(sessions.length > 1 ? [`${what(s)}:`] : []), ...psTable(s.processes.filter(keep), width)]);
  process.stdout.write(`${lines.join('\n')}\n`);
  return 0;
}

export async function restartCommand(names: string[], opts: Opts & { grace?: number; wait?: boolean }): Promise<number> {
  const bench = findBench(opts.bench, process.cwd());
  const sessions = await benchSessions(bench);
  let failed = false;
  for (const { session, names: mine } of bySession(sessions, names, 'restart', bench)) {
    const got = await actWaiting(session, {
      cmd: 'restart',
      names: mine,
      ...(opts.grace !== undefined ? { graceSeconds: opts.grace } : {}),
      ...(opts.wait ? { wait: true } : {}),
    });
    if (got === null) return 130;
    for (const r of got.results) {
      if (r.ok) process.stdout.write(`${restartWords(r)} (${what(session)})\n`);
      else {
        failed = true;
        process.stderr.write(`fbench: ${restartWords(r)} → see \`fbench logs ${r.name}\`\n`);
      }
    }
  }
  return failed ? 1 : 0;
}

/** How long `fbench stop` waits for a session's process to be gone once it says it has ended. */
const GONE_WAIT_MS = 5000;

export async function stopCommand(names: string[], opts: Opts & { wait: boolean; grace?: number; force?: boolean }): Promise<number> {
  const bench = findBench(opts.bench, process.cwd());
  // Nothing running is what a stop wants: said, and not an error (`fbench stop; fbench start` in a script).
  if (names.length === 0 && runningSessions(bench).length === 0) {
    process.stdout.write(`nothing to stop: no fbench session is running for ${bench}\n`);
    return 0;
  }
  const sessions = await benchSessions(bench);
  if (names.length > 0) {
    for (const { session, names: mine } of bySession(sessions, names, 'stop', bench)) {
      const got = await actWaiting(session, {
        cmd: 'stop',
        names: mine,
        ...(opts.grace !== undefined ? { graceSeconds: opts.grace } : {}),
        ...(opts.force ? { force: true } : {}),
      });
      if (got === null) return 130;
      process.stdout.write(`stopped ${got.stopped.join(', ')} (${what(session)})\n`);
    }
    return 0;
  }
  // The whole bench: every session, waited for until its process is gone (so `fbench stop; fbench start` works).
  await Promise.all(
    sessions.map(async (s) => {
      let ended: number | null = null;
      let lastSaid = '';
      let error: string | null = null;
      const conn = connect(s.socket, { cmd: 'stop', names: [] }, (m) => {
        if (has(m, 'error')) error = m.error;
        if (has(m, 'stopping')) process.stdout.write(`stopping ${what(s)}${opts.wait ? '' : ' (not waiting for it)'}\n`);
        if (has(m, 'say')) {
          const said = `${m.say} (${what(s)})`;
          if (said !== lastSaid) process.stdout.write(`${said}\n`);
          lastSaid = said;
        }
        if (has(m, 'ended')) ended = m.ended;
        if (!opts.wait && has(m, 'stopping')) conn.close();
      });
      // Ctrl-C here stops waiting, not the stop: the bench goes on stopping.
      let left = false;
      const onInt = (): void => {
        left = true;
        process.stderr.write(
          `fbench: not waiting any more; ${what(s)} goes on stopping (a job finishes first) → to cut a job short (it is lost): \`fbench stop NAME --grace 0\` for the process named above\n`,
        );
        conn.close();
      };
      process.once('SIGINT', onInt);
      await conn.done.finally(() => process.off('SIGINT', onInt));
      if (left) process.exitCode = 130;
      if (error) throw new FbenchError(error);
      if (!opts.wait || left) return;
      const deadline = Date.now() + GONE_WAIT_MS;
      while (pidAlive(s.pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      process.stdout.write(`${sessionCommand(s.kind)} (pid ${s.pid}) stopped${ended !== null ? ` (exit ${ended})` : ''}\n`);
    }),
  );
  return 0;
}

/** A log line as `fbench logs` prints it: its time, its name padded, in colour on a terminal. Pure. */
export function formatLogLine(l: LogLine, width: number, color: number | null): string {
  const prefix = `${timeOfDay(l.time)} ${l.name.padEnd(width)} |`;
  return `${color === null ? prefix : paint(prefix, color)} ${l.text}`;
}

export interface LogsOptions extends Opts {
  follow?: boolean;
  lines: number;
  since?: number;
  /** `--around 10:44:23`: the lines of the half minute on either side of that moment (ms since the epoch). */
  around?: number;
  grep?: string;
  color?: boolean;
  json?: boolean;
}

/** What --around shows on either side of its moment. */
const AROUND_MS = 30_000;

export async function logsCommand(names: string[], opts: LogsOptions): Promise<number> {
  const bench = findBench(opts.bench, process.cwd());
  const grep = opts.grep !== undefined ? checkRegex(opts.grep) : undefined;
  if (opts.around !== undefined && (opts.since !== undefined || opts.follow))
    throw new FbenchError(`--around goes alone: not with ${opts.follow ? '-f' : '--since'}`, 'fbench logs web.1 --around 10:44:23');
  const since = opts.around !== undefined ? opts.around - AROUND_MS : opts.since !== undefined ? Date.now() - opts.since * 1000 : undefined;
  const until = opts.around !== undefined ? opts.around + AROUND_MS : Infinity;
  const tty = useColor(process.stdout.isTTY === true, process.env, opts.color);
  const colors = new Map<string, number>();
  const colorOf = (n: string): number | null => (tty ? (n === SYSTEM ? SYSTEM_COLOR : (colors.get(n) ?? colors.set(n, colorFor(colors.size)).get(n)!)) : null);
  let stopped = false;
  process.stdout.on('error', () => (stopped = true)); // `| head`: the reader has what it wanted
  const print = (l: LogLine, width: number): void => {
    if (stopped) return;
    process.stdout.write(opts.json ? `${JSON.stringify(logLineJson(l))}\n` : `${formatLogLine(l, width, colorOf(l.name))}\n`);
  };
  // The pattern is matched here, never in the session: a pattern that backtracks for minutes
  // stalls this command (Ctrl-C ends it), not the supervisor.
  const re = grep !== undefined ? new RegExp(grep) : null;
  const query = {
    n: opts.around !== undefined ? 100_000 : opts.lines,
    ...(since !== undefined ? { since } : {}),
    ...(re ? { match: (t: string) => re.test(t) } : {}),
  };

  if (!opts.follow) {
    const { lines, from } = await recentLogs(bench, names, query);
    if (from !== 'session') process.stderr.write(`fbench: no session is running; from ${path.relative(process.cwd(), from) || from}:\n`);
    const width = Math.max(from === 'session' ? SYSTEM.length : 0, ...lines.map((l) => l.name.length));
    for (const l of lines) if (l.time <= until) print(l, width);
    return 0;
  }
  const { targets, wantSystem } = logTargets(await benchSessions(bench), names, bench);
  const width = Math.max(SYSTEM.length, ...targets.flatMap((t) => t.names.map((n) => n.length)));
  let error: string | null = null;
  const conns: { close: () => void }[] = [];
  const reading = readerWatch(() => {
    stopped = true;
    for (const c of conns) c.close();
  });
  await Promise.all(
    targets.map(async (t) => {
      const conn = connect(t.session.socket, logsRequest(t, wantSystem, { ...query, follow: true }), (m) => {
        if (has(m, 'error')) error = m.error;
        if (has(m, 'line') && (!re || re.test(m.line.text))) print(m.line, width);
        if (has(m, 'skipped')) print({ time: Date.now(), seq: 0, name: SYSTEM, text: `… ${m.skipped} lines skipped (the reader was not keeping up)` }, width);
        if (stopped) conn.close();
      });
      conns.push(conn);
      await conn.done;
    }),
  );
  reading.close();
  if (error) throw new FbenchError(error);
  if (stopped) return 0;
  // A follow ends only when the session does.
  throw new FbenchError('the session has stopped: nothing more to follow');
}

/** How often a follow into a pipe looks whether its reader is still there. */
const READER_CHECK_MS = 1000;

/**
 * `fbench logs -f | head`: once head has what it wanted, the follow ends at once, not at the
 * next line written (which may be minutes away). Where the reader cannot be told, nothing.
 */
function readerWatch(gone: () => void): { close: () => void } {
  const readers = processTable.pipeReaders(1);
  if (!readers || readers.length === 0) return { close: () => {} };
  const t = setInterval(() => {
    if (processTable.pipeReaders(1, readers)?.length === 0) {
      clearInterval(t);
      gone();
    }
  }, READER_CHECK_MS);
  return { close: () => clearInterval(t) };
}

function checkRegex(re: string): string {
  try {
    new RegExp(re);
    return re;
  } catch (err) {
    throw new FbenchError(`--grep: ${JSON.stringify(re)} is not a regular expression (${(err as Error).message})`, 'for example --grep "Traceback|Error"');
  }
}

/** `fbench debug NAME`: restart one Python process under debugpy, and say how to attach VS Code. */
export async function debugCommand(name: string, opts: Opts & { wait?: boolean; off?: boolean; write?: boolean }): Promise<number> {
  const bench = findBench(opts.bench, process.cwd());
  const sessions = await benchSessions(bench);
  const targets = bySession(sessions, [name], 'debug', bench);
  const target = targets[0];
  if (!target || targets.length > 1 || target.names.length > 1)
    throw new FbenchError(
      `debug takes one process; "${name}" names ${targets.flatMap((t) => t.names).join(', ') || 'none'}`,
      'name one: fbench debug worker.1',
    );
  const got = await ask(target.session.socket, { cmd: 'debug', names: target.names, wait: opts.wait === true, off: opts.off === true });
  const answer = messageWith(got, 'port');
  if (!answer) throw new FbenchError('the session did not answer the debug request');
  if (answer.port === null) {
    process.stdout.write(`${answer.name} runs without the debugger again (${what(target.session)})\n`);
    return 0;
  }
  const config = launchConfig(answer.name, bench, answer.port);
  process.stdout.write(`${answer.name} runs under debugpy, listening on 127.0.0.1:${answer.port} (${what(target.session)})\n`);
  if (opts.write) {
    const file = writeLaunchConfig(bench, config);
    process.stdout.write(`wrote "${String(config.name)}" into ${path.relative(process.cwd(), file) || file}: attach from VS Code's Run and Debug\n`);
  } else process.stdout.write(`VS Code: this attach configuration in .vscode/launch.json (or run with --write):\n${JSON.stringify(config, null, 2)}\n`);
  return 0;
}

/** Add (or replace, by name) a configuration in the bench's .vscode/launch.json, keeping the others; a file that is not plain JSON is left alone. */
function writeLaunchConfig(bench: string, config: Record<string, unknown>): string {
  const file = path.join(bench, '.vscode', 'launch.json');
  let doc: { version?: string; configurations?: Record<string, unknown>[] } = { version: '0.2.0', configurations: [] };
  if (existsSync(file)) {
    try {
      doc = JSON.parse(readBounded(file, { maxBytes: CONFIG_MAX_BYTES }).toString('utf8')) as typeof doc;
    } catch {
      throw new FbenchError(`${file} is not a plain JSON file (comments?)`, 'add the configuration that `fbench debug NAME` prints by hand');
    }
  }
  const rest = (doc.configurations ?? []).filter((c) => c.name !== config.name);
  mkdirSync(path.dirname(file), { recursive: true });
  writeReplacing(file, `${JSON.stringify({ version: doc.version ?? '0.2.0', ...doc, configurations: [...rest, config] }, null, 2)}\n`, 0o644);
  return file;
}
