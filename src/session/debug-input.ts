import { EventEmitter } from 'node:events';
import type { Readable } from 'node:stream';
import type { Printer } from '../output/printer.js';
import type { Supervisor } from '../runtime/supervisor.js';
import type { Clock } from '../util/clock.js';

/** A debugger waiting for a command: pdb, pdb++, ipdb. The end of a partial line. */
export const DEBUGGER_PROMPT = /(?:\(Pdb\+*\)|\(ipdb\)|ipdb>|\(Pdb\)) $/;

/**
 * Which processes are at a debugger prompt: their output stops with a prompt shown before its
 * newline, and nothing was typed to them since. Emits 'prompt' (name) when one gets there.
 */
export class PromptTracker extends EventEmitter {
  private at = new Set<string>();

  constructor(private readonly sup: Supervisor) {
    super();
  }

  start(): void {
    this.sup.on('output', this.onOutput);
  }

  close(): void {
    this.sup.off('output', this.onOutput);
  }

  atPrompt(name: string): boolean {
    return this.at.has(name) && this.sup.process(name)?.running === true;
  }

  /** Those at a prompt, the last to get there last. */
  list(): string[] {
    return [...this.at].filter((n) => this.atPrompt(n));
  }

  /** Send a line to a process's stdin: it has left its prompt. */
  write(name: string, text: string): boolean {
    const ok = this.sup.process(name)?.write(text) ?? false;
    if (ok) this.at.delete(name);
    return ok;
  }

  private readonly onOutput = (name: string, lines: Buffer, partial: boolean): void => {
    const at = partial && DEBUGGER_PROMPT.test(lines.toString('latin1', 0, lines.length - 1));
    this.at.delete(name);
    if (at) {
      this.at.add(name);
      this.emit('prompt', name);
    }
  };
}

/** How long a typed line waits for a prompt that is about to be shown (the partial-line delay and then some). */
const PROMPT_WAIT_MS = 400;

/**
 * `breakpoint()` in fbench's own terminal: when a process stops at a debugger prompt, each
 * line typed goes to its stdin, and to no other process. With several at a prompt the last
 * one to get there has the input; `@NAME` picks another. Nothing typed goes anywhere while no
 * process is at a prompt (one hint says so). Ctrl-C is still fbench's: the terminal sends it
 * as a signal, not a line.
 */
export class TypedInput {
  private target: string | null = null;
  private hinted = false;
  /** A line typed while the debugger is still printing its answer (its new prompt not shown yet). */
  private pending: { line: string; cancel: () => void } | null = null;
  /** The end of what was typed that has no newline yet. */
  private typed = '';

  constructor(
    private readonly prompts: PromptTracker,
    private readonly printer: Printer,
    private readonly input: Readable,
    private readonly clock: Clock,
  ) {}

  start(): void {
    this.prompts.on('prompt', this.onPrompt);
    this.input.setEncoding('utf8');
    this.input.on('data', this.onData);
  }

  close(): void {
    this.prompts.off('prompt', this.onPrompt);
    this.pending?.cancel();
    this.input.off('data', this.onData);
    this.input.pause();
  }

  /** The terminal sends what is typed a line at a time (its own line editing): split, to be sure. */
  private readonly onData = (text: string): void => {
    const lines = (this.typed + text).split(/\r?\n/);
    this.typed = lines.pop()!;
    for (const l of lines) this.onLine(l);
  };

  private readonly onPrompt = (name: string): void => {
    this.hinted = false;
    if (this.pending && this.prompts.write(name, `${this.pending.line}\n`)) {
      this.pending.cancel();
      this.pending = null;
      this.target = name;
      return;
    }
    if (this.target === name) return; // the same debugger answering: said already
    const others = this.prompts.list().filter((n) => n !== name);
    this.target = name;
    this.printer.system(
      `${name} is at a debugger prompt: what you type goes to it${others.length ? ` (also at a prompt: ${others.join(', ')}; type @NAME to choose)` : ''}`,
    );
  };

  private readonly onLine = (line: string): void => {
    const waiting = this.prompts.list();
    const pick = /^@(\S+)\s*$/.exec(line);
    if (pick) {
      const name = waiting.find((n) => n === pick[1] || n.startsWith(`${pick[1]}.`));
      if (name) {
        this.target = name;
        this.printer.system(`what you type goes to ${name}`);
      } else this.printer.system(`${pick[1]} is not at a debugger prompt${waiting.length ? ` (at a prompt: ${waiting.join(', ')})` : ''}`);
      return;
    }
    const to = this.target && waiting.includes(this.target) ? this.target : waiting.at(-1);
    if (to && this.prompts.write(to, `${line}\n`)) {
      this.target = to;
      return;
    }
    if (this.pending) return; // one line at a time while a prompt is awaited
    this.pending = {
      line,
      cancel: this.clock.setTimer(PROMPT_WAIT_MS, () => {
        this.pending = null;
        if (!this.hinted) this.printer.system('no process is at a debugger prompt: what you type goes nowhere');
        this.hinted = true;
      }),
    };
  };
}
