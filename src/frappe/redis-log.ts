import { readFileSync } from 'node:fs';
/** Redis's own log line without its `pid:role date time level` prefix, and its level. */
function parse(line: string): { level: string; text: string } {
  const m = /^\d+:[A-Z] \d+ \w+ \d+ [\d:.]+ ([.\-*#]) (.*)$/.exec(line);
  return m ? { level: m[1]!, text: m[2]! } : { level: '', text: line };
}

/** The lines every Redis prints while it starts: kept for `fbench logs`, folded into fbench's own "ready" line. */
const BOOT = [
  /^oO0OoO0OoO0Oo Redis is starting/,
  /^Redis version=/,
  /^Configuration loaded/,
  /^monotonic clock:/,
  /^Running mode=/,
  /^Server initialized/,
  /^Ready to accept connections/,
  /^Loading RDB produced by/,
  /^RDB age /,
  /^RDB memory usage/,
  /^Done loading RDB/,
  /^DB loaded from disk/,
];

export function isRedisBootLine(line: string): boolean {
  const { text } = parse(line);
  return BOOT.some((re) => re.test(text));
}

/** Redis's advice about vm.overcommit_memory: a paragraph on every start of every Redis, said once by fbench instead. */
export function isOvercommitAdvice(line: string): boolean {
  return /^WARNING Memory overcommit must be enabled/.test(parse(line).text);
}

/** fbench's one line for that advice, when the kernel's setting calls for it (Redis warns when vm.overcommit_memory is 0). */
export function overcommitAdvice(): string | null {
  let value: string;
  try {
    value = readFileSync('/proc/sys/vm/overcommit_memory', 'utf8').trim();
  } catch {
    return null;
  }
  return value === '0'
    ? 'vm.overcommit_memory is 0: Redis may fail to save in the background when memory is short (each Redis says so in its log) → `sudo sysctl vm.overcommit_memory=1`'
    : null;
}

/** The version a Redis printed while starting, when it did. */
export function redisVersion(lines: readonly string[]): string | null {
  for (const l of lines) {
    const m = /^Redis version=([\w.]+)/.exec(parse(l).text);
    if (m) return m[1]!;
  }
  return null;
}

/**
 * The one line that says why a Redis did not start: its last warning-level line that is
 * neither boot nor the memory-overcommit advice (a port already taken names the reason in
 * the line before "Failed listening … aborting"). Null when it said nothing of the kind.
 */
export function decisiveRedisLine(lines: readonly string[]): string | null {
  const fatal = lines.findIndex((l) => /\*\*\* FATAL CONFIG FILE ERROR/.test(l));
  if (fatal !== -1) {
    // Its block: the line of the conf, the directive quoted, the reason; one line of them.
    const [at, directive, ...why] = lines.slice(fatal + 1, fatal + 5).map((l) => l.trim());
    const line = /at line (\d+)/.exec(at ?? '')?.[1];
    return `FATAL CONFIG FILE ERROR${line ? ` at line ${line}` : ''}: ${directive?.replace(/^>>> /, '') ?? ''}: ${why.filter(Boolean).join(' ') || 'no reason given'}`;
  }
  const said = lines
    .map(parse)
    .filter((l) => l.level === '#' && !BOOT.some((re) => re.test(l.text)) && !/^WARNING /.test(l.text))
    .map((l) => l.text);
  const last = said.at(-1);
  if (last === undefined) return lines.length ? parse(lines.at(-1)!).text : null;
  if (/^Failed listening on port/.test(last)) return [...said].reverse().find((t) => /Could not create server TCP listening socket/.test(t)) ?? last;
  return last;
}

/** What the bench's paths are, for the fix of a Redis that did not start. */
export interface RedisFiles {
  port: number | null;
  aclfile: string | null;
  /** Whether the aclfile is there (a bad line in it is another fix than a missing file). */
  aclfileExists?: boolean;
  dir: string | null;
  conf: string | null;
}

/** What to do about a Redis's decisive line, as `fbench doctor` would say it; null when fbench has nothing to add. */
export function redisFix(line: string, files: RedisFiles): string | null {
  if (/ACL/.test(line) && files.aclfile && files.aclfileExists)
    return `fix the line Redis names in ${files.aclfile} (each is \`user NAME on …\`), or write it again: \`bench setup redis\`, then \`bench create-rq-users\``;
  if (/ACL/.test(line) && files.aclfile)
    return `create ${files.aclfile} (\`echo "user default on nopass ~* &* +@all" > ${files.aclfile}\`), or run \`bench setup redis\``;
  if (/Address already in use/.test(line))
    return `another program holds port ${files.port ?? '?'}: stop it, or move this bench to free ports with \`fbench ports --reassign\``;
  if (/Can't chdir/.test(line)) return `the folder ${files.dir ?? 'named by dir'} does not exist: create it, or run \`bench setup redis\``;
  if (/loading (the )?DB|Short read|Bad file format/i.test(line))
    return `its data file in ${files.dir ?? 'its dir'} is damaged: move it away (the queue's jobs in it are lost), then start again`;
  const dir = /FATAL CONFIG FILE ERROR.*: 'dir "?([^"']*)"?': No such file or directory/.exec(line)?.[1];
  if (dir)
    return `the folder ${dir} named by dir in ${files.conf ?? 'its conf'} does not exist: create it (\`mkdir -p ${dir}\`), or write this bench's confs with \`bench setup redis\` (a moved or copied bench: \`fbench ports --reassign\`)`;
  if (/Bad directive|wrong number of arguments|FATAL CONFIG FILE ERROR/i.test(line))
    return `fix ${files.conf ?? 'its conf'} at the line Redis names, or run \`bench setup redis\``;
  return null;
}

/** Why a Redis with an ACL file refuses fbench's credentials, and what to do: its users are that file's. */
export function aclHint(aclfile: string): string {
  return `the users come from the aclfile ${aclfile}: run \`bench setup redis\`, then \`bench create-rq-users\``;
}
