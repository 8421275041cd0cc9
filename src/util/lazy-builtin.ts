import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/**
 * A Node module loaded at its first use rather than at start-up: each builtin outside Node's
 * start-up snapshot costs a few ms to load, paid by every command that imports it.
 */
export function lazyBuiltin<T>(name: 'node:os' | 'node:v8' | 'node:vm'): () => T {
  let loaded: T | undefined;
  return () => (loaded ??= require(name) as T);
}
