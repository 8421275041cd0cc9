import { lazyBuiltin } from './lazy-builtin.js';

const v8 = lazyBuiltin<typeof import('node:v8')>('node:v8');
const vm = lazyBuiltin<typeof import('node:vm')>('node:vm');

type Gc = (options: { type: 'minor' }) => void;
let gc: Gc | null | undefined;

/**
 * Ask V8 for a young-generation collection (about a millisecond). V8 frees dead Buffers on its
 * own only once ~16 MB of them have piled up, and each read from a child's pipe is a Buffer:
 * at 20 busy processes that pile was a quarter of fbench's memory.
 */
export function collectYoung(): void {
  if (gc === undefined) {
    try {
      // gc() exists only in contexts made while --expose-gc is set; the flag goes back at once,
      // so V8's flags (which its code cache is checked against) end as they began.
      v8().setFlagsFromString('--expose-gc');
      gc = vm().runInNewContext('gc') as Gc;
    } catch {
      gc = null;
    } finally {
      v8().setFlagsFromString('--no-expose-gc');
    }
  }
  gc?.({ type: 'minor' });
}
