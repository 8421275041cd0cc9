import { existsSync } from 'node:fs';
import { CONFIG_MAX_BYTES } from '../config/read-file.js';
import { readBounded } from '../util/safe-file.js';
import path from 'node:path';
import { programOnPath } from '../session/planning.js';
import { programOutput } from './run-program.js';
import { fail, ok, warn, type DoctorContext, type Finding } from './types.js';

const G = 'Node';

export async function checkNode(ctx: DoctorContext): Promise<Finding[]> {
  const out: Finding[] = [];
  // The Procfile's own line: the plan has already swapped a stale node for the one on PATH.
  const socketio = ctx.model.entries.find((e) => e.info.role === 'socketio');
  let node = programOnPath(ctx.plan, 'node');
  const program = socketio?.shape.argv[0];
  if (program && path.isAbsolute(program)) {
    if (!existsSync(program)) {
      out.push(
        warn(
          G,
          `the socketio line (Procfile:${socketio!.line}) names ${program}, which does not exist (node upgraded?)`,
          `run \`bench setup procfile\` to write the current node path; fbench falls back to ${node ?? 'the node on PATH'} meanwhile`,
        ),
      );
    } else node = program;
  }
  if (!node) return [...out, fail(G, 'no node on PATH', 'install Node.js (Frappe needs it for socketio and asset builds)')];
  const run = await programOutput(node, ['--version'], 3000);
  if (!run.ok) return [...out, fail(G, `${node} does not run (${run.why})`, 'reinstall Node.js or fix the path')];
  const version = run.stdout.trim();

  const required = engines(ctx.dir);
  if (required) {
    const min = minVersion(required);
    if (min && compare(version.replace(/^v/, ''), min) < 0)
      out.push(fail(G, `${node} is ${version}, but apps/frappe needs node ${required}`, `install node ${min} or newer (nvm install ${min.split('.')[0]})`));
    else out.push(ok(G, `${node} ${version} (apps/frappe needs ${required})`));
  } else out.push(ok(G, `${node} ${version}`));
  return out;
}

function engines(dir: string): string | null {
  try {
    const pkg = JSON.parse(readBounded(path.join(dir, 'apps', 'frappe', 'package.json'), { maxBytes: CONFIG_MAX_BYTES }).toString('utf8')) as {
      engines?: { node?: string };
    };
    return pkg.engines?.node ?? null;
  } catch {
    return null;
  }
}

/** The lowest version a range like ">=18", "^18.12.0" or ">=18 <21" accepts. */
export function minVersion(range: string): string | null {
  const m = /(?:>=|\^|~|=|^)\s*v?(\d+)(?:\.(\d+))?(?:\.(\d+))?/.exec(range.trim());
  return m ? `${m[1]}.${m[2] ?? 0}.${m[3] ?? 0}` : null;
}

export function compare(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < 3; i++) if ((pa[i] ?? 0) !== (pb[i] ?? 0)) return (pa[i] ?? 0) - (pb[i] ?? 0);
  return 0;
}
