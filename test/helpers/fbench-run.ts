import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { REPO } from './sample-bench.js';

export const FBENCH = path.join(REPO, 'bin', 'fbench.cjs');

/** A real `fbench` child process with its output captured. */
export class FbenchRun {
  readonly child: ChildProcess;
  output = '';
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private waiters: { re: RegExp; from: number; resolve: (m: RegExpMatchArray) => void }[] = [];

  /** `prefix`: a command fbench runs under (its program, then its arguments before fbench's). */
  /** `detached`: fbench leads a process group of its own (as a shell's job does), so that the group can be signalled. */
  constructor(args: string[], opts: { cwd?: string; env?: Record<string, string>; prefix?: string[]; detached?: boolean } = {}) {
    const [program, ...before] = [...(opts.prefix ?? []), process.execPath, FBENCH, ...args];
    this.child = spawn(program!, before, {
      cwd: opts.cwd ?? REPO,
      env: { ...process.env, NO_COLOR: '1', ...opts.env },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: opts.detached === true,
    });
    const onData = (d: Buffer): void => {
      this.output += d.toString();
      this.check();
    };
    this.child.stdout!.on('data', onData);
    this.child.stderr!.on('data', onData);
    // Exited, and what it wrote read to the end ('exit' can come before the last of its output;
    // a process it left holding the pipe must not hold this up for long).
    const drained = (stream: NodeJS.ReadableStream): Promise<void> => new Promise((r) => stream.once('end', r));
    const ends = Promise.all([drained(this.child.stdout!), drained(this.child.stderr!)]);
    // A move the supervisor's state machine refused is a bug of fbench's: the run that said one fails whatever awaits its end.
    this.exited = new Promise((resolve, reject) =>
      this.child.once(
        'exit',
        (code, signal) =>
          void Promise.race([ends, new Promise((r) => setTimeout(r, 500))]).then(() => {
            const refused = /internal: .*a late move to \w+ was refused.*/.exec(this.output);
            if (refused) reject(new Error(`fbench refused a state move (a bug of its supervisor): ${refused[0]}`));
            else resolve({ code, signal });
          }),
      ),
    );
    this.exited.catch(() => {}); // told to whoever awaits the end
  }

  /** Wait for output matching `re` (searching from `from`, default the start). */
  waitFor(re: RegExp, timeoutMs = 20_000, from = 0): Promise<RegExpMatchArray> {
    const found = this.output.slice(from).match(re);
    if (found) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const w = { re, from, resolve };
      this.waiters.push(w);
      const t = setTimeout(() => {
        this.waiters = this.waiters.filter((x) => x !== w);
        reject(new Error(`timed out waiting for ${re}; output so far:\n${this.output.slice(-4000)}`));
      }, timeoutMs);
      const ended = (): void =>
        void setTimeout(() => {
          if (!this.waiters.includes(w)) return;
          clearTimeout(t);
          this.waiters = this.waiters.filter((x) => x !== w);
          reject(new Error(`fbench exited before ${re}; output:\n${this.output.slice(-4000)}`));
        }, 50);
      void this.exited.then(ended, ended);
      const orig = w.resolve;
      w.resolve = (m) => {
        clearTimeout(t);
        orig(m);
      };
    });
  }

  /** pids fbench reported as started ("NAME started (pid N)"). */
  startedPids(): Map<string, number> {
    const out = new Map<string, number>();
    for (const m of this.output.matchAll(/\| (\S+) started \(pid (\d+)\)/g)) out.set(m[1]!, Number(m[2]));
    return out;
  }

  signal(sig: NodeJS.Signals): void {
    this.child.kill(sig);
  }

  /** SIGINT and wait; SIGKILL if it hangs. */
  async stop(): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.signal('SIGINT');
    const t = setTimeout(() => this.signal('SIGKILL'), 15_000);
    const r = await this.exited;
    clearTimeout(t);
    return r;
  }

  private check(): void {
    for (const w of [...this.waiters]) {
      const m = this.output.slice(w.from).match(w.re);
      if (m) {
        this.waiters = this.waiters.filter((x) => x !== w);
        w.resolve(m);
      }
    }
  }
}

/** Alive = exists and is not a zombie (init may reap orphans late; a zombie runs nothing). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

/** The pids of `pids` still alive after waiting up to `ms` for them to go. */
export async function survivors(pids: Iterable<number>, ms = 1000): Promise<number[]> {
  const list = [...pids];
  const deadline = Date.now() + ms;
  for (;;) {
    const left = list.filter(alive);
    if (left.length === 0 || Date.now() >= deadline) return left;
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** All descendants of a pid, from /proc (children files). */
export async function descendants(pid: number): Promise<number[]> {
  const { readFileSync, readdirSync } = await import('node:fs');
  const out: number[] = [];
  const visit = (p: number): void => {
    let tasks: string[] = [];
    try {
      tasks = readdirSync(`/proc/${p}/task`);
    } catch {
      return;
    }
    for (const t of tasks) {
      let kids = '';
      try {
        kids = readFileSync(`/proc/${p}/task/${t}/children`, 'utf8');
      } catch {
        continue;
      }
      for (const k of kids.split(' ').filter(Boolean).map(Number)) {
        out.push(k);
        visit(k);
      }
    }
  };
  visit(pid);
  return out;
}

/** Live processes whose command line contains `marker` (a test's unique argument). */
export function pidsMatching(marker: string): number[] {
  const out: number[] = [];
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e) || Number(e) === process.pid) continue;
    try {
      if (readFileSync(`/proc/${e}/cmdline`, 'utf8').replaceAll('\0', ' ').includes(marker) && alive(Number(e))) out.push(Number(e));
    } catch {
      // gone
    }
  }
  return out;
}
