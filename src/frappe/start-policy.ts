import { ROLE_TRAITS, type Role } from './roles.js';

/** How a process of a bench starts: what it needs answering first, and its share of the CPU. */
export interface StartPolicy {
  /** Its Redis must answer before it starts: it connects at start and exits on a refused connection. */
  waitsForRedis: boolean;
  /** Its CPU priority (nice): what the developer waits for gets the CPU first. */
  nice: number;
}

/**
 * Frappe's web (`bench serve`) imports the app and listens; it reaches Redis only when it serves
 * a request, so it starts with Redis instead of after it and is listening sooner. Workers, the
 * scheduler, socketio and lite mode's runner (it runs jobs) connect at start: they wait. The
 * background roles yield the CPU to web (and socketio): what answers the developer comes first. Pure.
 */
export function startPolicy(role: Role, queues: readonly string[] | null): StartPolicy {
  return {
    waitsForRedis: !(role === 'web' && queues === null),
    nice: ROLE_TRAITS[role].nice,
  };
}

/**
 * RQ forks a work horse for each job; on macOS, Objective-C's fork-safety check and the system
 * proxy lookup crash that child (bench 1529, rq 2235), so bench's own Procfile gives workers these
 * there. Added on macOS to what runs jobs, unless the line sets them itself. Pure.
 */
export function forkSafeEnv(platform: string, role: Role, queues: readonly string[] | null, lineEnv: Readonly<Record<string, string>>): Record<string, string> {
  if (platform !== 'darwin' || (role !== 'worker' && queues === null)) return {};
  const env: Record<string, string> = {};
  if (!('OBJC_DISABLE_INITIALIZE_FORK_SAFETY' in lineEnv)) env.OBJC_DISABLE_INITIALIZE_FORK_SAFETY = 'YES';
  if (!('NO_PROXY' in lineEnv)) env.NO_PROXY = '*';
  return env;
}
