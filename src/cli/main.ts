import { Command, InvalidArgumentError, Option } from 'commander';
import { MAX_PER_TYPE, parseCount, parsePort, parseSeconds, parseWhole } from '../config/numbers.js';
import { FbenchError, formatError } from '../errors.js';
import { DEFAULT_RELOAD_ROLES } from '../frappe/code-watch.js';
import { packageVersion } from '../paths.js';
import { DEFAULT_BENCH_DIR, DEFAULT_REDIS_IMAGE } from '../export/containers.js';
import { parseConcurrency } from '../plan/formation.js';

// Heavy modules (ioredis, listr2, chokidar) are imported inside the commands that use them,
// so `fbench --version` and `fbench plan` stay fast.

/** Check an option's value as commander parses it: a bad one is one line naming the option, before anything runs. */
function checked<T>(parse: (v: string) => T): (v: string) => T {
  return (v) => {
    try {
      return parse(v);
    } catch (err) {
      throw new InvalidArgumentError(err instanceof FbenchError ? formatError(err) : String(err));
    }
  };
}
const concurrency = (v: string, prev: string[] = []): string[] => {
  checked((x) => parseConcurrency([x]))(v);
  return [...prev, v];
};
const workerCount = checked((v) => parseCount(v, '-n', undefined, 1));
/** An image reference: registry/name:tag@digest characters only. */
const parseImage = (v: string): string => {
  if (!/^[A-Za-z0-9][A-Za-z0-9._/:@-]*$/.test(v))
    throw new FbenchError(`--image: ${JSON.stringify(v)} is not an image reference`, 'for example --image ghcr.io/acme/erpnext:v15');
  return v;
};
const parseBenchDir = (v: string): string => {
  if (!/^\/[A-Za-z0-9._/-]*$/.test(v))
    throw new FbenchError(`--bench-dir: ${JSON.stringify(v)} is not an absolute path of plain characters`, `for example --bench-dir ${DEFAULT_BENCH_DIR}`);
  return v.replace(/\/+$/, '') || '/';
};

/** Commands that only need to find the bench. */
const benchOnly = (cmd: Command): Command => cmd.option('-b, --bench <dir>', 'the bench folder (default: the first folder upwards with a Procfile and sites/)');

/** Commands that read the bench's files: bench's -p/--procfile, and honcho's -f (what `bench start -m fbench` passes). */
function benchOptions(cmd: Command): Command {
  return benchOnly(cmd)
    .option('-e, --env <files>', 'env files, comma-separated (default: .env when present)')
    .option('-p, --procfile <file>', 'the Procfile to read (default: Procfile), as bench start -p')
    .addOption(new Option('-f <file>', 'the same, as honcho -f (what bench start -m fbench passes)'));
}

const noDev = (cmd: Command): Command => cmd.option('--no-dev', 'do not set DEV_SERVER=true (as bench start --no-dev)');

/** What shapes the formation of `plan` and `start`. */
function formationOptions(cmd: Command): Command {
  return noDev(benchOptions(cmd))
    .argument('[process...]', 'only these process types (and the Redis they need)')
    .option('--preset <name>', 'a process selection and worker formation from presets/ (see fbench presets)')
    .option('-c, --concurrency <name=N>', `instances per process type, 0 to ${MAX_PER_TYPE}, e.g. worker=2,watch=0 (repeatable)`, concurrency)
    .option(
      '--port <n>',
      "base for honcho's PORT numbering (default 5000, or PORT in .env)",
      checked((v) => parsePort(v, '--port')),
    );
}

/** How `start` and `workers` run, supervise and print. */
function runOptions(cmd: Command): Command {
  return cmd
    .option('--exit-on-crash', 'a crash (non-zero exit) of any process but watch stops everything, with its exit code')
    .option(
      '--grace <seconds>',
      'seconds between SIGTERM and SIGKILL when stopping (a Redis gets at least 30)',
      checked((v) => parseSeconds(v, '--grace') / 1000),
      5,
    )
    .option(
      '--ready-timeout <seconds>',
      'seconds to wait for each Redis to answer PING',
      checked((v) => parseSeconds(v, '--ready-timeout', 0.1) / 1000),
      30,
    )
    .option('--no-prefix', 'print child output without the "time name |" prefix')
    .option('--no-timestamps', 'leave the time out of the prefix')
    .option('--no-color', 'no colours (also when NO_COLOR is set or stdout is not a terminal)')
    .option('--no-tasks', 'plain start-up lines instead of the task list on a terminal')
    .option('--reload <roles>', 'roles to restart when a .py file under apps/ changes', DEFAULT_RELOAD_ROLES.join(','))
    .option('--no-reload', 'do not restart anything on code changes')
    .option('--stdin-null <names>', 'processes, types or roles whose stdin is /dev/null instead of a pipe (for a program that needs EOF)')
    .option('--quiet <names>', 'processes, types or roles whose output is kept (fbench logs, their log files) but not printed, e.g. --quiet watch,redis')
    .option('--no-follow-logs', 'do not follow log files that compound commands (`cd x && y > f.log`) write by themselves');
}

/**
 * Run a command and exit with its status once stdout is drained: a finished `fbench start`
 * should not wait for stray timers or watchers to wind down.
 */
async function run(action: () => number | Promise<number>): Promise<void> {
  // A reader that went away (`fbench logs -f | head`) is a normal end, not an error.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0);
  });
  try {
    process.exitCode = await action();
  } catch (err) {
    if (err instanceof FbenchError) {
      process.stderr.write(`fbench: ${formatError(err)}\n`);
      process.exitCode = err.exitCode;
    } else {
      // A bug: one line, the stack only when asked for.
      const detail =
        process.env.FBENCH_DEBUG === '1' ? ((err as Error).stack ?? String(err)) : `${(err as Error).message ?? String(err)} (FBENCH_DEBUG=1 shows where)`;
      process.stderr.write(`fbench: internal error: ${detail}\n`);
      process.exitCode = 70;
    }
  }
  process.stdout.write('', () => process.exit());
}

const program = new Command('fbench')
  .description('A Frappe-bench-aware development orchestrator: bench start with Redis gating, zero orphans and line-exact logs')
  .version(packageVersion(), '-V, --version')
  .configureOutput({ outputError: (text, write) => write(oneLineError(text)) });

/** commander's errors as fbench's own: one line, what is wrong, what to do. */
function oneLineError(text: string): string {
  const invalid = /argument '.*' is invalid\. (.*)$/s.exec(text.trim());
  if (invalid) return `fbench: ${invalid[1]}\n`;
  return `fbench: ${text.trim().replace(/^error: /, '')} → see fbench help COMMAND\n`;
}

/**
 * Each command's definition. Only the command being run is defined (commander's set-up is paid
 * by every run); help, a mistake or an option first defines them all, in this order.
 */
const commands: Record<string, () => unknown> = {
  plan: () =>
    formationOptions(program.command('plan'))
      .description('show what `fbench start` would run: roles, ports, queues, dependencies (starts nothing)')
      .option('--json', 'print the plan as JSON (the documented contract)')
      .option('--show-secrets', 'show Redis passwords in the JSON instead of ***')
      .action((processes: string[], opts) => run(async () => (await import('./commands/plan.js')).planCommand(processes, opts))),
  start: () =>
    runOptions(formationOptions(program.command('start')))
      .description('run the bench: Redis first and health-checked, then everything that needs it')
      .option('-m, --man <manager>', 'accepted for bench start -m and ignored: fbench is the process manager')
      .action((processes: string[], opts) => run(async () => (await import('./commands/start.js')).startCommand(processes, opts))),
  workers: () =>
    runOptions(noDev(benchOptions(program.command('workers'))))
      .description('run just workers, split by queue: one process per listed queue, gated on the queue Redis')
      .requiredOption('-q, --queues <list>', 'queues, comma-separated; a+b puts two queues in one process (e.g. default,long+short,email)')
      .option('-n, --count <n>', 'worker processes per entry, 1 to 64 (default: background_workers)', workerCount)
      .option('--with-redis', "also start the bench's Redis from the Procfile (when it is not running)")
      .action((opts) => run(async () => (await import('./commands/workers.js')).workersCommand(opts))),
  doctor: () =>
    benchOptions(program.command('doctor'))
      .description('find what would stop this bench from starting, with a fix for each problem (starts nothing)')
      .option('--json', 'the findings as JSON')
      .option('--no-color', 'no colours')
      .action((opts) => run(async () => (await import('./commands/doctor.js')).doctorCommand(opts))),
  ps: () =>
    benchOnly(program.command('ps'))
      .description('the processes of the running fbench start: state, pid, uptime, restarts, port, health')
      .option('--json', 'as JSON')
      .action((opts) => run(async () => (await import('./commands/control.js')).psCommand(opts))),
  restart: () =>
    benchOnly(program.command('restart'))
      .description('restart processes of the running fbench start (a name like worker.1, a type, or a role); starts stopped ones')
      .argument('<name...>', 'process names, Procfile types or roles (e.g. worker)')
      .action((names: string[], opts) => run(async () => (await import('./commands/control.js')).restartCommand(names, opts))),
  stop: () =>
    benchOnly(program.command('stop'))
      .description('stop processes of the running fbench start, or (with no name) the whole session')
      .argument('[name...]', 'process names, Procfile types or roles; none stops everything')
      .action((names: string[], opts) => run(async () => (await import('./commands/control.js')).stopCommand(names, opts))),
  logs: () =>
    benchOnly(program.command('logs'))
      .description('recent output of the running processes, from memory')
      .argument('[name...]', 'process names, types or roles (default: all)')
      .option(
        '-n, --lines <n>',
        'lines per process',
        checked((v) => parseWhole(v, '-n', 0, 100_000)),
        50,
      )
      .option('-f, --follow', 'keep printing new lines')
      .action((names: string[], opts) => run(async () => (await import('./commands/control.js')).logsCommand(names, opts))),
  attach: () =>
    benchOnly(program.command('attach'))
      .description('type into a process of the running fbench start (a debugger prompt): its output here, your lines to its stdin')
      .argument('<name>', 'one process: a name like web.1, or a type or role that means one process')
      .action((name: string, opts) => run(async () => (await import('./commands/attach.js')).attachCommand(name, opts))),
  export: () =>
    benchOptions(program.command('export'))
      .description('write the formation fbench runs as production config: supervisor, systemd, a plain Procfile, Docker Compose or Kubernetes')
      .argument('<format>', 'supervisor | systemd | procfile | compose | kubernetes')
      .option('-o, --output <path>', 'write here (a file; a folder for systemd and kubernetes) instead of stdout')
      .option('--image <image>', "compose, kubernetes: the bench's built image (frappe_docker style)", checked(parseImage))
      .option('--bench-dir <dir>', 'compose, kubernetes: the bench folder inside the image', checked(parseBenchDir), DEFAULT_BENCH_DIR)
      .option('--redis-image <image>', 'compose, kubernetes: the image Redis runs from', checked(parseImage), DEFAULT_REDIS_IMAGE)
      .option('--force', 'overwrite existing files')
      .option('--user <user>', 'the user the programs run as')
      .option('--preset <name>', 'a process selection and worker formation from presets/')
      .option('-q, --queues <list>', 'split the workers by queue instead, as fbench workers --queues')
      .option('-n, --count <n>', 'worker processes per --queues entry, 1 to 64', workerCount)
      .option('-c, --concurrency <name=N>', 'instances per process type (repeatable)', concurrency)
      .action((format: string, opts) => run(async () => (await import('./commands/export.js')).exportCommand(format, opts))),
  presets: () =>
    benchOnly(program.command('presets'))
      .description("list the presets: shipped ones and the bench's own (config/fbench/presets/)")
      .action((opts) => run(async () => (await import('./commands/presets.js')).presetsCommand(opts))),
};
const named = process.argv[2];
if (named !== undefined && Object.hasOwn(commands, named)) commands[named]!();
else for (const define of Object.values(commands)) define();

program.parseAsync(process.argv).catch((err: unknown) => {
  process.stderr.write(`fbench: ${String(err)}\n`);
  process.exitCode = 2;
});
