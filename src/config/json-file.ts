import { FbenchError } from '../errors.js';

/** JSON.parse, but a syntax error names the file, line and column. Pure. */
export function parseJson(text: string, file: string): unknown {
  try {
    return JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (err) {
    const message = (err as Error).message;
    const pos = /position (\d+)/.exec(message);
    const offset = pos ? Number(pos[1]) : text.length;
    const before = text.slice(0, offset).split('\n');
    // Node quotes the whole text in some messages ("…" is not valid JSON): keep one short line.
    const what = message
      .replace(/, ".*" is not valid JSON$/s, '')
      .replace(/ in JSON at position \d+.*$/s, '')
      .replace(/^JSON\.parse: /, '')
      .split('\n')[0]!;
    throw new FbenchError(`invalid JSON: ${what}`, 'fix the JSON syntax (a trailing comma or a missing quote is the usual cause); nothing was started', {
      file,
      line: before.length,
      column: before[before.length - 1]!.length + 1,
    });
  }
}
