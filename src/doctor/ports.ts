import { existsSync, readdirSync } from 'node:fs';
import { CONFIG_MAX_BYTES } from '../config/read-file.js';
import { readBounded } from '../util/safe-file.js';
import path from 'node:path';
import { isBenchDir } from '../frappe/discover.js';
import { resolveSiteConfig } from '../frappe/site-config.js';
import { describeHeld, portState } from './port-state.js';
import { fail, ok, warn, type DoctorContext, type Finding } from './types.js';

const G = 'Ports';

export async function checkPorts(ctx: DoctorContext): Promise<Finding[]> {
  const out: Finding[] = [];
  const { config } = ctx.model;
  for (const [key, port] of [
    ['webserver_port', config.webserverPort],
    ['socketio_port', config.socketioPort],
  ] as const) {
    const s = await portState(port, ctx.sessionPids);
    if (s.free) out.push(ok(G, `${key} ${port} is free`));
    else if (s.ownFbench) out.push(ok(G, `${key} ${port}: ${describeHeld(port, s)}`));
    else
      out.push(
        fail(
          G,
          `${key}: ${describeHeld(port, s)}`,
          `stop it${s.holder ? ` (kill ${s.holder.pid})` : ''}, or set another ${key} in sites/common_site_config.json`,
        ),
      );
  }
  const web = ctx.plan.processes.find((p) => p.role === 'web');
  if (web?.port !== null && web?.port !== undefined && web.port !== config.webserverPort) {
    out.push(
      fail(
        G,
        `the Procfile's web line serves on ${web.port}, but webserver_port is ${config.webserverPort}`,
        'make them agree (`bench setup procfile` writes the web line from webserver_port)',
      ),
    );
  }
  out.push(...siblingCollisions(ctx));
  return out;
}

/** bench gives each new bench the next free ports by looking at its siblings; edits drift. */
function siblingCollisions(ctx: DoctorContext): Finding[] {
  const parent = path.dirname(ctx.dir);
  const mine = portsOf(ctx.model.config);
  const out: Finding[] = [];
  let siblings = 0;
  for (const d of safeReaddir(parent)) {
    const other = path.join(parent, d);
    if (other === ctx.dir || !isBenchDir(other)) continue;
    siblings++;
    const csc = path.join(other, 'sites', 'common_site_config.json');
    if (!existsSync(csc)) continue;
    let theirs: Record<string, number>;
    try {
      theirs = portsOf(resolveSiteConfig(JSON.parse(readBounded(csc, { maxBytes: CONFIG_MAX_BYTES }).toString('utf8')), {}).config);
    } catch {
      continue;
    }
    // One line per sibling, whatever number of ports it shares.
    const shared = Object.entries(mine).flatMap(([key, port]) => {
      const clash = Object.entries(theirs).find(([, p]) => p === port);
      return clash ? [`${key} ${port}${clash[0] === key ? '' : ` (its ${clash[0]})`}`] : [];
    });
    if (shared.length)
      out.push(
        warn(
          G,
          `the sibling bench ${d} uses the same ${shared.join(', ')}`,
          'move this bench to free ports with `fbench ports --reassign` (every file that names them is rewritten): both cannot run at once otherwise',
        ),
      );
  }
  if (out.length === 0) out.push(ok(G, siblings ? `no port shared with the ${siblings} sibling bench(es) in ${parent}` : 'no sibling benches to collide with'));
  return out;
}

function portsOf(c: ReturnType<typeof resolveSiteConfig>['config']): Record<string, number> {
  return { webserver_port: c.webserverPort, socketio_port: c.socketioPort, redis_cache: c.redis.cache.port, redis_queue: c.redis.queue.port };
}

function safeReaddir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}
