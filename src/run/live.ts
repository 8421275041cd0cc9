import { existsSync } from 'node:fs';
import { ownOutput } from '../config/shell-command.js';
import path from 'node:path';
import { formatError, FbenchError } from '../errors.js';
import { ignoredForReload, isCodeChange } from '../frappe/code-watch.js';
import { relayLines } from '../output/line-relay.js';
import type { Printer } from '../output/printer.js';
import { diffPlans, isEmpty } from '../plan/diff.js';
import { processesNamed } from '../plan/lookup.js';
import type { HealthCheck, Plan } from '../plan/types.js';
import { pingRedis } from '../health/redis-ping.js';
import { serveControl, type ControlHandlers, type ProcessInfo } from '../runtime/control-server.js';
import { debounceCollect } from '../runtime/debounce.js';
import { tailFile } from '../runtime/file-tail.js';
import type { Supervisor } from '../runtime/supervisor.js';
import { sessionFiles } from './session.js';
import { checksOf, planServices, type ProbeFor, type ServiceChoices } from './services.js';

/** How to plan again when the Procfile, the site config or the preset changes. */
export interface Replan {
  build: () => Plan | Promise<Plan>;
  files: string[];
}

/** What a live session is told by the command line. */
export interface LiveOptions {
  /** Roles to restart on a Python change ("worker,schedule"), or false (--no-reload). */
  reload: string | false;
  /** Follow the log files that compound commands write by themselves (--no-follow-logs: false). */
  followLogs: boolean;
}

interface LiveContext {
  sup: Supervisor;
  printer: Printer;
  plan: Plan;
  probeFor: ProbeFor;
  checks: ReturnType<typeof checksOf>;
  session: string;
  /** How processes run (grace, --quiet, --stdin-null), for the ones a re-plan adds. */
  choices: ServiceChoices;
  opts: LiveOptions;
  replan?: Replan;
}

const RELOAD_DEBOUNCE_MS = 100;
/** Watchers start this long after ready: their first scan of apps/ must not compete with start-up. */
const WATCH_AFTER_READY_MS = 250;
/** When the control socket opens: after a small bench's start-up; a run that ends sooner never opens it. */
const CONTROL_OPENS_AFTER_MS = 100;
/** `fbench ps` waits this long for each Redis's PONG. */
const PS_PING_TIMEOUT_MS = 700;

/**
 * What makes a running session live: the control socket (ps/restart/stop/logs), restarts on
 * code changes, re-planning on config changes, and redirected log files in the stream.
 */
export function startLive(ctx: LiveContext): { close: () => Promise<void> } {
  const { sup, printer } = ctx;
  let plan = ctx.plan;
  const closers: (() => unknown)[] = [];

  // The control socket opens a moment into the run, not on the way to the first PING: Node's
  // listen() loads its cluster module, milliseconds a bench start-up has better use for. Clients
  // that come sooner try again until it is there.
  let control: { close: () => void } | null = null;
  const controlTimer = setTimeout(() => {
    control = serveControl(
      sessionFiles(plan.bench, ctx.session).socket,
      handlers(ctx, () => plan),
    );
  }, CONTROL_OPENS_AFTER_MS);
  controlTimer.unref();
  closers.push(() => {
    clearTimeout(controlTimer);
    control?.close();
  });

  // bench's Procfile sends worker output to logs/*.log: follow those files into the stream.
  const tails = new Map<string, { label: string; close: () => void }>();
  const syncTails = (): void => {
    if (!ctx.opts.followLogs) return;
    const wanted = logLabels(plan);
    for (const [file, t] of tails) {
      if (wanted.get(file) !== t.label) {
        t.close();
        tails.delete(file);
      }
    }
    for (const [file, label] of wanted) {
      if (tails.has(file)) continue;
      printer.addName(label);
      const tail = tailFile(file);
      void relayLines(label, tail.stream, printer, { onText: (t) => sup.process(label)?.record(t) });
      tails.set(file, { label, close: tail.close });
    }
  };
  syncTails();
  closers.push(() => tails.forEach((t) => t.close()));

  // Watchers start once the bench is ready: chokidar's first scan of apps/ must not compete
  // with start-up for the CPU.
  let watching: Promise<void> = Promise.resolve();
  const startWatching = async (): Promise<void> => {
    const roles =
      ctx.opts.reload === false
        ? []
        : ctx.opts.reload
            .split(',')
            .map((r) => r.trim())
            .filter(Boolean);
    if (roles.length === 0 && !ctx.replan) return;
    const { watch } = await import('chokidar');
    const ready: Promise<unknown>[] = [];
    const said: string[] = [];
    if (roles.length > 0 && existsSync(path.join(plan.bench, 'apps'))) {
      const appsDir = path.join(plan.bench, 'apps');
      const reload = debounceCollect<string>(RELOAD_DEBOUNCE_MS, (files) => {
        const names = plan.processes.filter((p) => roles.includes(p.role)).map((p) => p.name);
        if (names.length === 0) return;
        const first = path.relative(plan.bench, files[0]!);
        printer.system(`${first}${files.length > 1 ? ` and ${files.length - 1} more` : ''} changed: restarting ${names.join(', ')}`);
        void Promise.all(names.map((n) => sup.restartService(n)));
      });
      const w = watch(appsDir, { ignoreInitial: true, ignored: (p: string) => ignoredForReload(appsDir, p) });
      for (const ev of ['add', 'change', 'unlink'] as const) w.on(ev, (p: string) => isCodeChange(p) && reload.push(p));
      ready.push(new Promise<void>((r) => w.once('ready', () => r())));
      said.push(`apps/ for .py changes (restarting ${roles.join(', ')})`);
      closers.push(
        () => reload.cancel(),
        () => w.close(),
      );
    }
    if (ctx.replan) {
      const again = debounceCollect<string>(200, (files) => void applyReplan(files.map((f) => path.relative(plan.bench, f))));
      const w = watch(ctx.replan.files, { ignoreInitial: true });
      w.on('all', (_ev: string, p: string) => again.push(p));
      ready.push(new Promise<void>((r) => w.once('ready', () => r())));
      said.push(`${ctx.replan.files.map((f) => path.relative(plan.bench, f)).join(', ')} for re-planning`);
      closers.push(
        () => again.cancel(),
        () => w.close(),
      );
    }
    // Said once the watchers really watch: an edit from then on is seen.
    await Promise.all(ready);
    if (said.length) printer.system(`watching ${said.join('; ')}`);
  };
  // A moment after ready: a run that ends at once (a batch Procfile) never pays for chokidar.
  let watchTimer: NodeJS.Timeout | null = null;
  sup.once('ready', () => {
    watchTimer = setTimeout(() => (watching = startWatching()), WATCH_AFTER_READY_MS);
    watchTimer.unref();
  });
  closers.unshift(() => watchTimer && clearTimeout(watchTimer));

  const applyReplan = async (changed: string[]): Promise<void> => {
    const why = [...new Set(changed)].join(', ');
    let next: Plan;
    try {
      next = await ctx.replan!.build();
    } catch (err) {
      printer.system(`${why} changed, but it does not plan: ${err instanceof FbenchError ? formatError(err) : (err as Error).message}; keeping what runs`);
      return;
    }
    const diff = diffPlans(plan, next);
    if (isEmpty(diff)) {
      printer.system(`${why} changed: nothing to restart`);
      plan = next;
      return;
    }
    const said = [
      diff.added.length ? `adding ${diff.added.map((p) => p.name).join(', ')}` : '',
      diff.removed.length ? `removing ${diff.removed.join(', ')}` : '',
      ...diff.changed.map((c) => `restarting ${c.process.name} (${c.why})`),
    ].filter(Boolean);
    printer.system(`${why} changed: ${said.join('; ')}`);
    plan = next;
    for (const [k, v] of checksOf(next)) ctx.checks.set(k, v);
    const specs = new Map(planServices(next, ctx.probeFor, ctx.choices, undefined, false).map((s) => [s.name, s]));
    for (const x of next.externals) {
      if (sup.status().some((s) => s.name === x.url)) continue;
      sup.addService(specs.get(x.url)!);
      sup.launch(x.url);
    }
    await Promise.all(diff.removed.map((n) => sup.removeService(n)));
    await Promise.all(diff.changed.map((c) => sup.removeService(c.process.name)));
    for (const p of [...diff.changed.map((c) => c.process), ...diff.added]) {
      printer.addName(p.name);
      sup.addService(specs.get(p.name)!);
      sup.launch(p.name);
    }
    syncTails();
  };

  return {
    close: async () => {
      await watching.catch(() => {});
      await Promise.all(closers.map((c) => c()));
    },
  };
}

/**
 * Log files that programs write by themselves (a compound line's shell does the redirection),
 * with the name their lines show under: the one process writing it, else the file. Files fbench
 * writes itself are never followed: their lines are already in the stream.
 */
function logLabels(plan: Plan): Map<string, string> {
  const owned = new Set(plan.processes.flatMap((p) => (ownOutput(p.command) ? p.logFiles : [])));
  const writers = new Map<string, string[]>();
  for (const p of plan.processes) {
    if (ownOutput(p.command)) continue;
    for (const f of p.logFiles) if (!owned.has(f)) writers.set(f, [...(writers.get(f) ?? []), p.name]);
  }
  return new Map([...writers].map(([f, w]) => [f, w.length === 1 ? w[0]! : path.basename(f)]));
}

function handlers(ctx: LiveContext, plan: () => Plan): ControlHandlers {
  const { sup } = ctx;
  const resolve = (names: readonly string[]): string[] => processesNamed(plan(), names);
  /** Who is attached to which process: one client each. */
  const attached = new Map<string, string>();
  const all = (names: readonly string[]): string[] => (names.length ? [...names] : plan().processes.map((p) => p.name));
  return {
    // Health is asked now, not remembered: a Redis that stopped answering (SIGSTOP) shows at once.
    ps: async (): Promise<ProcessInfo[]> => {
      const current = plan();
      const byName = new Map(current.processes.map((p) => [p.name, p]));
      const redisChecks = new Map<string, HealthCheck>([
        ...current.processes.filter((p) => p.health?.kind === 'redis').map((p) => [p.name, p.health!] as const),
        ...current.externals.map((x) => [x.url, x.health] as const),
      ]);
      return Promise.all(
        sup.status().map(async (s): Promise<ProcessInfo> => {
          const p = byName.get(s.name);
          const check = ctx.checks.get(s.name);
          const redis = redisChecks.get(s.name);
          let health = !check ? '' : s.state !== 'healthy' ? 'not yet' : check.kind === 'port' ? 'listening' : 'PONG';
          if (redis?.kind === 'redis' && s.state === 'healthy') {
            const r = await pingRedis(redis, PS_PING_TIMEOUT_MS);
            health = r.ok ? 'PONG' : r.message;
          }
          const lastLine = sup.process(s.name)?.ring.last(1)[0] ?? null;
          return {
            name: s.name,
            state: s.state,
            pid: s.pid,
            uptimeMs: s.startedAt ? Date.now() - s.startedAt : null,
            restarts: s.restarts,
            port: p?.port ?? check?.port ?? null,
            health,
            lastLine,
          };
        }),
      );
    },
    resolve,
    restart: async (names) => {
      ctx.printer.system(`restart of ${names.join(', ')} requested (fbench restart)`);
      await Promise.all(names.map((n) => sup.restartService(n)));
    },
    stop: async (names) => {
      ctx.printer.system(`stop of ${names.join(', ')} requested (fbench stop)`);
      await Promise.all(names.map((n) => sup.stopService(n)));
    },
    stopAll: () => {
      ctx.printer.system('stop requested (fbench stop): stopping');
      void sup.shutdown(0);
    },
    logs: (names, n) => all(names).flatMap((name) => (sup.process(name)?.ring.last(n) ?? []).map((l) => `${name} | ${l}`)),
    attach: (name, who, onLine) => {
      const holder = attached.get(name);
      if (holder) throw new Error(`${name} is already attached (by ${holder}); one client at a time`);
      const proc = sup.process(name);
      if (!proc) throw new Error(`${name} runs no process to attach to`);
      attached.set(name, who);
      ctx.printer.system(`${who} attached to ${name}`);
      for (const l of proc.ring.last(20)) onLine(l);
      const on = (t: Buffer): void => t.toString('utf8').slice(0, -1).split('\n').forEach(onLine);
      proc.on('text', on);
      return {
        input: (text) => void proc.write(text),
        detach: () => {
          proc.off('text', on);
          attached.delete(name);
          ctx.printer.system(`${who} detached from ${name}`);
        },
      };
    },
    follow: (names, onLine) => {
      const offs = all(names).map((name) => {
        const proc = sup.process(name);
        const on = (t: Buffer): void =>
          t
            .toString('utf8')
            .slice(0, -1)
            .split('\n')
            .forEach((l) => onLine(`${name} | ${l}`));
        proc?.on('text', on);
        return () => proc?.off('text', on);
      });
      return () => offs.forEach((o) => o());
    },
  };
}
