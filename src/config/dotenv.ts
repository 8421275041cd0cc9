import { parseEnv } from 'node:util';
import type { Warning } from '../errors.js';

export interface ParsedEnv {
  values: Record<string, string>;
  warnings: Warning[];
}

const ASSIGNMENT = /^\s*(?:export\s+)?[A-Za-z_][A-Za-z0-9_.-]*\s*=/;

/**
 * Parse a .env file with Node's own dotenv parser (util.parseEnv), after setting aside
 * lines that are not assignments: parseEnv would glue such a line onto the next key.
 * Pure.
 */
export function parseDotenv(text: string, file = '.env'): ParsedEnv {
  const warnings: Warning[] = [];
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  const kept: string[] = [];
  let openQuote: string | null = null;

  lines.forEach((raw, i) => {
    if (openQuote) {
      kept.push(raw);
      if (closesQuote(raw, openQuote)) openQuote = null;
      return;
    }
    const trimmed = raw.trim();
    if (trimmed === '' || trimmed.startsWith('#')) {
      kept.push('');
      return;
    }
    if (!ASSIGNMENT.test(raw)) {
      warnings.push({ file, line: i + 1, message: `ignored: not a KEY=value line (${JSON.stringify(trimmed.slice(0, 60))})` });
      kept.push('');
      return;
    }
    kept.push(raw);
    const value = raw.slice(raw.indexOf('=') + 1).trimStart();
    const q = value[0];
    if ((q === '"' || q === "'" || q === '`') && !closesQuote(value.slice(1), q)) openQuote = q;
  });

  const values: Record<string, string> = {};
  for (const [k, v] of Object.entries(parseEnv(kept.join('\n')))) if (typeof v === 'string') values[k] = v;
  return { values, warnings };
}

function closesQuote(s: string, quote: string): boolean {
  for (let i = 0; i < s.length; i++) {
    if (s[i] === '\\' && quote === '"') i++;
    else if (s[i] === quote) return true;
  }
  return false;
}
