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

/** Where a member of a JSON text's top-level object is: its key, and the span of its value. */
export interface JsonMember {
  key: string;
  valueStart: number;
  valueEnd: number;
}

const ws = (text: string, i: number): number => {
  while (i < text.length && /[\s\uFEFF]/.test(text[i]!)) i++;
  return i;
};

/** The index after the string that starts at `i`. */
function endOfString(text: string, i: number): number {
  for (i++; i < text.length && text[i] !== '"'; i++) if (text[i] === '\\') i++;
  return i + 1;
}

/** The index after the value that starts at `i`: a string, an object or array (whole), or a literal. */
function endOfValue(text: string, i: number): number {
  if (text[i] === '"') return endOfString(text, i);
  if (text[i] === '{' || text[i] === '[') {
    let depth = 0;
    for (; i < text.length; i++) {
      const c = text[i]!;
      if (c === '"') i = endOfString(text, i) - 1;
      else if (c === '{' || c === '[') depth++;
      else if ((c === '}' || c === ']') && --depth === 0) return i + 1;
    }
    return i;
  }
  while (i < text.length && !/[\s,}\]]/.test(text[i]!)) i++;
  return i;
}

/** The members of the top-level object of a JSON text (valid JSON assumed), in order, with where each value is. Pure. */
export function jsonMembers(text: string): JsonMember[] {
  let i = ws(text, 0);
  if (text[i] !== '{') return [];
  const out: JsonMember[] = [];
  for (i = ws(text, i + 1); text[i] === '"';) {
    const keyEnd = endOfString(text, i);
    const key = JSON.parse(text.slice(i, keyEnd)) as string;
    const valueStart = ws(text, ws(text, keyEnd) + 1); // after the colon
    const valueEnd = endOfValue(text, valueStart);
    out.push({ key, valueStart, valueEnd });
    i = ws(text, valueEnd);
    if (text[i] !== ',') break;
    i = ws(text, i + 1);
  }
  return out;
}

/**
 * The JSON text with these top-level members set (raw JSON values), everything else as it was:
 * a member there keeps its place, a new one goes last with the indentation of the others. Pure.
 */
export function setJsonMembers(text: string, values: Readonly<Record<string, string>>): string {
  const members = jsonMembers(text);
  let out = text;
  for (const m of [...members].reverse()) if (Object.hasOwn(values, m.key)) out = out.slice(0, m.valueStart) + values[m.key] + out.slice(m.valueEnd);
  const added = Object.keys(values).filter((k) => !members.some((m) => m.key === k));
  if (added.length === 0) return out;
  const indent = members.length ? (/\n([ \t]*)"[^"]*"\s*:/.exec(text)?.[1] ?? ' ') : ' ';
  const close = out.lastIndexOf('}');
  const before = out.slice(0, close).replace(/\s*$/, '');
  const items = added.map((k) => `${indent}${JSON.stringify(k)}: ${values[k]}`).join(',\n');
  return `${before}${members.length ? ',' : ''}\n${items}\n${out.slice(close)}`;
}
