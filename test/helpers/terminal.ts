import { execFileSync } from 'node:child_process';

/**
 * A real terminal for a test: a tmux server of its own (its own socket, so other tests and a
 * developer's tmux are never touched) with one window of the given size running `command`.
 */
export class Terminal {
  private readonly socket = `fbench-test-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;

  constructor(command: string, cols = 120, rows = 40, env: Record<string, string> = {}) {
    execFileSync('tmux', ['-V']); // fails loudly without tmux (.ci/run installs it)
    const exports = Object.entries(env).map(([k, v]) => `${k}=${JSON.stringify(v)}`);
    // remain-on-exit set before the program runs, in the same call: a program that exits at once
    // leaves its screen readable (set after new-session, it could close the window first).
    this.tmux(
      'start-server',
      ';',
      'set-option',
      '-g',
      'remain-on-exit',
      'on',
      ';',
      'new-session',
      '-d',
      '-s',
      't',
      '-x',
      String(cols),
      '-y',
      String(rows),
      `${exports.length ? `env ${exports.join(' ')} ` : ''}${command}`,
    );
  }

  tmux(...args: string[]): string {
    return execFileSync('tmux', ['-L', this.socket, ...args], { encoding: 'utf8' });
  }

  /** What the screen shows (and, with `history`, what scrolled off it), lines joined. */
  screen(history = false): string {
    return this.tmux('capture-pane', '-p', '-J', '-t', 't', ...(history ? ['-S', '-5000'] : []));
  }

  /** The screen with its colours and attributes (inverse is \x1b[7m). */
  styled(): string {
    return this.tmux('capture-pane', '-p', '-e', '-t', 't');
  }

  keys(...keys: string[]): void {
    this.tmux('send-keys', '-t', 't', ...keys);
  }

  /** Typed text, sent as it is (no key names). */
  type(text: string): void {
    this.tmux('send-keys', '-t', 't', '-l', text);
  }

  resize(cols: number, rows: number): void {
    this.tmux('resize-window', '-t', 't', '-x', String(cols), '-y', String(rows));
  }

  /** The pid of the program the window runs. */
  get pid(): number {
    return Number(this.tmux('display-message', '-p', '-t', 't', '#{pane_pid}').trim());
  }

  get exited(): boolean {
    return this.tmux('display-message', '-p', '-t', 't', '#{pane_dead}').trim() === '1';
  }

  async until(cond: (screen: string) => boolean, what: string, ms = 15_000, history = false): Promise<string> {
    const end = Date.now() + ms;
    for (;;) {
      const s = this.screen(history);
      if (cond(s)) return s;
      if (Date.now() > end) throw new Error(`${what}: not within ${ms} ms; the screen:\n${s}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Once the program has exited: the screen it left (read after the exit, never before it). */
  async whenExited(what: string, ms = 15_000, history = false): Promise<string> {
    await this.until(() => this.exited, what, ms);
    return this.screen(history);
  }

  close(): void {
    try {
      this.tmux('kill-server');
    } catch {
      // gone
    }
  }
}
