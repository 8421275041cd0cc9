/** A redirection of one of the command's output streams to a file. */
export interface Redirect {
  fd: 1 | 2;
  file: string;
  append: boolean;
}

/** What a Procfile command line says, read the way sh would read its first simple command. */
export interface CommandShape {
  /** `A=B` words in front of the program. */
  env: Record<string, string>;
  /** Program and arguments, quotes removed, redirections taken out. */
  argv: string[];
  redirects: Redirect[];
  /** True when the line has `|`, `&&`, `;` or the like: the fields then describe its last command. */
  compound: boolean;
}

const ASSIGN = /^[A-Za-z_][A-Za-z0-9_]*=/;
const REDIRECT = /^(\d*|&)(>>|>)(&?)(.*)$/;
const OPERATORS = new Set(['|', '||', '&&', ';', '&']);
/** Words that only the shell itself can run: `exec` cannot stand before them. */
export const SHELL_ONLY: ReadonlySet<string> = new Set(
  'exec : . break continue eval exit export readonly return set shift times trap unset cd wait read source alias unalias umask ulimit getopts hash type local command jobs fg bg if while until for case ! { [[ function'.split(
    ' ',
  ),
);

/** A shell word and where it starts and ends in the line. */
interface Token {
  word: string;
  start: number;
  end: number;
}

/** Split a command line into shell words. Handles quotes and backslashes, not expansions. */
export function shellWords(line: string): string[] {
  return shellTokens(line).map((t) => t.word);
}

function shellTokens(line: string): Token[] {
  const words: Token[] = [];
  let cur = '';
  let inWord = false;
  let start = 0;
  const push = (end: number): void => {
    words.push({ word: cur, start, end });
  };
  for (let i = 0; i < line.length; i++) {
    if (!inWord) start = i;
    const c = line[i]!;
    if (c === "'") {
      const end = line.indexOf("'", i + 1);
      cur += line.slice(i + 1, end === -1 ? undefined : end);
      i = end === -1 ? line.length : end;
      inWord = true;
    } else if (c === '"') {
      i++;
      while (i < line.length && line[i] !== '"') {
        if (line[i] === '\\' && i + 1 < line.length && '"\\$`'.includes(line[i + 1]!)) i++;
        cur += line[i];
        i++;
      }
      inWord = true;
    } else if (c === '\\' && i + 1 < line.length) {
      cur += line[++i];
      inWord = true;
    } else if (c === ' ' || c === '\t') {
      if (inWord) push(i);
      cur = '';
      inWord = false;
    } else if (c === ';' || c === '|' || c === '&') {
      // `2>&1` keeps its `&`, and so do `&>` / `&>>` (both streams); elsewhere these are operators.
      if (c === '&' && (/\d?>$/.test(cur) || (!inWord && line[i + 1] === '>'))) {
        if (!inWord) start = i;
        inWord = true;
        cur += c;
        continue;
      }
      if (inWord) push(i);
      const two = line.slice(i, i + 2);
      const op = two === '&&' || two === '||' ? two : c;
      words.push({ word: op, start: i, end: i + op.length });
      i += op.length - 1;
      cur = '';
      inWord = false;
    } else {
      cur += c;
      inWord = true;
    }
  }
  if (inWord) push(line.length);
  return words;
}

/**
 * Read a command line as sh would: assignments, program, arguments, redirections. In a
 * compound line (`cd apps && bench watch`) the last command is the one that keeps running,
 * so that is the one described. Pure.
 */
export function analyzeCommand(line: string): CommandShape {
  const words = shellWords(line);
  let env: Record<string, string> = {};
  let argv: string[] = [];
  let redirects: Redirect[] = [];
  let compound = false;

  for (let i = 0; i < words.length; i++) {
    const w = words[i]!;
    if (OPERATORS.has(w)) {
      compound = true;
      if (i + 1 < words.length) {
        env = {};
        argv = [];
        redirects = [];
      }
      continue;
    }
    const r = REDIRECT.exec(w);
    if (r) {
      if (r[3] === '&') continue; // fd duplication (2>&1): no file
      let target = r[4]!;
      if (target === '' && i + 1 < words.length) target = words[++i]!;
      for (const fd of r[1] === '&' ? [1, 2] : [r[1] === '' ? 1 : Number(r[1])]) {
        if (fd === 1 || fd === 2) redirects.push({ fd, file: target, append: r[2] === '>>' });
      }
      continue;
    }
    if (argv.length === 0 && ASSIGN.test(w)) {
      const eq = w.indexOf('=');
      env[w.slice(0, eq)] = w.slice(eq + 1);
      continue;
    }
    argv.push(w);
  }
  return { env, argv, redirects, compound };
}

/**
 * The line as sh should run it so that the pid fbench watches is the program itself: a simple
 * command gets `exec` before its program (after any `A=B` words, which dash then exports to it);
 * a compound line (pipes, lists, subshells) stays as written. Pure.
 */
export function execForm(line: string): string {
  const tokens = shellTokens(line);
  if (tokens.some((t) => OPERATORS.has(t.word))) return line;
  for (let i = 0; i < tokens.length; i++) {
    const w = tokens[i]!.word;
    const r = REDIRECT.exec(w);
    if (r) {
      if (r[4] === '' && r[3] !== '&') i++; // `> file`: the target is the next word
      continue;
    }
    if (ASSIGN.test(w)) continue;
    // A subshell or group (`(cd x; y)`, `{ a; }`) is the shell's own business.
    if (SHELL_ONLY.has(w) || /^[({]/.test(line.slice(tokens[i]!.start))) return line;
    return `${line.slice(0, tokens[i]!.start)}exec ${line.slice(tokens[i]!.start)}`;
  }
  return line;
}

/** Where one output stream of a command goes when fbench runs it: fbench shows it (and appends it to `file`), or nobody reads it. */
export type OutputTarget = { file: string; append: boolean } | 'discard' | 'fbench';

/** A simple command's output redirections, taken over by fbench: the command without them, and each stream's target. */
export interface OwnedOutput {
  command: string;
  stdout: OutputTarget;
  stderr: OutputTarget;
}

/**
 * Take a simple command's redirections of stdout and stderr out of the line, as sh would apply
 * them (in order, `2>&1` copying where fd 1 points at that moment), so that fbench reads both
 * streams itself and writes the files. Null when nothing goes to a file, or when the line is
 * compound and the shell keeps them. Pure.
 */
export function ownOutput(line: string): OwnedOutput | null {
  const tokens = shellTokens(line);
  if (tokens.some((t) => OPERATORS.has(t.word))) return null;
  const target: Record<1 | 2, OutputTarget> = { 1: 'fbench', 2: 'fbench' };
  const cut: [number, number][] = [];
  let toFile = false;
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    const r = REDIRECT.exec(t.word);
    if (!r) continue;
    const fds = r[1] === '&' ? [1, 2] : [r[1] === '' ? 1 : Number(r[1])];
    if (!fds.every((fd) => fd === 1 || fd === 2)) {
      if (r[4] === '' && r[3] !== '&') i++;
      continue; // another fd: the shell keeps it
    }
    let word = r[4]!;
    let end = t.end;
    if (word === '' && i + 1 < tokens.length) {
      word = tokens[++i]!.word;
      end = tokens[i]!.end;
    }
    let to: OutputTarget;
    if (r[3] === '&') {
      if (word === '1' || word === '2') to = target[Number(word) as 1 | 2];
      else if (word === '-') to = 'discard';
      else return null; // `>&file` or an fd fbench does not read: leave it to the shell
    } else if (word === '/dev/null') to = 'discard';
    else {
      to = { file: word, append: r[2] === '>>' };
      toFile = true;
    }
    for (const fd of fds as (1 | 2)[]) target[fd] = to;
    cut.push([t.start, end]);
  }
  if (!toFile) return null;
  let command = '';
  let from = 0;
  for (const [a, b] of cut) {
    command += line.slice(from, a);
    from = b;
  }
  command = (command + line.slice(from)).replace(/\s+/g, ' ').trim();
  return { command, stdout: target[1], stderr: target[2] };
}

/** The value of `--name N`, `--name=N` or a short alias in argv, if present. */
export function optionValue(argv: readonly string[], ...names: string[]): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    for (const n of names) {
      if (a === n && i + 1 < argv.length) return argv[i + 1];
      if (a.startsWith(`${n}=`)) return a.slice(n.length + 1);
    }
  }
  return undefined;
}

/** Quote a word for sh when it needs it. */
export function shellQuote(word: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}
