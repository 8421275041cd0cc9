import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import type { Printer } from '../output/printer.js';
import type { Supervisor } from '../runtime/supervisor.js';

/**
 * `breakpoint()` in fbench's own terminal: when a process stops at a debugger prompt, each
 * line typed goes to its stdin, and to no other process. With several at a prompt the last
 * one to get there has the input; `@NAME` picks another. Nothing typed goes anywhere while no
 * process is at a prompt (one hint says so). Ctrl-C is still fbench's: the terminal sends it
 * as a signal, not a line.
 */
/** How long a typed line waits for a prompt that is about to be shown (the partial-line delay and then some). */
const PROMPT_WAIT_MS = 400;

export function routeTypedLines(sup: Supervisor, printer: Printer, input: Readable): { close: () => void } {
  let atPrompt: string[] = [];
  let target: string | null = null;
  let hinted = false;
  const stillAtPrompt = (): string[] => (atPrompt = atPrompt.filter((n) => sup.process(n)?.atPrompt));

  // A line typed while the debugger is still printing its answer (its new prompt not shown yet)
  // waits a moment for that prompt instead of going nowhere.
  let pending: { line: string; cancel: NodeJS.Timeout } | null = null;
  const onPrompt = (name: string): void => {
    hinted = false;
    if (pending && sup.process(name)?.write(`${pending.line}\n`)) {
      clearTimeout(pending.cancel);
      pending = null;
      target = name;
      return;
    }
    const others = stillAtPrompt().filter((n) => n !== name);
    atPrompt = [...others, name];
    if (target === name) return; // the same debugger answering: said already
    target = name;
    printer.system(
      `${name} is at a debugger prompt: what you type goes to it${others.length ? ` (also at a prompt: ${others.join(', ')}; type @NAME to choose)` : ''}`,
    );
  };
  sup.on('prompt', onPrompt);

  const lines = createInterface({ input, crlfDelay: Infinity, terminal: false });
  lines.on('line', (line) => {
    const waiting = stillAtPrompt();
    const pick = /^@(\S+)\s*$/.exec(line);
    if (pick) {
      const name = waiting.find((n) => n === pick[1] || n.startsWith(`${pick[1]}.`));
      if (name) {
        target = name;
        printer.system(`what you type goes to ${name}`);
      } else printer.system(`${pick[1]} is not at a debugger prompt${waiting.length ? ` (at a prompt: ${waiting.join(', ')})` : ''}`);
      return;
    }
    const to = target && waiting.includes(target) ? target : waiting.at(-1);
    if (to && sup.process(to)?.write(`${line}\n`)) {
      target = to;
      return;
    }
    if (pending) return; // one line at a time while a prompt is awaited
    pending = {
      line,
      cancel: setTimeout(() => {
        pending = null;
        if (!hinted) printer.system('no process is at a debugger prompt: what you type goes nowhere');
        hinted = true;
      }, PROMPT_WAIT_MS),
    };
  });
  return {
    close: () => {
      sup.off('prompt', onPrompt);
      if (pending) clearTimeout(pending.cancel);
      lines.close();
    },
  };
}
