import {
  readRequest,
  type ControlCommand,
  type ControlMessage,
  type ControlRequests,
  type ErrorsReport,
  type LogLine,
  type ProcessInfo,
  type RestartResult,
  type SessionInfo,
  type Told,
} from './control-protocol.js';
import type { FailedJobDetail } from '../frappe/rq-jobs.js';
import type { QueueStats } from '../frappe/rq.js';
import { pingRedis } from '../health/redis-ping.js';
import type { Printer } from '../output/printer.js';
import { resolveNames } from '../plan/lookup.js';
import type { Plan } from '../plan/types.js';
import { DEFAULT_BACKOFF } from '../runtime/backoff.js';
import { ControlServer, type Channel, type ControlHandler } from '../runtime/control-server.js';
import { mergeKept, type LogRing } from '../runtime/log-ring.js';
import type { ServiceStatus, StartOutcome, StateEvent, Supervisor, Waiting, WorkReport } from '../runtime/supervisor.js';
import { SYSTEM } from '../output/printer.js';
import type { Clock } from '../util/clock.js';
import type { PromptTracker } from './debug-input.js';
import type { SessionKind } from './session-files.js';
import { handoverWords, killWords, lastWords, waitingWords } from './reporter.js';
import type { UsageSampler } from './usage.js';

/** Answers one request of the contract, in its form, on a channel that takes only its messages. */
type Handler<C extends ControlCommand> = (req: ControlRequests[C], ch: Channel<ControlMessage<C>>) => void | 'keep' | Promise<void | 'keep'>;

/** `fbench ps` waits this long for each Redis's PONG. */
const PS_PING_TIMEOUT_MS = 700;
/** Lines of recent output an attach starts with. */
const ATTACH_BACKLOG = 20;

/** What the control socket needs of its session. */
export interface ControlledSession {
  readonly kind: SessionKind;
  readonly startedAt: number;
  readonly clock: Clock;
  readonly printer: Printer;
  readonly systemRing: LogRing;
  plan(): Plan;
  /** Null while the session is still starting (before anything runs). */
  supervisor(): Supervisor | null;
  prompts(): PromptTracker | null;
  readonly usage: UsageSampler;
  ports(): { name: string; port: number }[];
  queueStats(): Promise<QueueStats[]>;
  /** The pids RQ lists as workers on this host now, or null when the queue Redis does not answer. */
  registeredPids(): Promise<Set<number> | null>;
  /** The newest failed job with its traceback, or null when none failed. */
  latestFailedJob(): Promise<FailedJobDetail | null>;
  /** What went wrong while it ran, with RQ's failed jobs: every entry, newest first. */
  errors(): Promise<ErrorsReport>;
  /** Stop the whole session, as Ctrl-C does; `why` is said. */
  stop(why: string): void;
  /** Restart one process under debugpy (or, `off`, as the plan runs it): where the debugger listens. */
  debug(name: string, o: { wait: boolean; off: boolean }): Promise<{ port: number | null }>;
  /** The port of the debugger a process runs under, or null. */
  debugPort(name: string): number | null;
  /** Ends when the session has ended (its exit code). */
  readonly ended: Promise<number>;
}

/** How a process is ready, or why not, in a few words. */
export function readinessWords(s: ServiceStatus, now: number): string {
  switch (s.state) {
    case 'ready':
      return s.readiness ?? 'ready';
    case 'running':
      return s.why ? `starting (${s.why})` : 'starting';
    case 'backoff':
      return s.retryAt !== null ? `backoff ${Math.max(0, Math.ceil((s.retryAt - now) / 1000))} s` : 'backoff';
    case 'exited':
      return s.why ?? 'exited';
    case 'failed':
      return `failed: ${s.why ?? '?'}`;
    case 'waiting':
      return s.why ? `waiting (${s.why})` : 'waiting';
    case 'stopping':
    case 'stopped':
      return s.state;
  }
}

/**
 * What the session answers on its control socket (the socket itself is the runtime's
 * ControlServer): ps, restart, stop, logs, attach, queues, failed-job, debug and info for
 * `fbench ps/restart/stop/logs/attach/ui/ls/mcp`, from the moment the session holds its pid file.
 */
export class SessionControl {
  private server: ControlServer;
  /** Who is attached to which process: one client each. */
  private attached = new Map<string, string>();
  /** `fbench stop` clients waiting for the end. */
  private waiters = new Set<Channel<ControlMessage<'stop'>>>();

  constructor(
    at: { socket: string; pointer: string },
    private readonly s: ControlledSession,
  ) {
    // Every request of the contract (ControlRequests) has its handler here, typed from it: the compiler says when one is missing.
    const handlers: { [C in ControlCommand]: Handler<C> } = {
      ps: async (_req, ch) => ch.send({ ok: true, processes: await this.ps() }),
      info: (_req, ch) => ch.send({ ok: true, info: this.info() }),
      queues: async (_req, ch) => ch.send({ ok: true, queues: await this.s.queueStats() }),
      'failed-job': async (_req, ch) => ch.send({ ok: true, job: await this.s.latestFailedJob() }),
      errors: async (_req, ch) => ch.send({ ok: true, ...(await this.s.errors()) }),
      restart: (req, ch) => this.restart(req, ch),
      stop: (req, ch) => this.stop(req, ch),
      logs: (req, ch) => this.logs(req, ch),
      attach: (req, ch) => this.attach(req, ch),
      debug: async (req, ch) => {
        const [name] = this.resolve(req.names, 'debug');
        if (!name || this.resolve(req.names, 'debug').length > 1)
          throw Object.assign(new Error('debug takes one process'), { hint: 'name one: fbench debug worker.1' });
        ch.send({ ok: true, name, ...(await this.s.debug(name, { wait: req.wait, off: req.off })) });
      },
    };
    // What comes over the socket is another program's: each request is read into its contract's form first.
    const raw =
      (c: ControlCommand): ControlHandler =>
      (req, ch) =>
        (handlers[c] as Handler<ControlCommand>)(readRequest[c](req), ch);
    this.server = new ControlServer(at, Object.fromEntries((Object.keys(handlers) as ControlCommand[]).map((c) => [c, raw(c)])));
  }

  start(): void {
    this.server.start();
  }

  /** The session has ended: every `fbench stop` waiting is told, then the socket goes. */
  close(code: number): void {
    for (const ch of this.waiters) {
      ch.send({ ended: code });
      ch.end();
    }
    this.waiters.clear();
    this.server.close();
  }

  private sup(): Supervisor {
    const sup = this.s.supervisor();
    if (!sup) throw new Error('the session is still starting: try again in a moment');
    return sup;
  }

  private resolve(names: readonly string[], option: string): string[] {
    const plan = this.s.plan();
    return resolveNames(plan.processes, names, { option, bench: plan.bench });
  }

  private info(): SessionInfo {
    const status = this.s.supervisor()?.status() ?? [];
    return {
      kind: this.s.kind,
      pid: process.pid,
      bench: this.s.plan().bench,
      startedAt: this.s.startedAt,
      ports: this.s.ports(),
      processes: this.s.plan().processes.length,
      // A process that finished (exit 0, as a watch that built once) is done, not "not ready".
      notReady: this.s.plan().processes.filter((p) => !['ready', 'exited'].includes(status.find((x) => x.name === p.name)?.state ?? '')).length,
    };
  }

  // Readiness is asked now for a Redis, not remembered: one that stopped answering (SIGSTOP) shows at once.
  private async ps(): Promise<ProcessInfo[]> {
    const sup = this.s.supervisor();
    const plan = this.s.plan();
    const status = sup?.status() ?? [];
    const usage = await this.s.usage.sample(status.filter((x) => x.pid !== null).map((x) => x.name));
    // A worker's registration is read now, as a Redis's PONG is: a queue Redis restarted empty has forgotten it.
    const readyWorkers = status.filter((st) => st.state === 'ready' && plan.processes.find((p) => p.name === st.name)?.role === 'worker');
    const registered = readyWorkers.length ? await this.s.registeredPids() : null;
    const now = this.s.clock.now();
    const rows = await Promise.all(
      status.map(async (st): Promise<ProcessInfo> => {
        const p = plan.processes.find((x) => x.name === st.name);
        const x = plan.externals.find((e) => e.name === st.name);
        const debugged = this.s.debugPort(st.name);
        let readiness = `${readinessWords(st, now)}${debugged ? ` · debugpy :${debugged}` : ''}`;
        let ready = st.state === 'ready';
        const check = p?.health?.kind === 'redis' ? p.health : x?.health;
        if (check && ready) {
          const r = await pingRedis(check, PS_PING_TIMEOUT_MS);
          if (!r.ok) [readiness, ready] = [r.message, false];
        }
        if (ready && registered && readyWorkers.includes(st) && !(sup?.process(st.name)?.members() ?? []).some((pid) => registered.has(pid)))
          [readiness, ready] = ['not in rq:workers now (its queue Redis restarted and forgot it?)', false];
        const u = usage.get(st.name);
        return {
          name: st.name,
          type: p?.type ?? st.name,
          role: p?.role ?? 'redis',
          state: st.state,
          ready,
          readiness,
          pid: st.pid,
          uptimeMs: st.startedAt ? now - st.startedAt : null,
          restarts: st.restarts,
          crashes: st.crashes,
          crashLooping: st.crashes >= DEFAULT_BACKOFF.loopWarningAt,
          port: p?.port ?? x?.health.port ?? null,
          cpuPercent: u?.cpuPercent ?? null,
          rssBytes: u?.rssBytes ?? null,
          atPrompt: this.s.prompts()?.atPrompt(st.name) ?? false,
          debugPort: debugged,
          lastLine: sup?.process(st.name)?.ring.last(1)[0] ?? null,
          logFiles: p?.logFiles ?? [],
        };
      }),
    );
    // An old process finishing its job after a handover: a row of its own under the new one.
    return rows.flatMap((row) => {
      const old = status.find((st) => st.name === row.name)?.retiring ?? [];
      return [
        row,
        ...old.map((r) => ({
          ...row,
          name: `${row.name} (old code)`,
          state: 'stopping' as const,
          ready: false,
          readiness: `old code, ${(r.doing.at?.(now) ?? r.doing.waitingFor).replace(/^finish\b/, 'finishing')}`,
          pid: r.pid,
          uptimeMs: now - r.since,
          cpuPercent: null,
          rssBytes: null,
          atPrompt: false,
          retiring: true,
        })),
      ];
    });
  }

  private async restart(req: ControlRequests['restart'], ch: Channel<ControlMessage<'restart'>>): Promise<void> {
    const sup = this.sup();
    const names = this.resolve(req.names, 'restart');
    const graceMs = req.graceSeconds !== undefined ? req.graceSeconds * 1000 : undefined;
    this.s.printer.system(`restart of ${names.join(', ')} requested (fbench restart)`);
    const wait = req.wait === true;
    const outcomes: StartOutcome[] = await this.tellingWaits(ch, names, Promise.all(names.map((n) => sup.restartService(n, graceMs, { wait }))));
    ch.send({
      ok: true,
      results: names.map((name, i): RestartResult => {
        const o = outcomes[i]!;
        return o.ok ? { name, ok: true, readiness: o.readiness } : { name, ok: false, why: o.why, said: lastWords(sup, this.s.plan(), name) };
      }),
    });
  }

  /**
   * While `work` runs, the client hears what its processes' stop waits for (a job to finish) and
   * a kill with what it lost, as the session's own terminal does; a client that leaves (Ctrl-C)
   * leaves the stop going.
   */
  private async tellingWaits<T>(ch: Channel<Told>, names: readonly string[], work: Promise<T>): Promise<T> {
    const sup = this.sup();
    const onWaiting = (left: Waiting[]): void => {
      const mine = left.filter((w) => names.includes(w.name));
      if (mine.length) ch.send({ waiting: mine.map((w) => w.name), say: `waiting for ${waitingWords(mine)}` });
    };
    const onState = (e: StateEvent): void => {
      if (e.state === 'stopped' && e.killed && names.includes(e.name)) ch.send({ say: `${e.name} was killed: ${killWords(e)}` });
    };
    const onHandover = (h: { name: string; pid: number | null; doing: WorkReport }): void => {
      if (names.includes(h.name)) ch.send({ say: handoverWords(h) });
    };
    sup.on('waiting', onWaiting);
    sup.on('state', onState);
    sup.on('handover', onHandover);
    try {
      return await work;
    } finally {
      sup.off('waiting', onWaiting);
      sup.off('state', onState);
      sup.off('handover', onHandover);
    }
  }

  private async stop(req: ControlRequests['stop'], ch: Channel<ControlMessage<'stop'>>): Promise<void | 'keep'> {
    const names = req.names;
    if (names.length === 0) {
      // The whole session: the client hears what it waits for, and the end.
      const sup = this.s.supervisor();
      const onWaiting = (left: Waiting[]): void => ch.send({ waiting: left.map((w) => w.name), say: `waiting for ${waitingWords(left)}` });
      sup?.on('waiting', onWaiting);
      ch.onClose(() => {
        sup?.off('waiting', onWaiting);
        this.waiters.delete(ch);
      });
      this.waiters.add(ch);
      ch.send({ ok: true, stopping: process.pid });
      this.s.stop('stop requested (fbench stop): stopping');
      return 'keep';
    }
    const sup = this.sup();
    const resolved = this.resolve(names, 'stop');
    const graceMs = req.graceSeconds !== undefined ? req.graceSeconds * 1000 : undefined;
    // A Redis stopped under running workers breaks them mid-job: said, and done only when asked for.
    const running = new Set(sup.status().flatMap((s) => (sup.process(s.name)?.running ? [s.name] : [])));
    const broken = resolved.map((n) => ({ n, on: sup.dependents(n).filter((d) => !resolved.includes(d) && running.has(d)) })).filter((b) => b.on.length);
    if (broken.length && req.force !== true) {
      const on = [...new Set(broken.flatMap((b) => b.on))];
      throw Object.assign(new Error(`${broken.map((b) => b.n).join(', ')}: ${on.join(', ')} run on it and would break (a job mid-way lost)`), {
        hint: `stop those first (\`fbench stop ${on.join(' ')}\`), or pass --force`,
      });
    }
    if (broken.length) this.s.printer.warn(`stopping ${broken.map((b) => `${b.n} under ${b.on.join(', ')}`).join('; ')} (--force)`);
    this.s.printer.system(`stop of ${resolved.join(', ')} requested (fbench stop)`);
    await this.tellingWaits(ch, resolved, Promise.all(resolved.map((n) => sup.stopService(n, graceMs))));
    ch.send({ ok: true, names: resolved });
  }

  /** Lines of the named processes (and `system`: fbench's own), merged in the order they came; then new ones, with follow. */
  private logs(req: ControlRequests['logs'], ch: Channel<ControlMessage<'logs'>>): 'keep' | void {
    const sup = this.sup();
    const list = req.names;
    const wantSystem = list.length === 0 || list.includes(SYSTEM);
    const rest = list.filter((n) => n !== SYSTEM);
    const names = rest.length ? this.resolve(rest, 'logs') : list.length ? [] : this.s.plan().processes.map((p) => p.name);
    // No pattern is matched here (the client does it): nothing a client sends runs unbounded on the session's loop.
    const since = req.since ?? -Infinity;
    const n = req.n;
    const kept = mergeKept([
      ...names.map((name) => ({ name, lines: (sup.process(name)?.ring.entries(Infinity, since) ?? []).slice(-n) })),
      ...(wantSystem ? [{ name: SYSTEM, lines: this.s.systemRing.entries(Infinity, since).slice(-n) }] : []),
    ]);
    for (const l of kept) ch.send({ line: l satisfies LogLine });
    if (!req.follow) return;
    const send = ch.follower();
    const wanted = new Set(names);
    const onOutput = (name: string, lines: Buffer): void => {
      if (!wanted.has(name)) return;
      const time = this.s.clock.now();
      for (const text of lines.toString('utf8').slice(0, -1).split('\n')) send({ line: { time, seq: 0, name, text } });
    };
    const onSystem = (line: string): void => {
      send({ line: { time: this.s.clock.now(), seq: 0, name: SYSTEM, text: line } });
    };
    sup.on('output', onOutput);
    if (wantSystem) this.s.printer.on('system', onSystem);
    ch.onClose(() => {
      sup.off('output', onOutput);
      this.s.printer.off('system', onSystem);
    });
    void this.s.ended.then(() => ch.end());
    return 'keep';
  }

  private attach(req: ControlRequests['attach'], ch: Channel<ControlMessage<'attach'>>): 'keep' {
    const sup = this.sup();
    const names = this.resolve([req.name], 'attach');
    if (names.length !== 1) throw new Error(`attach takes one process: "${req.name}" is ${names.join(', ')}; name one of them`);
    const name = names[0]!;
    const who = req.who ?? 'another client';
    const holder = this.attached.get(name);
    if (holder) throw new Error(`${name} is already attached (by ${holder}); one client at a time`);
    const proc = sup.process(name);
    if (!proc?.running) throw new Error(`${name} is not running: nothing to attach to`);
    this.attached.set(name, who);
    this.s.printer.system(`${who} attached to ${name}`);
    ch.send({ ok: true, name });
    const send = ch.follower();
    for (const l of proc.ring.last(ATTACH_BACKLOG)) send({ line: l });
    const onOutput = (n: string, t: Buffer): void => {
      if (n === name) for (const l of t.toString('utf8').slice(0, -1).split('\n')) send({ line: l });
    };
    sup.on('output', onOutput);
    ch.onMessage((m) => {
      if (typeof m.input !== 'string') return;
      const prompts = this.s.prompts();
      if (prompts) prompts.write(name, m.input);
      else sup.process(name)?.write(m.input);
    });
    ch.onClose(() => {
      sup.off('output', onOutput);
      this.attached.delete(name);
      this.s.printer.system(`${who} detached from ${name}`);
    });
    void this.s.ended.then(() => {
      ch.send({ ended: true });
      ch.end();
    });
    return 'keep';
  }
}
