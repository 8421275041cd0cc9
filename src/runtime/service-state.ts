/**
 * A supervised service's life, written down: its states, which may follow which, and what
 * follows an exit nobody asked for. The supervisor moves a service only along these edges.
 *
 *   waiting ─▶ running ─▶ ready
 *      ▲          │ ╲        │
 *      │          ▼   ╲      ▼
 *   backoff ◀── exit ──▶ exited          any state ─▶ stopping ─▶ stopped ─▶ waiting (a start)
 *                                         a readiness that fails, or a process that will not die ─▶ failed
 */
export type ServiceState = 'waiting' | 'running' | 'ready' | 'backoff' | 'exited' | 'stopping' | 'stopped' | 'failed';

/**
 * What follows an exit nobody asked for, as process-compose's `availability.restart`:
 * `on-failure` — a non-zero exit or a signal is a crash (restarted after its backoff), exit 0 is
 * a job done (a watch that built once); `always` — any exit is a crash: a server others need
 * (a Redis shut down from outside). Under --exit-on-crash a critical service's crash ends the
 * session instead.
 */
export type RestartPolicy = 'on-failure' | 'always';

/** Every state a service may move to from each state. */
export const TRANSITIONS: Readonly<Record<ServiceState, readonly ServiceState[]>> = {
  // Started once what it depends on is ready; stopped before it ever ran; waiting again after a replacement.
  waiting: ['running', 'stopped', 'waiting'],
  // Ready, or its process ended (done, crashed), its check failed, a stop or a handover (waiting for the new process).
  running: ['ready', 'exited', 'backoff', 'failed', 'stopping', 'stopped', 'waiting'],
  ready: ['exited', 'backoff', 'failed', 'stopping', 'stopped', 'waiting'],
  // Started again when its delay is over, unless a stop comes first.
  backoff: ['waiting', 'stopped'],
  exited: ['waiting', 'stopped'],
  // Gone, or still alive after SIGKILL.
  stopping: ['stopped', 'failed'],
  stopped: ['waiting'],
  // A failed readiness leaves its process running: it is stopped, or started again.
  failed: ['waiting', 'stopping', 'stopped'],
};

/** Whether a service may go from `from` to `to`. Pure. */
export function canMove(from: ServiceState, to: ServiceState): boolean {
  return TRANSITIONS[from].includes(to);
}
