import { Command, InvalidArgumentError, Option } from 'commander';
import { MAX_PER_TYPE, parseClockTime, parseCount, parseDuration, parsePort, parseSeconds, parseWhole } from '../config/numbers.js';
import { FbenchError, formatError, formatLocation } from '../errors.js';
import { DEFAULT_BENCH_DIR, DEFAULT_REDIS_IMAGE } from '../export/containers.js';
import { DEFAULT_RELOAD_ROLES } from '../frappe/code-watch.js';
import { packageVersion } from '../paths.js';
import { parseConcurrency } from '../plan/formation.js';

// Heavy modules (ioredis, listr2, chokidar, ink) are imported inside the commands that use them,
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
const seconds = (what: string, min = 0): ((v: string) => number) => checked((v) => parseSeconds(v, what, min));
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

/** Commands that read the bench's files: bench's -p/--procfile, honcho's -f (what `bench start -m fbench` passes), and bench's -m. */
function benchOptions(cmd: Command): Command {
  return benchOnly(cmd)
    .option('-e, --env <files>', 'env files, comma-separated (default: .env when present)')
    .option('-p, --procfile <file>', 'the Procfile to read (default: Procfile), as bench start -p')
    .addOption(new Option('-f <file>', 'the same, as honcho -f (what bench start -m fbench passes)'))
    .option('-m, --man <manager>', 'accepted for bench start -m and ignored: fbench is the process manager');
}

const noDev = (cmd: Command): Command => cmd.option('--no-dev', 'do not set DEV_SERVER=true (as bench start --no-dev)');

/** What shapes the formation of `plan` and `start`. */
function formationOptions(cmd: Command): Command {
  return noDev(benchOptions(cmd))
    .argument('[process...]', 'only these (names, Procfile types, roles or wildcards like worker*) and the Redis they need')
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
      "seconds between SIGTERM and SIGKILL for every process (default: a worker its queues' job timeout + 60, others 5; a Redis at least 30; also FBENCH_GRACE)",
      seconds('--grace'),
    )
    .option(
      '--ready-timeout <seconds>',
      'seconds start-up may take: whatever is not ready by then fails it (exit 1), each process named with why',
      seconds('--ready-timeout', 0.1),
      30,
    )
    .option('--no-prefix', 'print child output without the "time name |" prefix')
    .option('--no-timestamps', 'leave the time out of the prefix')
    .option('--no-color', 'no colours (also when NO_COLOR is set or stdout is not a terminal)')
    .option('--no-tasks', 'plain start-up lines instead of the task list on a terminal')
    .option('--reload <roles>', 'roles to restart when a .py file under apps/ changes', DEFAULT_RELOAD_ROLES.join(','))
    .option('--no-reload', 'do not restart anything on code changes')
    .option(
      '--poll',
      'find .py changes under apps/ by polling (default: where apps/ is on a mount that inotify cannot see into: FUSE, 9p, virtiofs, NFS, SMB…)',
    )
    .option('--no-poll', 'never poll apps/, even on such a mount')
    .option(
      '--reload-wait',
      'a worker busy with a job is restarted only once its job is done (default: the new worker starts at once, the old one finishes the job)',
    )
    .option('--stdin-null <names>', 'processes, types or roles whose stdin is /dev/null instead of a pipe (for a program that needs EOF)')
    .option('--quiet <names>', 'processes, types or roles whose output is kept (fbench logs, their log files) but not printed, e.g. --quiet watch,redis')
    .option('--no-follow-logs', 'do not follow log files that compound commands (`cd x && y > f.log`) write by themselves');
}

/** Examples under a command's --help. */
const examples = (cmd: Command, lines: string[]): Command => cmd.addHelpText('after', `\nExamples:\n${lines.map((l) => `  $ ${l}`).join('\n')}\n`);

let stdoutGone = false;

/** Run a command and exit with its status once its output is out. */
async function run(action: () => number | Promise<number>): Promise<void> {
  // A reader that went away (`fbench plan | head`) is not an error; a command that streams
  // (start, logs -f) carries on or ends by itself as it should.
  process.stdout.on('error', () => (stdoutGone = true));
  process.stderr.on('error', () => {});
  try {
    process.exitCode = await action();
  } catch (err) {
    if (err instanceof FbenchError) {
      process.stderr.write(`fbench: ${formatError(err)}\n`);
      // A program reading --json gets JSON even then (outside a bench, a session that does not answer).
      if (process.argv.includes('--json'))
        process.stdout.write(
          `${JSON.stringify({ error: err.message, ...(err.hint ? { hint: err.hint } : {}), ...(err.location ? { at: formatLocation(err.location) } : {}) })}\n`,
        );
      process.exitCode = err.exitCode;
    } else {
      // A bug: one line, the stack only when asked for.
      const detail =
        process.env.FBENCH_DEBUG === '1' ? ((err as Error).stack ?? String(err)) : `${(err as Error).message ?? String(err)} (FBENCH_DEBUG=1 shows where)`;
      process.stderr.write(`fbench: internal error: ${detail}\n`);
      process.exitCode = 70;
    }
  }
  if (stdoutGone) process.exit();
  process.stdout.write('', () => process.exit());
}

const program = new Command('fbench')
  .description('A Frappe-bench-aware development orchestrator: bench start with Redis gating, zero orphans and line-exact logs')
  .version(packageVersion(), '-V, --version')
  .enablePositionalOptions()
  .configureOutput({ outputError: (text, write) => write(oneLineError(text)) });
examples(program, ['fbench start', 'fbench doctor', 'fbench ps', 'fbench logs worker -f', 'fbench ui', 'fbench <command> --help']);

/** commander's errors as fbench's own: one line, what is wrong, what to do. */
function oneLineError(text: string): string {
  const invalid = /argument '.*' is invalid\. (.*)$/s.exec(text.trim());
  if (invalid) return `fbench: ${invalid[1]}\n`;
  const named = process.argv[2];
  const help = named !== undefined && Object.hasOwn(commands, named) ? `fbench ${named} --help` : 'fbench --help';
  // commander puts its "(Did you mean …?)" on a line of its own.
  const said = text
    .trim()
    .replace(/^error: /, '')
    .replace(/\s*\n\s*/g, ' ');
  return `fbench: ${said} → see \`${help}\`\n`;
}

/**
 * Each command's definition. Only the command being run is defined; help, a mistake or an
 * option first defines them all, in this order.
 */
const commands: Record<string, () => unknown> = {
  start: () =>
    examples(
      runOptions(formationOptions(program.command('start')))
        .description('run the bench: Redis first and health-checked, then everything that needs it, until Ctrl-C')
        .option('--ui', 'show the full-screen view (fbench ui) instead of the stream; leaving it stops the bench')
        .action((processes: string[], opts) => run(async () => (await import('./commands/start.js')).startCommand(processes, opts))),
      [
        'fbench start',
        'fbench start worker web          # only these, and the Redis they need',
        'fbench start -c worker=2,watch=0',
        'fbench start --preset split --grace 30',
        'fbench start --ui',
      ],
    ),
  workers: () =>
    examples(
      runOptions(noDev(benchOptions(program.command('workers'))))
        .description('run just workers, split by queue: one process per listed queue, gated on the queue Redis')
        .requiredOption('-q, --queues <list>', 'queues, comma-separated; a+b puts two queues in one process (e.g. default,long+short,email)')
        .option('-n, --count <n>', 'worker processes per entry, 1 to 64 (default: background_workers)', workerCount)
        .option('--with-redis', "also start the bench's Redis from the Procfile (when it is not running)")
        .action((opts) => run(async () => (await import('./commands/workers.js')).workersCommand(opts))),
      ['fbench workers --queues default,long,email', 'fbench workers --queues short+default,long -n 2', 'fbench workers --queues long --with-redis'],
    ),
  run: () =>
    examples(
      noDev(benchOptions(program.command('run')))
        .description("run one command in the bench's environment (as start gives its processes), once its Redis answers")
        .argument('<command...>', 'the program and its arguments (no shell), or with --shell one command line')
        .option('--shell', 'the one argument is a command line for sh')
        .passThroughOptions()
        .action((command: string[], opts) => run(async () => (await import('./commands/run.js')).runCommand(command, opts))),
      [
        'fbench run bench --site mysite.localhost console',
        'fbench run bench --site mysite.localhost migrate',
        "fbench run --shell 'bench build && bench clear-cache'",
      ],
    ),
  plan: () =>
    examples(
      formationOptions(program.command('plan'))
        .description('show what `fbench start` would run: roles, ports, queues, dependencies (starts nothing)')
        .option('--json', 'print the plan as JSON (the documented contract)')
        .option('--show-secrets', 'show Redis passwords in the JSON instead of ***')
        .action((processes: string[], opts) => run(async () => (await import('./commands/plan.js')).planCommand(processes, opts))),
      ['fbench plan', 'fbench plan worker --preset split', 'fbench plan --json | jq ".processes[].name"'],
    ),
  doctor: () =>
    examples(
      benchOptions(program.command('doctor'))
        .description('find what would stop this bench from starting, with a fix for each problem (starts nothing)')
        .option('--json', 'the findings as JSON')
        .option('--no-color', 'no colours')
        .action((opts) => run(async () => (await import('./commands/doctor.js')).doctorCommand(opts))),
      ['fbench doctor', 'fbench doctor --json'],
    ),
  ps: () =>
    examples(
      benchOnly(program.command('ps'))
        .description('the processes of the running sessions: state, readiness, pid, uptime, restarts, port, CPU and memory')
        .argument('[name...]', 'only these (names, types, roles, wildcards)')
        .option('--json', 'as JSON')
        .action((names: string[], opts) => run(async () => (await import('./commands/control.js')).psCommand(names, opts))),
      ['fbench ps', 'fbench ps worker', 'fbench ps --json'],
    ),
  restart: () =>
    examples(
      benchOnly(program.command('restart'))
        .description('restart processes (or start stopped ones), and wait until they are ready again')
        .argument('<name...>', 'names (worker.1), Procfile types (worker_email), roles (redis), wildcards (worker*) or all')
        .option('--grace <seconds>', "seconds the old one gets to stop before SIGKILL (default: its own; a worker its job's timeout)", seconds('--grace'))
        .option('--wait', 'a worker busy with a job: stop it (its job done), then start the new one (default: the new one starts at once)')
        .action((names: string[], opts) => run(async () => (await import('./commands/control.js')).restartCommand(names, opts))),
      ['fbench restart worker', 'fbench restart worker.1 --grace 5', 'fbench restart worker --wait', "fbench restart 'worker*'"],
    ),
  stop: () =>
    examples(
      benchOnly(program.command('stop'))
        .description('stop processes of the running sessions, or (with no name) the whole bench, waiting until it has stopped')
        .argument('[name...]', 'names, types, roles or wildcards; none stops everything')
        .option('--no-wait', 'return once the stop has begun (with no name)')
        .option('--grace <seconds>', 'seconds before SIGKILL for the named processes (default: their own)', seconds('--grace'))
        .option('--force', 'stop a named Redis even while what depends on it runs')
        .action((names: string[], opts) => run(async () => (await import('./commands/control.js')).stopCommand(names, opts))),
      ['fbench stop', 'fbench stop socketio', 'fbench stop redis_queue --force', 'fbench stop; fbench start'],
    ),
  debug: () =>
    examples(
      benchOnly(program.command('debug'))
        .description("restart one Python process of the running bench under debugpy (web without its reloader), and print VS Code's attach configuration")
        .argument('<name>', 'one process: web, worker.1, schedule, or a Python line of the Procfile')
        .option('--wait', 'the process waits for the debugger to attach before it runs')
        .option('--write', "add the attach configuration to the bench's .vscode/launch.json")
        .option('--off', 'restart it as the plan runs it, without the debugger')
        .action((name: string, opts) => run(async () => (await import('./commands/control.js')).debugCommand(name, opts))),
      ['fbench debug web', 'fbench debug worker.1 --wait --write', 'fbench debug web --off'],
    ),
  logs: () =>
    examples(
      benchOnly(program.command('logs'))
        .description("recent lines of the running processes, merged in time order (with no session: the last session's logs/fbench.log)")
        .argument('[name...]', 'names, types, roles, wildcards, log files (worker.log) or system (fbench itself); default: all')
        .option(
          '-n, --lines <n>',
          'lines per process',
          checked((v) => parseWhole(v, '-n', 0, 100_000)),
          50,
        )
        .option('-f, --follow', 'keep printing new lines')
        .option(
          '--since <duration>',
          'only lines of the last 90, 30s, 10m, 2h…',
          checked((v) => parseDuration(v, '--since')),
        )
        .option(
          '--around <time>',
          'the lines of the half minute on either side of a time of day (10:44:23), as fbench errors names it',
          checked((v) => parseClockTime(v, '--around', Date.now())),
        )
        .option('--grep <regex>', 'only lines matching this regular expression')
        .option('--json', 'one JSON object a line: {time, name, text}')
        .option('--no-color', 'no colours')
        .action((names: string[], opts) => run(async () => (await import('./commands/control.js')).logsCommand(names, opts))),
      [
        'fbench logs',
        'fbench logs worker schedule -n 20',
        'fbench logs web -f',
        'fbench logs --since 10m --grep Traceback',
        'fbench logs web.1 --around 10:44:23',
        'fbench logs system',
      ],
    ),
  jobs: () =>
    examples(
      benchOptions(program.command('jobs'))
        .description("RQ's failed jobs of the bench (from its queue Redis): list them, show a traceback, requeue or delete")
        .argument('<action>', 'failed | show | requeue | delete')
        .argument('[id...]', 'job ids, whole (as `fbench jobs failed` prints them)')
        .option('--queue <queue>', 'only this queue (as the bench names it: long)')
        .option('--all', 'requeue: every failed job (of --queue)')
        .option(
          '-n, --lines <n>',
          'failed: at most this many, newest first',
          checked((v) => parseWhole(v, '-n', 1, 10_000)),
        )
        .option('--json', 'as JSON')
        .action((action: string, ids: string[], opts) => run(async () => (await import('./commands/jobs.js')).jobsCommand(action, ids, opts))),
      ['fbench jobs failed', 'fbench jobs show mysite.localhost::6f1c…', 'fbench jobs requeue --all --queue long', 'fbench jobs delete ID'],
    ),
  errors: () =>
    examples(
      benchOptions(program.command('errors'))
        .description(
          'what went wrong in the running bench, newest first: failed requests, failed jobs, asset builds that failed, crashes (with no session: failed jobs)',
        )
        .option(
          '--since <when>',
          'only what happened in the last 90, 30s, 10m, 2h…, or since the last save fbench saw: save',
          checked((v) => (v === 'save' ? ('save' as const) : parseDuration(v, '--since'))),
        )
        .option('--site <site>', 'only what happened on this site')
        .option(
          '-n, --lines <n>',
          'at most this many entries',
          checked((v) => parseWhole(v, '-n', 1, 1000)),
          20,
        )
        .option('--json', 'as JSON (schemas/errors.json)')
        .action((opts) => run(async () => (await import('./commands/errors.js')).errorsCommand(opts))),
      ['fbench errors', 'fbench errors --since save', 'fbench errors --since 10m --site erp.localhost', 'fbench errors --json'],
    ),
  mcp: () =>
    examples(
      benchOnly(program.command('mcp'))
        .description("a Model Context Protocol server on stdio, for editors and coding agents: the bench's status, logs, queues, failed jobs, restarts")
        .option('--read-only', 'only the tools that read (no restart, stop, start, requeue)')
        .action((opts) => run(async () => (await import('./commands/mcp.js')).mcpCommand(opts))),
      ['fbench mcp', 'fbench mcp --read-only --bench ~/frappe-bench'],
    ),
  attach: () =>
    examples(
      benchOnly(program.command('attach'))
        .description('type into a process (a debugger prompt): its output here, your lines to its stdin')
        .argument('<name>', 'one process: a name like web.1, or a type or role that means one process')
        .action((name: string, opts) => run(async () => (await import('./commands/attach.js')).attachCommand(name, opts))),
      ['fbench attach web', 'fbench attach worker', "printf 'p doc.name\\nc\\n' | fbench attach web"],
    ),
  ui: () =>
    examples(
      benchOnly(program.command('ui'))
        .description('a full-screen view of the running bench: processes, queues, logs, keys to restart and attach (the bench runs on when you leave)')
        .action((opts) => run(async () => (await import('./commands/ui.js')).uiCommand(opts))),
      ['fbench ui'],
    ),
  ports: () =>
    examples(
      benchOptions(program.command('ports'))
        .description("the bench's ports, where each is set and who holds it; --reassign moves a copied bench to free ones")
        .option('--json', 'as JSON')
        .option('--reassign', 'pick free ports no sibling bench or running session uses, and write them in every file that names them')
        .option('--dry-run', 'with --reassign: say what would change, write nothing')
        .action((opts) => run(async () => (await import('./commands/ports.js')).portsCommand(opts))),
      ['fbench ports', 'fbench ports --reassign --dry-run', 'fbench ports --reassign'],
    ),
  ls: () =>
    examples(
      program
        .command('ls')
        .description('every fbench session running on this machine for this user: bench, pid, uptime, ports, processes')
        .option('--json', 'as JSON')
        .action((opts) => run(async () => (await import('./commands/ls.js')).lsCommand(opts))),
      ['fbench ls', 'fbench ls --json'],
    ),
  export: () =>
    examples(
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
      [
        'fbench export supervisor -o config/supervisor.conf',
        'fbench export systemd --preset split-all -o config/systemd',
        'fbench export compose --image ghcr.io/acme/erpnext:v15',
      ],
    ),
  presets: () =>
    examples(
      benchOnly(program.command('presets'))
        .description("list the presets: shipped ones and the bench's own (config/fbench/presets/)")
        .action((opts) => run(async () => (await import('./commands/presets.js')).presetsCommand(opts))),
      ['fbench presets', 'fbench start --preset split'],
    ),
};
const named = process.argv[2];
if (named !== undefined && Object.hasOwn(commands, named)) commands[named]!();
else for (const define of Object.values(commands)) define();

if (process.argv.length <= 2) {
  program.outputHelp();
  process.exit(0);
}
program.parseAsync(process.argv).catch((err: unknown) => {
  process.stderr.write(`fbench: ${String(err)}\n`);
  process.exitCode = 2;
});
