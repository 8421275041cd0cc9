import type { ProductionProgram } from './production.js';

export interface UnitFile {
  name: string;
  text: string;
}

/** One unit per process type (templated `@` when it runs more than once) and a <bench>.target. */
export function renderSystemd(benchName: string, programs: readonly ProductionProgram[], user: string | null): UnitFile[] {
  // A unit's name takes letters, digits and `:_.-` (what systemd-escape would make of the rest).
  const bench = benchName.replace(/[^\w:.-]+/g, '-');
  const unit = (p: ProductionProgram): string => `${bench}-${p.type.replace(/_/g, '-')}${p.count > 1 ? '@' : ''}`;
  const instances = (p: ProductionProgram): string[] =>
    p.count > 1 ? Array.from({ length: p.count }, (_, i) => `${unit(p)}${i + 1}.service`) : [`${unit(p)}.service`];
  const byType = new Map(programs.map((p) => [p.type, p]));
  const files: UnitFile[] = programs.map((p) => {
    const deps = p.after
      .map((t) => byType.get(t))
      .filter((d): d is ProductionProgram => d !== undefined)
      .flatMap(instances);
    const env = Object.entries(p.env).map(([k, v]) => `Environment=${quote(`${k}=${v}`, false)}`);
    return {
      name: `${unit(p)}.service`,
      text: [
        '[Unit]',
        `Description=${literal(bench)} ${p.type}${p.count > 1 ? ' %i' : ''} (fbench export)`,
        `PartOf=${bench}.target`,
        `After=network.target${deps.length ? ` ${deps.join(' ')}` : ''}`,
        ...(deps.length ? [`Requires=${deps.join(' ')}`] : []),
        '',
        '[Service]',
        'Type=simple',
        ...(user ? [`User=${literal(user)}`] : []),
        `WorkingDirectory=${literal(p.cwd)}`,
        ...env,
        `ExecStart=/bin/sh -c ${quote(`exec ${p.command}`)}`,
        'Restart=always',
        'RestartSec=1',
        'KillMode=control-group',
        `TimeoutStopSec=${p.stopSeconds}`,
        `StandardOutput=append:${literal(p.stdoutLog)}`,
        `StandardError=append:${literal(p.stderrLog)}`,
        '',
        '[Install]',
        `WantedBy=${bench}.target`,
        '',
      ].join('\n'),
    };
  });
  files.push({
    name: `${bench}.target`,
    text: [
      '[Unit]',
      `Description=${literal(bench)} (fbench export)`,
      `Wants=${programs.flatMap(instances).join(' ')}`,
      '',
      '[Install]',
      'WantedBy=multi-user.target',
      '',
    ].join('\n'),
  });
  return files;
}

/** systemd expands specifiers (`%i`, `%h`) in these values: a literal % is %%. */
function literal(s: string): string {
  return s.replace(/%/g, '%%');
}

/** systemd's own quoting: double quotes, with \, " escaped and % doubled; $ doubled where it expands variables (ExecStart=, not Environment=). */
function quote(s: string, expands = true): string {
  const q = s.replace(/[\\"]/g, (c) => `\\${c}`).replace(/%/g, '%%');
  return `"${expands ? q.replace(/\$/g, '$$$$') : q}"`;
}
