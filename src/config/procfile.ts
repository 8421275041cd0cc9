import { FbenchError, type Warning } from '../errors.js';

export interface ProcfileEntry {
  name: string;
  command: string;
  /** 1-based line in the Procfile, for messages. */
  line: number;
}

export interface ParsedProcfile {
  entries: ProcfileEntry[];
  warnings: Warning[];
}

// honcho's grammar (procfile.py): a name of [A-Za-z0-9_-] and a colon, then the command.
const ENTRY = /^([A-Za-z0-9_-]+):\s*(.+)$/;

/** Parse a Procfile as honcho does, but say what honcho silently drops. Pure. */
export function parseProcfile(text: string, file = 'Procfile'): ParsedProcfile {
  const entries: ProcfileEntry[] = [];
  const warnings: Warning[] = [];
  const seen = new Map<string, number>();
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);

  lines.forEach((raw, i) => {
    const line = i + 1;
    const trimmed = raw.trim();
    if (trimmed === '' || trimmed.startsWith('#')) return;
    const m = ENTRY.exec(raw.trimEnd());
    if (!m) {
      warnings.push({
        file,
        line,
        message: `ignored: not a "name: command" line (${JSON.stringify(truncate(trimmed))}); names may use only letters, digits, "_" and "-"`,
      });
      return;
    }
    const name = m[1]!;
    const command = m[2]!.trim();
    const first = seen.get(name);
    if (first !== undefined) {
      throw new FbenchError(`duplicate process name "${name}" (lines ${first} and ${line})`, 'rename or remove one of them; honcho refuses this Procfile too', {
        file,
        line,
      });
    }
    seen.set(name, line);
    entries.push({ name, command, line });
  });

  if (entries.length === 0 && warnings.length > 0) {
    const first = warnings[0]!;
    throw new FbenchError(
      `the Procfile defines no processes: ${first.message}`,
      'write each process as `name: command`, for example `web: bench serve --port 8000`',
      { file, line: first.line! },
    );
  }
  if (entries.length === 0) {
    throw new FbenchError(
      'the Procfile defines no processes',
      'run `bench setup procfile` to regenerate it, or add lines like `web: bench serve --port 8000`',
      { file },
    );
  }
  return { entries, warnings };
}

function truncate(s: string): string {
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}
