import { existsSync } from 'node:fs';
import path from 'node:path';
import { frappeMajor } from '../frappe/queues.js';
import { redisUnfitFor } from '../frappe/redis-version.js';
import { pingRedis } from '../health/redis-ping.js';
import type { PlanProcess } from '../plan/types.js';
import { redisProcesses } from '../plan/lookup.js';
import { programOnPath } from '../session/planning.js';
import { redisOwner } from '../session/preflight.js';
import { realPath } from '../util/real-path.js';
import { describeHeld, portState } from './port-state.js';
import { programOutput } from './run-program.js';
import { fail, ok, warn, type DoctorContext, type Finding } from './types.js';

const G = 'Redis';

export async function checkRedis(ctx: DoctorContext): Promise<Finding[]> {
  const out: Finding[] = [];
  const { plan } = ctx;
  const redis = redisProcesses(plan);
  const major = ctx.model.frappeVersion === null ? null : frappeMajor(ctx.model.frappeVersion);
  const bin = programOnPath(plan, 'redis-server');
  if (!bin) {
    if (redis.length)
      out.push(fail(G, 'redis-server is not on PATH', 'install it: `sudo apt-get install redis-server` (Debian/Ubuntu) or `brew install redis` (macOS)'));
  } else {
    const run = await programOutput(bin, ['--version'], 2000);
    const v = run.ok ? (/v=(\S+)/.exec(run.stdout)?.[1] ?? '?') : '?';
    const unfit = redisUnfitFor(major, { redis_version: v });
    out.push(
      unfit
        ? fail(G, `redis-server ${v} (${bin}): ${unfit}`, 'install Redis 6 or later (Debian 11+, `brew install redis`)')
        : ok(G, `redis-server ${v} (${bin})`),
    );
  }

  await Promise.all(redis.map(async (p) => out.push(...(await checkOne(p, ctx)))));

  for (const x of plan.externals) {
    if (x.health.kind !== 'redis') continue;
    const r = await pingRedis(x.health, 800);
    const unfit = r.ok ? redisUnfitFor(major, r.info) : null;
    out.push(
      unfit
        ? fail(G, `${x.name} at ${x.url} (from ${x.source}) answers, but ${unfit}`, `point ${x.source.replace(/^.*: /, '')} at Redis 6 or later`)
        : r.ok
          ? ok(G, `${x.name} at ${x.url} (from ${x.source}) answers PING`)
          : fail(
              G,
              `${x.name} at ${x.url} (from ${x.source}) does not answer: ${r.message}`,
              `start that Redis, or point ${x.source.replace(/^.*: /, '')} at one that runs`,
            ),
    );
  }
  return out;
}

/** One Procfile Redis: what its conf says, then what runs on its port. */
async function checkOne(p: PlanProcess, ctx: DoctorContext): Promise<Finding[]> {
  const port = p.redis?.port ?? null;
  return [...confFindings(p, ctx), ...(port !== null ? await portFindings(p, port, ctx) : [])];
}

/** Its conf against the site config and the bench: the port the URLs name, folders and files that must exist and be this bench's. */
function confFindings(p: PlanProcess, ctx: DoctorContext): Finding[] {
  const out: Finding[] = [];
  const r = p.redis!;
  const rel = (f: string): string => path.relative(ctx.dir, f);
  if (r.conf && !existsSync(r.conf)) out.push(fail(G, `${p.type}: ${rel(r.conf)} does not exist`, 'run `bench setup redis`'));
  const cfg = ctx.model.config.redis;
  for (const kind of r.kinds) {
    const url = cfg[kind];
    if (url && r.port !== null && url.port !== r.port) {
      out.push(
        fail(
          G,
          `${p.type} listens on ${r.port} (${r.conf ? rel(r.conf) : 'its command line'}) but ${url.source} says ${url.url}`,
          `make them agree: workers and web connect to the URL, so Redis must listen there`,
        ),
      );
    }
  }
  if (r.kinds.length === 0)
    out.push(
      warn(
        G,
        `${p.type} (port ${r.port}) matches no Redis URL of sites/common_site_config.json`,
        'set redis_cache/redis_queue to its port, or remove the Procfile line',
      ),
    );
  // The pid folder is made by fbench itself before anything starts; any other dir must exist.
  if (r.dir && !existsSync(r.dir) && realPath(r.dir) !== realPath(ctx.model.layout.pidsDir)) {
    out.push(
      fail(
        G,
        `${p.type}: ${r.conf ? rel(r.conf) : 'its conf'} sets dir ${r.dir}, which does not exist; Redis refuses to start (FATAL CONFIG FILE ERROR)`,
        `create it (\`mkdir -p ${r.dir}\`), or write this bench's confs with \`bench setup redis\` (a moved or copied bench: \`fbench ports --reassign\`)`,
      ),
    );
  }
  if (r.aclfile && !existsSync(r.aclfile)) {
    out.push(
      fail(
        G,
        `${p.type}: the ACL file ${rel(r.aclfile)} named in ${r.conf ? rel(r.conf) : 'its conf'} does not exist; Redis ≥ 6 refuses to start`,
        `create it (\`echo "user default on nopass ~* &* +@all" > ${rel(r.aclfile)}\`) or run \`bench setup redis\``,
      ),
    );
  }
  // A copied or moved bench keeps the old bench's absolute paths: its ACL users, its RDB.
  const inBench = (f: string): boolean => !path.relative(ctx.model.realDir, realPath(f)).startsWith('..') || !path.relative(ctx.dir, f).startsWith('..');
  for (const [key, value] of [
    ['dir', r.dir],
    ['pidfile', r.pidfile],
    ['aclfile', r.aclfile],
  ] as const) {
    if (value && !inBench(value)) {
      out.push(
        fail(
          G,
          `${p.type}: ${r.conf ? rel(r.conf) : 'its conf'} sets ${key} ${value}, outside this bench (copied or moved from another bench?)`,
          'run `bench setup redis` in this bench to write its own confs (then `bench create-rq-users` if it uses RQ users)',
        ),
      );
    }
  }
  return out;
}

/** What holds its port: nothing (fbench starts it), this bench's Redis (fbench's or a leftover), or another program. */
async function portFindings(p: PlanProcess, port: number, ctx: DoctorContext): Promise<Finding[]> {
  const out: Finding[] = [];
  const state = await portState(port, ctx.sessionPids);
  if (state.free) {
    out.push(
      ctx.startPid !== null
        ? fail(
            G,
            `${p.type}: not running on :${port}, though fbench start runs this bench (pid ${ctx.startPid})`,
            `see why with \`fbench logs ${p.type}\`; fbench restarts it (or \`fbench restart ${p.type}\`)`,
          )
        : ok(G, `${p.type}: port ${port} is free (fbench starts it)`),
    );
    return out;
  }
  const pong = p.health?.kind === 'redis' ? await pingRedis(p.health, 800) : null;
  if (pong?.ok) {
    const owner = redisOwner(p, state.holder);
    const pid = state.holder?.pid;
    if (state.ownFbench) out.push(ok(G, `${p.type}: healthy on :${port}, run by your own fbench (pid ${pid})`));
    else if (owner.mine)
      out.push(
        warn(
          G,
          `${p.type}: this bench's Redis is already running (pid ${pid}) without fbench: a leftover of an earlier run`,
          'fbench start adopts it; or stop it with `kill ' + pid + '`',
        ),
      );
    else
      out.push(
        fail(
          G,
          `${p.type}: ${describeHeld(port, state)}, which answers as a Redis but is not this bench's (${owner.why})`,
          `stop it${pid ? ` (kill ${pid})` : ''}, or move this bench to free ports with \`fbench ports --reassign\``,
        ),
      );
  } else if (pong?.reason === 'no-answer') {
    // A stopped Redis and a listener that is no Redis look the same from here: name the holder.
    out.push(
      fail(
        G,
        `${p.type}: ${describeHeld(port, state)}, which ${pong.message}`,
        state.holder ? `stop it (kill ${state.holder.pid}), or \`kill -CONT ${state.holder.pid}\` if it is a Redis that was stopped` : 'restart that Redis',
      ),
    );
  } else if (!state.ownFbench) {
    out.push(
      fail(
        G,
        `${p.type}: ${describeHeld(port, state)}, which is not a usable Redis${pong ? ` (${pong.message})` : ''}`,
        `stop it${state.holder ? ` (kill ${state.holder.pid})` : ''} or move this bench's Redis to a free port`,
      ),
    );
  } else {
    out.push(
      fail(
        G,
        `${p.type}: run by your fbench on :${port}, but it does not answer: ${pong?.message ?? 'no answer'}`,
        'see its output with `fbench logs ' + p.type + '`, or `fbench restart ' + p.type + '`',
      ),
    );
  }
  return out;
}
