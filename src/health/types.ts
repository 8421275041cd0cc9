/** Where a Redis is and how to log in to it. */
export interface RedisTarget {
  host: string;
  port: number;
  username?: string;
  password?: string;
}

/** A Redis to PING, with the credentials to use. */
export interface RedisCheck extends RedisTarget {
  kind: 'redis';
}

/** A port that the process must listen on. */
export interface PortCheck {
  kind: 'port';
  host: string;
  port: number;
}

/**
 * How to tell that a process (or an external service) is ready. Generic: the health checks
 * know how to run these, not why a Frappe bench needs them.
 */
export type HealthCheck = RedisCheck | PortCheck;
