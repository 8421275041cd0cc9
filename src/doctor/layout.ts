import { accessSync, constants, existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { parseBenchToml } from '../config/bench-toml.js';
import { parseJson } from '../config/json-file.js';
import { readTextFile } from '../config/read-file.js';
import { parseProcfile } from '../config/procfile.js';
import { FbenchError, formatLocation, formatWarning } from '../errors.js';
import { benchLayout } from '../frappe/layout.js';
import { fail, ok, warn, type Finding } from './types.js';

const G = 'Layout';

/** Checks that need no parsed bench: run first, and they say why the rest may be skipped. */
export function checkLayout(dir: string, procfileOption?: string): Finding[] {
  const out: Finding[] = [];
  const layout = benchLayout(dir)!;
  const procfileName = procfileOption ?? path.relative(dir, layout.procfile);
  const procfile = path.resolve(dir, procfileName);
  if (layout.benchToml) {
    try {
      const toml = parseBenchToml(readTextFile(layout.benchToml, 'bench.toml', 'restore it'));
      out.push(
        ok(
          G,
          `bench.toml: the new bench CLI's bench${toml.name ? ` "${toml.name}"` : ''} (web :${toml.httpPort}, Redis :${toml.redis.cachePort}/:${toml.redis.queuePort})`,
        ),
      );
    } catch (err) {
      const e = err as FbenchError;
      out.push(fail(G, `${e.location ? `${formatLocation(e.location)}: ` : ''}${e.message}`, e.hint ?? 'fix bench.toml'));
    }
  }
  try {
    const parsed = parseProcfile(readTextFile(procfile, procfileName, `run \`${layout.regenerate}\``), procfileName);
    out.push(ok(G, `${procfileName}: ${parsed.entries.length} processes (${parsed.entries.map((e) => e.name).join(', ')})`));
    for (const w of parsed.warnings) out.push(warn(G, formatWarning(w), 'fix or remove the line: honcho and bench start ignore it silently'));
  } catch (err) {
    out.push(
      fail(
        G,
        err instanceof FbenchError ? `${err.location ? `${formatLocation(err.location)}: ` : ''}${err.message}` : `Procfile: ${(err as Error).message}`,
        err instanceof FbenchError && err.hint ? err.hint : `run \`${layout.regenerate}\``,
      ),
    );
  }

  const csc = path.join(dir, 'sites', 'common_site_config.json');
  if (!existsSync(csc)) out.push(warn(G, 'sites/common_site_config.json is missing: bench defaults apply', 'run `bench setup config` or restore the file'));
  else out.push(jsonFinding(csc, 'sites/common_site_config.json'));

  const sitesDir = path.join(dir, 'sites');
  for (const d of readdirSync(sitesDir, { withFileTypes: true })) {
    if (!d.isDirectory() || d.name === 'assets' || d.name.startsWith('.')) continue;
    const sc = path.join(sitesDir, d.name, 'site_config.json');
    if (!existsSync(sc))
      out.push(warn(G, `sites/${d.name}/ has no site_config.json: not a site`, `remove the folder, or restore sites/${d.name}/site_config.json`));
    else {
      const f = jsonFinding(sc, `sites/${d.name}/site_config.json`);
      if (f.status !== 'ok') out.push(f);
    }
  }

  const appsTxt = path.join(sitesDir, 'apps.txt');
  if (existsSync(appsTxt)) {
    let text = '';
    try {
      text = readTextFile(appsTxt, 'sites/apps.txt', 'restore it: one installed app per line');
    } catch (err) {
      const e = err as FbenchError;
      out.push(fail(G, `sites/apps.txt ${e.message}`, e.hint ?? ''));
    }
    const apps = text
      .split(/\r?\n/)
      .map((s) => s.trim())
      .filter(Boolean);
    const missing = apps.filter((a) => !isDir(path.join(dir, 'apps', a)));
    if (text)
      out.push(
        missing.length
          ? fail(G, `sites/apps.txt lists ${missing.join(', ')}, missing from apps/`, `\`bench get-app ${missing[0]}\`, or remove it from sites/apps.txt`)
          : ok(G, `sites/apps.txt: ${apps.join(', ')} present in apps/`),
      );
  } else out.push(warn(G, 'sites/apps.txt is missing', 'it lists the installed apps; `bench setup` recreates it'));

  // Frappe's processes write into logs/ (they fail without it); fbench makes its own folder for pid files.
  out.push(writableFolder(dir, 'logs', false));
  out.push(writableFolder(dir, path.relative(dir, layout.pidsDir), true));
  return out;
}

/** Whether a folder of the bench is there and writable; one fbench `makes` needs only its nearest existing parent writable. */
function writableFolder(dir: string, rel: string, makes: boolean): Finding {
  let at = rel;
  while (!isDir(path.join(dir, at))) {
    if (!makes) return fail(G, `${rel}/ is missing`, `mkdir -p ${rel}`);
    at = path.dirname(at);
  }
  try {
    accessSync(path.join(dir, at), constants.W_OK);
    return ok(G, at === rel ? `${rel}/ is writable` : `${rel}/ is made at start (${at === '.' ? 'the bench folder' : `${at}/`} is writable)`);
  } catch {
    return fail(
      G,
      `${at === '.' ? 'the bench folder' : `${at}/`} is not writable by this user${at === rel ? '' : `: fbench cannot make ${rel}/`}`,
      `chown -R $USER ${at}`,
    );
  }
}

function jsonFinding(file: string, rel: string): Finding {
  try {
    parseJson(readTextFile(file, rel, 'restore the file'), rel);
    return ok(G, `${rel} is valid JSON`);
  } catch (err) {
    const e = err as FbenchError;
    return fail(G, `${e.location ? formatLocation(e.location) : rel}: ${e.message}`, e.hint ?? 'fix the file');
  }
}

function isDir(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}
