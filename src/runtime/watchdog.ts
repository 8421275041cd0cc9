import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { GroupRegistry } from './group-process.js';

/**
 * The parent side of the watchdog (see watchdog-main.ts): registers process groups so that
 * they die even when fbench is killed with SIGKILL and cannot clean up itself.
 */
export class Watchdog implements GroupRegistry {
  private child: ChildProcess | null;

  constructor() {
    const main = fileURLToPath(new URL('./watchdog-main.js', import.meta.url));
    // Its own session: a closed terminal or a Ctrl-C to fbench's group must not reach it.
    this.child = spawn(process.execPath, [main], { stdio: ['pipe', 'ignore', 'ignore'], detached: true });
    this.child.on('error', () => (this.child = null));
    this.child.stdin?.on('error', () => {});
    this.child.unref();
    (this.child.stdin as unknown as { unref?: () => void } | null)?.unref?.();
  }

  watch(pgid: number): void {
    this.child?.stdin?.write(`+${pgid}\n`);
  }

  forget(pgid: number): void {
    this.child?.stdin?.write(`-${pgid}\n`);
  }

  /** Everything is stopped: let the watchdog go. */
  close(): void {
    this.child?.stdin?.end();
    this.child = null;
  }
}
