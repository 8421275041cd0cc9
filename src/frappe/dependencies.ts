import type { Role } from './roles.js';
import type { RedisKind } from './site-config.js';

/**
 * Which Redis each role needs before it can start (and outlive it when stopping). Workers and
 * the scheduler talk to the queue and use frappe.cache; web needs both; socketio listens on the
 * queue Redis (v15) or a dedicated redis_socketio (older benches). A custom line is Frappe code
 * too, as far as fbench can tell (`rq worker -u redis://…`, a script calling frappe.init): it
 * waits for both when the bench runs them.
 */
export function redisNeeds(role: Role, hasDedicatedSocketio: boolean): RedisKind[] {
  switch (role) {
    case 'worker':
    case 'schedule':
    case 'other':
      return ['queue', 'cache'];
    case 'web':
      return ['cache', 'queue'];
    case 'socketio':
      return [hasDedicatedSocketio ? 'socketio' : 'queue'];
    default:
      return [];
  }
}

/** Local addresses a Procfile Redis can be reached on. */
export function isLocalHost(host: string): boolean {
  return host === '127.0.0.1' || host === 'localhost' || host === '::1' || host === '0.0.0.0';
}
