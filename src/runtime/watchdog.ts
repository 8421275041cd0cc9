import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { processTable } from '../util/process-table.js';
import { readSmallFile, writeReplacing } from '../util/safe-file.js';
import { removePidFile } from './pidfile.js';
import { pidAlive, WATCHDOG_VAR } from './process-group.js';
import type { GroupRegistry } from './group-process.js';

/**
 * The watchdog's waiting half: a shell keeps the registered groups ("+PGID:RANK:GRACE" /
 * "-PGID:RANK:GRACE" lines on its stdin) and, when that pipe closes with groups still
 * registered (fbench was SIGKILLed), hands them to the cleanup in watchdog-main.js. A shell
 * costs nothing while fbench runs.
 */
const WAIT = `trap '' INT TERM HUP
groups=' '
while IFS= read -r line; do
  g=\${line#?}
  case $g in ''|*[!0-9:]*) continue ;; esac
  case $line in
    +*) groups="$groups$g " ;;
    -*) case $groups in *" $g "*) groups="\${groups%% $g *} \${groups#* $g }" ;; esac ;;
  esac
done
[ "$groups" = ' ' ] || exec "$1" "$2" $groups`;

/**
 * The parent side: registers process groups so that they are stopped, in order and with their
 * grace, even when fbench is killed with SIGKILL and cannot do it itself. Started at the first
 * registration: a run that starts nothing has none.
 */
export class Watchdog implements GroupRegistry {
  /** undefined: not started yet; null: could not start, or closed. */
  private child: ChildProcess | null | undefined;
  private tokens = new Map<number, string>();

  /**
   * `session`: the part of the marker every process of this session carries (see MARKER_VAR).
   * `pidFile`: where the watchdog's pid and session are written, so that a next session can
   * wait for it (see liveWatchdog).
   */
  constructor(
    private readonly session: string,
    private readonly pidFile?: string,
  ) {}

  watch(pgid: number, rank: number, graceMs: number): void {
    const token = `${pgid}:${rank}:${Math.round(graceMs)}`;
    this.tokens.set(pgid, token);
    (this.child === undefined ? this.start() : this.child)?.stdin?.write(`+${token}\n`);
  }

  forget(pgid: number): void {
    const token = this.tokens.get(pgid);
    this.tokens.delete(pgid);
    if (token) this.child?.stdin?.write(`-${token}\n`);
  }

  /** Everything is stopped: let the watchdog go. */
  close(): void {
    this.child?.stdin?.end();
    if (this.pidFile && this.child?.pid) removePidFile(this.pidFile, this.child.pid);
    this.child = null;
  }

  private start(): ChildProcess {
    const main = fileURLToPath(new URL('./watchdog-main.js', import.meta.url));
    // Its own session: a closed terminal or a Ctrl-C to fbench's group must not reach it. Of the
    // environment only what finds the process table (ps and lsof where there is no /proc).
    const child = spawn('/bin/sh', ['-c', WAIT, 'fbench-watchdog', process.execPath, main], {
      stdio: ['pipe', 'ignore', 'ignore'],
      detached: true,
      env: {
        ...Object.fromEntries(['PATH', 'FBENCH_PROC'].filter((k) => process.env[k] !== undefined).map((k) => [k, process.env[k]!])),
        [WATCHDOG_VAR]: this.session,
      },
    });
    this.child = child;
    if (this.pidFile && child.pid) {
      try {
        // 0600: it names the session, which every process of it carries as its marker.
        writeReplacing(this.pidFile, `${child.pid} ${this.session} ${process.pid}\n`, 0o600);
      } catch {
        // no pid folder to write: a next session cannot wait for this one's cleanup
      }
    }
    child.on('error', () => (this.child = null));
    child.stdin?.on('error', () => {});
    child.unref();
    (child.stdin as unknown as { unref?: () => void } | null)?.unref?.();
    return child;
  }
}

/**
 * The watchdog of an earlier session that is still stopping what that session ran (the session
 * was killed), from its pid file: its pid, only while that process is the watchdog of the
 * session the file names (its command line carries the session) and that session is gone (a
 * live one's watchdog, in a copied bench's file, is waiting, not stopping anything).
 */
export function liveWatchdog(pidFile: string): number | null {
  const text = readSmallFile(pidFile);
  if (text === null) return null;
  const [pid, session, owner] = text.trim().split(/\s+/);
  const n = Number(pid);
  if (!Number.isInteger(n) || n <= 1 || !session || !pidAlive(n) || pidAlive(Number(owner))) return null;
  return processTable.environ(WATCHDOG_VAR, [n]).get(n) === session ? n : null;
}
