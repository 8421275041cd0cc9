/** honcho's palette order: one colour per process, cycling. */
const PALETTE = [36, 33, 32, 35, 31, 34, 96, 93, 92, 95, 91, 94];
export const SYSTEM_COLOR = 37;

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
  return isTTY;
}
