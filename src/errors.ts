/** Where a problem is: a file, and the line/column in it when known. */
export interface SourceLocation {
  file: string;
  line?: number;
  column?: number;
}

/** A problem in the input that does not stop fbench (honcho would have ignored it silently). */
export interface Warning extends SourceLocation {
  message: string;
}

/**
 * An error the user can act on: what is wrong, where, and what to do.
 * Everything else that escapes is a bug and is printed with its stack.
 */
export class FbenchError extends Error {
  constructor(
    message: string,
    readonly hint?: string,
    readonly location?: SourceLocation,
    readonly exitCode = 1,
  ) {
    super(message);
    this.name = 'FbenchError';
  }
}

export function formatLocation(loc: SourceLocation): string {
  let s = loc.file;
  if (loc.line !== undefined) s += `:${loc.line}`;
  if (loc.column !== undefined) s += `:${loc.column}`;
  return s;
}

export function formatWarning(w: Warning): string {
  return `${formatLocation(w)}: ${w.message}`;
}

export function formatError(err: FbenchError): string {
  const where = err.location ? `${formatLocation(err.location)}: ` : '';
  // One line: where, what is wrong, what to do.
  return err.hint ? `${where}${err.message} → ${err.hint}` : `${where}${err.message}`;
}

/** The end of a switch that names every case: a value added to the union breaks the compile there. */
export function unreachable(x: never): never {
  throw new Error(`unreachable: ${String(x)}`);
}
