import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { GroupRegistry } from './group-process.js';

/**
 * The watchdog's waiting half: a shell keeps the registered groups ("+PGID" / "-PGID" lines on
 * its stdin) and, when that pipe closes with groups still registered (fbench was SIGKILLed),
 * hands them to the cleanup in watchdog-main.js. A shell costs nothing while fbench runs; a
 * second Node would take a core for its start-up just when the bench starts.
 */
const WAIT = `trap '' INT TERM HUP
groups=' '
while IFS= read -r line; do
  g=\${line#?}
  case $g in ''|*[!0-9]*) continue ;; esac
  case $line in
    +*) groups="$groups$g " ;;
    -*) case $groups in *" $g "*) groups="\${groups%% $g *} \${groups#* $g }" ;; esac ;;
  esac
done
[ "$groups" = ' ' ] || exec "$1" "$2" $groups`;

/**
 * The parent side: registers process groups so that they die even when fbench is killed with
 * SIGKILL and cannot clean up itself. The shell starts at the first registration, right after
 * the first fork of a process: each fork makes the parent re-fault every page it writes next,
 * and two forks in a row cost that once (a run that starts nothing forks no watchdog).
 */
export class Watchdog implements GroupRegistry {
  /** undefined: not started yet; null: could not start, or closed. */
  private child: ChildProcess | null | undefined;

  watch(pgid: number): void {
    (this.child === undefined ? this.start() : this.child)?.stdin?.write(`+${pgid}\n`);
  }

  forget(pgid: number): void {
    this.child?.stdin?.write(`-${pgid}\n`);
  }

  /** Everything is stopped: let the watchdog go. */
  close(): void {
    this.child?.stdin?.end();
    this.child = null;
  }

  private start(): ChildProcess {
    const main = fileURLToPath(new URL('./watchdog-main.js', import.meta.url));
    // Its own session: a closed terminal or a Ctrl-C to fbench's group must not reach it. No
    // environment: the cleanup needs none, and Node starts faster without NODE_OPTIONS or a
    // NODE_EXTRA_CA_CERTS bundle to parse.
    const child = spawn('/bin/sh', ['-c', WAIT, 'fbench-watchdog', process.execPath, main], { stdio: ['pipe', 'ignore', 'ignore'], detached: true, env: {} });
    this.child = child;
    child.on('error', () => (this.child = null));
    child.stdin?.on('error', () => {});
    child.unref();
    (child.stdin as unknown as { unref?: () => void } | null)?.unref?.();
    return child;
  }
}
