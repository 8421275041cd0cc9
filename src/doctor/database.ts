import { siteDatabase } from '../frappe/site-config.js';
import { greetDatabase } from '../health/db-greeting.js';
import { fail, ok, type DoctorContext, type Finding } from './types.js';

const G = 'Database';

/** Each site's db_host:db_port (merged site config, FRAPPE_DB_* overrides) must greet. */
export async function checkDatabase(ctx: DoctorContext): Promise<Finding[]> {
  const { config } = ctx.model;
  const targets = new Map<string, { host: string; port: number; kind: 'mariadb' | 'postgres'; sites: string[] }>();
  const sites = ctx.model.sites.length ? ctx.model.sites : [{ name: 'no site yet: common_site_config.json', config: config.raw }];
  for (const site of sites) {
    const { host, port, kind } = siteDatabase(site.config, config);
    const key = `${kind}://${host}:${port}`;
    const t = targets.get(key) ?? { host, port, kind, sites: [] };
    t.sites.push(site.name);
    targets.set(key, t);
  }
  return Promise.all(
    [...targets.values()].map(async (t) => {
      const g = await greetDatabase(t.host, t.port, t.kind, 1000);
      const who = `${t.host}:${t.port} (${t.sites.join(', ')})`;
      return g.ok
        ? ok(G, `${who}: ${t.kind === 'postgres' ? 'PostgreSQL' : 'MariaDB/MySQL'} answers (server ${g.server})`)
        : fail(
            G,
            `${who}: no ${t.kind === 'postgres' ? 'PostgreSQL' : 'MariaDB'}: ${g.message}`,
            `start the database (\`sudo systemctl start ${t.kind === 'postgres' ? 'postgresql' : 'mariadb'}\`), or fix db_host/db_port in the site's site_config.json`,
          );
    }),
  );
}
