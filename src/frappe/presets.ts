import { existsSync, readdirSync } from 'node:fs';
import { readTextFile } from '../config/read-file.js';
import path from 'node:path';
import { FbenchError } from '../errors.js';
import { packageRoot } from '../paths.js';
import { parsePreset, type Preset } from './preset-file.js';

/** Presets shipped with fbench. */
export const SHIPPED_PRESETS = path.join(packageRoot(), 'presets');
/** A bench's own presets, which override shipped ones by name. */
export const BENCH_PRESETS = path.join('config', 'fbench', 'presets');

export interface PresetRef {
  name: string;
  file: string;
  origin: 'shipped' | 'bench';
}

/** The shipped presets and (with a bench) the bench's own. */
export function listPresets(benchDir: string | null): PresetRef[] {
  const found = new Map<string, PresetRef>();
  const scan = (dir: string, origin: PresetRef['origin']): void => {
    if (!existsSync(dir)) return;
    for (const f of readdirSync(dir).sort()) {
      const m = /^([A-Za-z0-9_.-]+)\.ya?ml$/.exec(f);
      if (m) found.set(m[1]!, { name: m[1]!, file: path.join(dir, f), origin });
    }
  };
  scan(SHIPPED_PRESETS, 'shipped');
  if (benchDir !== null) scan(path.join(benchDir, BENCH_PRESETS), 'bench');
  return [...found.values()].sort((a, b) => a.name.localeCompare(b.name));
}

export function loadPreset(name: string, benchDir: string | null): Preset {
  const refs = listPresets(benchDir);
  const ref = refs.find((r) => r.name === name);
  if (!ref) {
    throw new FbenchError(`unknown preset "${name}"`, `presets: ${refs.map((r) => r.name).join(', ')} (add your own as ${BENCH_PRESETS}/${name}.yaml)`);
  }
  const shown = benchDir === null || path.relative(benchDir, ref.file).startsWith('..') ? ref.file : path.relative(benchDir, ref.file);
  return parsePreset(name, readTextFile(ref.file, shown, 'make it a readable YAML file, or remove it'), shown);
}
