import path from 'node:path';
import { analyzeCommand, shellQuote } from '../config/shell-command.js';
import { isFrappeHelper } from './layout.js';

/** What `bench <cmd>` runs for Frappe's own commands: its subcommands that start a process of the bench. */
const FRAPPE_COMMANDS = new Set(['serve', 'worker', 'worker-pool', 'schedule', 'watch']);

/**
 * A Procfile line run under debugpy, listening on 127.0.0.1:`port` (`--wait-for-client` with
 * `wait`): what bench itself runs for `bench serve|worker|schedule` (the bench's Python, Frappe's
 * bench_helper, in sites/), web without its reloader and threads (the debugger's breakpoints
 * need one process and one thread); a plain Python line with debugpy before its script or
 * module. Null for a line that is not Python. Pure.
 */
export function debugCommand(command: string, bench: string, port: number, wait: boolean): { command: string; python: string; cwd: string | null } | null {
  const argv = analyzeCommand(command).argv;
  const listen = ['-m', 'debugpy', '--listen', `127.0.0.1:${port}`, ...(wait ? ['--wait-for-client'] : [])];
  const serveFlags = (args: string[]): string[] =>
    args[0] === 'serve' ? [...args, ...['--noreload', '--nothreading'].filter((f) => !args.includes(f))] : args;
  const quote = (words: string[]): string => words.map(shellQuote).join(' ');
  if (path.basename(argv[0] ?? '') === 'bench' && FRAPPE_COMMANDS.has(argv[1] ?? '')) {
    const python = path.join(bench, 'env', 'bin', 'python');
    return {
      command: quote([python, ...listen, '-m', 'frappe.utils.bench_helper', 'frappe', ...serveFlags(argv.slice(1))]),
      python,
      cwd: path.join(bench, 'sites'),
    };
  }
  if (isFrappeHelper(argv)) {
    const m = argv.indexOf('-m');
    const rest = argv.slice(m + 3); // after `-m frappe.utils.bench_helper frappe`
    return { command: quote([...argv.slice(0, m), ...listen, '-m', 'frappe.utils.bench_helper', 'frappe', ...serveFlags(rest)]), python: argv[0]!, cwd: null };
  }
  if (/^python(\d+(\.\d+)?)?$/.test(path.basename(argv[0] ?? ''))) {
    // Python's own options (-u) stay before debugpy; the script or module and its arguments after.
    let i = 1;
    while (i < argv.length && argv[i]!.startsWith('-') && argv[i] !== '-m' && argv[i] !== '-c') i++;
    return { command: quote([...argv.slice(0, i), ...listen, ...argv.slice(i)]), python: argv[0]!, cwd: null };
  }
  return null;
}

/** A VS Code attach configuration for it: the port, and the bench's apps/ mapped as they are (same machine). */
export function launchConfig(name: string, bench: string, port: number): Record<string, unknown> {
  return {
    name: `fbench: attach to ${name}`,
    type: 'debugpy',
    request: 'attach',
    connect: { host: '127.0.0.1', port },
    pathMappings: [{ localRoot: path.join(bench, 'apps'), remoteRoot: path.join(bench, 'apps') }],
    justMyCode: false,
  };
}
