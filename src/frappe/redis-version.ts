/** The first Frappe that speaks RESP3 to Redis (frappe#28929) and so needs Redis 6 or later. */
export const RESP3_FRAPPE_MAJOR = 16;

/**
 * Why a Redis server cannot serve this Frappe, or null: Frappe v16 needs Redis ≥ 6 (RESP3) and
 * does not work with Dragonfly (frappe#36331). `info` is what `redis-server --version` or
 * INFO server says (redis_version, dragonfly_version). Pure.
 */
export function redisUnfitFor(frappeMajor: number | null, info: { redis_version?: string; dragonfly_version?: string }): string | null {
  if (frappeMajor === null || frappeMajor < RESP3_FRAPPE_MAJOR) return null;
  if (info.dragonfly_version) return `it is Dragonfly ${info.dragonfly_version}, which Frappe v${frappeMajor} does not work with`;
  const major = Number(/^(\d+)\./.exec(info.redis_version ?? '')?.[1]);
  if (Number.isFinite(major) && major < 6) return `it is Redis ${info.redis_version}: Frappe v${frappeMajor} needs Redis 6 or later (RESP3)`;
  return null;
}
