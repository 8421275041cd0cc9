import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { mayHoldCode } from '../frappe/code-watch.js';
import { blindToOutsideEdits, mountsOf } from '../runtime/mount-table.js';
import { plural } from '../util/plural.js';
import { realPath } from '../util/real-path.js';
import { ok, warn, type DoctorContext, type Finding } from './types.js';

const G = 'Reload';

/** The folders under apps/ that code reload watches (one inotify watch each). */
export function codeFolders(apps: string): number {
  let n = 0;
  const walk = (dir: string): void => {
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    n++;
    for (const e of entries) if (e.isDirectory() && mayHoldCode(e.name)) walk(path.join(dir, e.name));
  };
  walk(apps);
  return n;
}

/** Code reload's watch budget: the folders it watches against the system's fs.inotify.max_user_watches. */
export function checkWatches(ctx: DoctorContext): Finding[] {
  const apps = path.join(ctx.dir, 'apps');
  const folders = codeFolders(apps);
  if (folders === 0) return [ok(G, 'no apps/ folder: nothing to watch for code changes')];
  return [...checkMounts(ctx.dir, apps), ...checkBudget(folders)];
}

/** Where apps/ lives: a mount that file events do not cross is polled (said), and WSL's Windows drives are slow and unwatched. */
function checkMounts(bench: string, apps: string): Finding[] {
  const out: Finding[] = [];
  for (const m of mountsOf(apps).filter((x) => blindToOutsideEdits(x.type))) {
    const where = apps.startsWith(`${m.point}${path.sep}`) || m.point === apps ? 'apps/' : path.relative(bench, m.point);
    out.push(
      ok(
        G,
        `${where} is on ${m.type}: edits made outside this machine (the host's editor) raise no file event there, so fbench start polls it for .py changes`,
      ),
    );
  }
  if (onWsl() && /^\/mnt\/[a-z]\//.test(`${realPath(apps)}/`))
    out.push(
      warn(
        G,
        `this bench is on a Windows drive under WSL (${realPath(bench)}): file access there is slow and file events do not come`,
        'move the bench into the Linux file system (e.g. ~/frappe-bench) and open it from there',
      ),
    );
  return out;
}

function onWsl(): boolean {
  try {
    return /microsoft/i.test(readFileSync('/proc/version', 'utf8'));
  } catch {
    return false;
  }
}

function checkBudget(folders: number): Finding[] {
  let limit: number;
  try {
    limit = Number(readFileSync('/proc/sys/fs/inotify/max_user_watches', 'utf8'));
  } catch {
    return [ok(G, `${plural(folders, 'folder')} under apps/ to watch for .py changes`)];
  }
  const line = `${plural(folders, 'folder')} under apps/ to watch for .py changes; the system allows ${limit} watches for this user (shared with editors and other tools)`;
  if (folders > limit)
    return [
      warn(
        G,
        `${line}: they will not fit, and fbench polls the rest (changes there are seen seconds late)`,
        `raise the limit: \`sudo sysctl fs.inotify.max_user_watches=524288\` (and add it to /etc/sysctl.conf)`,
      ),
    ];
  return [ok(G, line)];
}
