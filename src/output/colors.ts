/** One colour per process, cycling: none that reads as a warning (yellow) or an error (red). */
const PALETTE = [36, 32, 35, 34, 96, 92, 95, 94];
export const SYSTEM_COLOR = 37;
/** fbench's own warnings and errors. */
export const WARN_COLOR = 33;
export const ERROR_COLOR = 31;

export function colorFor(index: number): number {
  return PALETTE[index % PALETTE.length]!;
}

export function paint(text: string, code: number): string {
  return `\x1b[${code}m${text}\x1b[0m`;
}

/** Colours on a TTY, unless NO_COLOR; FORCE_COLOR turns them on anywhere (https://no-color.org). */
export function useColor(isTTY: boolean, env: Readonly<Record<string, string | undefined>>, flag: boolean | undefined): boolean {
  if (flag === false) return false;
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '0' && env.FORCE_COLOR !== 'false') return true;
  return isTTY && !dumbTerminal(env);
}

/**
 * `TERM=dumb`: a terminal that moves no cursor and shows no colour (Emacs' shell and compile
 * buffers): no animation, no colour, as NO_COLOR. Pure.
 */
export function dumbTerminal(env: Readonly<Record<string, string | undefined>>): boolean {
  return env.TERM === 'dumb';
}

/**
 * What children are told when fbench's own output is a colour terminal: their output reaches
 * it through a pipe, so they would drop their colours otherwise. A variable the user set wins.
 */
export function colorEnv(color: boolean, env: Readonly<Record<string, string | undefined>>): Record<string, string> {
  if (!color) return {};
  return { ...(env.FORCE_COLOR === undefined ? { FORCE_COLOR: '1' } : {}), ...(env.CLICOLOR_FORCE === undefined ? { CLICOLOR_FORCE: '1' } : {}) };
}
