import { spawn } from 'node:child_process';
import { FbenchError } from '../errors.js';
import { pingRedis } from '../health/redis-ping.js';
import { benchLayout, frappeCommand } from '../frappe/layout.js';
import type { Plan } from '../plan/types.js';
import { Supervisor } from '../runtime/supervisor.js';

/**
 * The Redis the bench's processes need, answering PING: a one-off command of the bench
 * (`bench --site x console`, a migration) needs them as its processes do.
 */
async function requireRedis(plan: Plan): Promise<void> {
  const checks = [
    ...plan.processes.flatMap((p) => (p.health?.kind === 'redis' ? [{ name: `${p.name} (:${p.health.port})`, check: p.health }] : [])),
    ...plan.externals.map((x) => ({ name: `${x.name} at ${x.url} (from ${x.source})`, check: x.health })),
  ];
  for (const { name, check } of checks) {
    const r = await pingRedis(check, 1000, { details: false });
    if (!r.ok)
      throw new FbenchError(
        `the bench's Redis does not answer: ${name}: ${r.message}`,
        'start the bench first: `fbench start` in another terminal (or `fbench start redis` for Redis alone)',
      );
  }
}

/**
 * `fbench run COMMAND…`: one command in the bench's environment, exactly as `fbench start`
 * gives it to its processes (`.env`, `env/bin` first on PATH, PYTHONUNBUFFERED, DEV_SERVER),
 * from the bench folder, once the bench's Redis answers. The terminal is the command's; a
 * Ctrl-C reaches it as it reaches fbench, and a SIGTERM or SIGHUP sent to fbench is passed on.
 * The arguments are the program and its arguments, never read by a shell — unless `shell`,
 * where the one argument is a shell command line. Resolves the command's exit status.
 */
export async function runOneOff(plan: Plan, argv: readonly string[], shell: boolean): Promise<number> {
  if (argv.length === 0) throw new FbenchError('fbench run needs a command', 'for example: fbench run bench --site mysite.localhost console');
  if (shell && argv.length !== 1)
    throw new FbenchError('--shell takes the command as one string', `for example: fbench run --shell 'bench --site x migrate && echo done'`);
  await requireRedis(plan);
  // Today's habit on the new CLI's bench, which has no `bench --site`: run as its `bench frappe -- --site …` would.
  const layout = benchLayout(plan.bench);
  const run =
    !shell && layout?.kind === 'bench-toml' && argv[0] === 'bench' && argv[1] === '--site'
      ? frappeCommand(layout, argv.slice(1))
      : { argv: [...argv], cwd: plan.bench };
  const child = shell
    ? spawn('/bin/sh', ['-c', argv[0]!], { cwd: plan.bench, env: { ...process.env, ...plan.env }, stdio: 'inherit' })
    : spawn(run.argv[0]!, run.argv.slice(1), { cwd: run.cwd, env: { ...process.env, ...plan.env }, stdio: 'inherit' });
  // The terminal sends Ctrl-C to the command as well: fbench only waits for it.
  const ignore = (): void => {};
  const forward = (signal: NodeJS.Signals): void => void child.kill(signal);
  process.on('SIGINT', ignore);
  process.on('SIGQUIT', ignore);
  process.on('SIGTERM', forward);
  process.on('SIGHUP', forward);
  try {
    return await new Promise<number>((resolve, reject) => {
      child.once('error', (err: NodeJS.ErrnoException) =>
        reject(
          new FbenchError(
            `cannot run ${argv[0]}: ${err.code === 'ENOENT' ? 'not found on the PATH of the bench (env/bin first)' : err.message}`,
            err.code === 'ENOENT' ? 'check its name, or give its path' : 'check the command',
          ),
        ),
      );
      child.once('exit', (code, signal) => resolve(code ?? (signal ? Supervisor.signalExitCode(signal) : 1)));
    });
  } finally {
    process.off('SIGINT', ignore);
    process.off('SIGQUIT', ignore);
    process.off('SIGTERM', forward);
    process.off('SIGHUP', forward);
  }
}
