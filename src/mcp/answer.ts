import { FbenchError, formatError } from '../errors.js';

/** The most any answer holds: an agent's context is small, a bench's logs are not. */
export const ANSWER_BYTES = 32 * 1024;

export type Answer = { content: { type: 'text'; text: string }[]; isError?: boolean };

/** Text within ANSWER_BYTES: the end kept (the newest lines), what was cut said first. Pure. */
export function bounded(text: string, budget = ANSWER_BYTES): string {
  if (Buffer.byteLength(text) <= budget) return text;
  const lines = text.split('\n');
  const kept: string[] = [];
  let bytes = 200; // room for the note
  for (let i = lines.length - 1; i >= 0 && bytes + Buffer.byteLength(lines[i]!) + 1 <= budget; i--) {
    kept.unshift(lines[i]!);
    bytes += Buffer.byteLength(lines[i]!) + 1;
  }
  const cut = lines.length - kept.length;
  if (kept.length === 0) return `${text.slice(0, budget / 4)}\n[… cut: the answer is kept under ${budget / 1024} KB]`;
  return `[… ${cut} earlier line${cut === 1 ? '' : 's'} cut: the answer is kept under ${budget / 1024} KB; ask for fewer]\n${kept.join('\n')}`;
}

export const text = (t: string): Answer => ({ content: [{ type: 'text', text: bounded(t) }] });
export const json = (v: unknown): Answer => text(JSON.stringify(v, null, 2));
export const refusal = (t: string): Answer => ({ content: [{ type: 'text', text: bounded(t) }], isError: true });

/** Any failure as the tool's answer, in fbench's words (never a stack trace, never a hang). */
export async function answerWith(fn: () => Promise<Answer>): Promise<Answer> {
  try {
    return await fn();
  } catch (err) {
    return refusal(err instanceof FbenchError ? formatError(err) : err instanceof Error ? err.message : String(err));
  }
}

/** What every tool gets: the bench, and how its answer is made (or refused, outside a bench). */
export interface ToolContext {
  bench: string;
  answer(fn: () => Promise<Answer>): Promise<Answer>;
}

/** A tool that only looks. */
export const READS = { readOnlyHint: true, openWorldHint: false } as const;
/** A tool that acts on the bench. */
export const ACTS = { readOnlyHint: false, destructiveHint: false, openWorldHint: false } as const;
