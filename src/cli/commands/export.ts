import { existsSync, mkdirSync } from 'node:fs';
import { writeReplacing } from '../../util/safe-file.js';
import path from 'node:path';
import { FbenchError, formatWarning } from '../../errors.js';
import { renderCompose } from '../../export/compose.js';
import { containerFormation } from '../../export/containers.js';
import { kubernetesObjects, renderKubernetes } from '../../export/kubernetes.js';
import { productionPrograms } from '../../export/production.js';
import { renderProcfile } from '../../export/procfile.js';
import { renderSupervisor } from '../../export/supervisor.js';
import { renderSystemd, type UnitFile } from '../../export/systemd.js';
import { planBench, programOnPath } from '../../session/planning.js';
import { formationRequest, noteManager, type FormationOptions } from '../context.js';

export interface ExportOptions extends FormationOptions {
  output?: string;
  image?: string;
  benchDir: string;
  redisImage: string;
  force?: boolean;
  user?: string;
  queues?: string;
  count?: number;
}

const FORMATS = ['supervisor', 'systemd', 'procfile', 'compose', 'kubernetes'] as const;
const CONTAINERS = ['compose', 'kubernetes'];

/** `fbench export FORMAT`: the formation fbench runs, for production on one machine or on containers. */
export async function exportCommand(format: string, opts: ExportOptions): Promise<number> {
  noteManager(opts);
  if (!(FORMATS as readonly string[]).includes(format)) throw new FbenchError(`unknown export format "${format}"`, `formats: ${FORMATS.join(', ')}`);
  if (CONTAINERS.includes(format) && !opts.image)
    throw new FbenchError(
      `export ${format} needs --image: the bench's built image`,
      'for example --image ghcr.io/acme/erpnext-bench:v15 (frappe_docker style)',
    );
  const request = {
    ...formationRequest(opts),
    dev: false,
    ...(opts.queues ? { queues: { spec: opts.queues, ...(opts.count !== undefined ? { count: opts.count } : {}) } } : {}),
  };
  const { model, plan } = await planBench(request);
  // Program and unit names: the folder's name, with anything a config syntax could read as its own made a dash.
  const bench = path.basename(plan.bench).replace(/[^A-Za-z0-9_.-]/g, '-');
  if (CONTAINERS.includes(format)) {
    const o = { image: opts.image!, benchDir: opts.benchDir, redisImage: opts.redisImage };
    const { services, warnings } = containerFormation(plan, model, o);
    for (const w of warnings) process.stderr.write(`fbench: warning: ${formatWarning(w)}\n`);
    if (format === 'compose') return write([{ name: 'compose.yaml', text: renderCompose(bench, services, o) }], opts, false);
    const objects = kubernetesObjects(bench, services, o);
    if (!opts.output) return write([{ name: 'kubernetes.yaml', text: renderKubernetes(bench, objects) }], opts, false);
    return write(
      objects.map((k) => ({ name: `${k.kind.toLowerCase()}-${k.metadata.name}.yaml`, text: renderKubernetes(bench, [k]) })),
      opts,
      true,
    );
  }
  const gunicorn = path.join(plan.bench, 'env', 'bin', 'gunicorn');
  const { programs, warnings } = productionPrograms(plan, model, {
    gunicorn: existsSync(gunicorn) ? gunicorn : null,
    which: (program) => programOnPath(plan, program),
    exists: existsSync,
  });
  for (const w of warnings) process.stderr.write(`fbench: warning: ${formatWarning(w)}\n`);

  const user = opts.user ?? null;
  const files: UnitFile[] =
    format === 'supervisor'
      ? [{ name: `${bench}.conf`, text: renderSupervisor(bench, programs, user) }]
      : format === 'systemd'
        ? renderSystemd(bench, programs, user)
        : [{ name: 'Procfile', text: renderProcfile(plan) }];

  return write(files, opts, format === 'systemd');
}

/** To stdout, or under -o: a file, or for `folder` formats a folder of files; never over existing files without --force. */
function write(files: readonly UnitFile[], opts: ExportOptions, folder: boolean): number {
  if (!opts.output) {
    process.stdout.write(files.length === 1 ? files[0]!.text : files.map((f) => `# ---- ${f.name}\n${f.text}`).join('\n'));
    return 0;
  }
  const targets = folder
    ? files.map((f) => ({ file: path.resolve(opts.output!, f.name), text: f.text }))
    : [{ file: path.resolve(opts.output), text: files[0]!.text }];
  const existing = targets.filter((t) => existsSync(t.file));
  if (existing.length && !opts.force)
    throw new FbenchError(`${existing.map((t) => t.file).join(', ')} already exist${existing.length === 1 ? 's' : ''}`, 'pass --force to overwrite');
  for (const t of targets) {
    mkdirSync(path.dirname(t.file), { recursive: true });
    writeReplacing(t.file, t.text, 0o644);
    process.stdout.write(`wrote ${t.file}\n`);
  }
  return 0;
}
