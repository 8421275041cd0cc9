import { readFileSync } from 'node:fs';

/** prefix-lines.wat, compiled by scripts/bundle.mjs. */
interface PrefixLinesModule {
  memory: WebAssembly.Memory;
  prefixLines(src: number, len: number, dst: number, pre: number, plen: number): number;
}

/** The module; null until compiled, false where it cannot be (node --jitless, not built). */
let module: PrefixLinesModule | null | false = null;
let loading: Promise<boolean> | null = null;
let view: Uint8Array | null = null;
/** Bytes prefixed with strings while the module compiles: past this, a flood is coming and it is compiled at once. */
const STRING_PATH_BYTES = 64 * 1024;
let stringBytes = 0;

const wasmFile = (): Uint8Array<ArrayBuffer> => new Uint8Array(readFileSync(new URL('./prefix-lines.wasm', import.meta.url)));

/**
 * Compile the module on another thread: a bench's start-up prints a few lines, which take the
 * string path meanwhile, and does not wait for WebAssembly. True once it is there.
 */
export function loadPrefixLines(): Promise<boolean> {
  loading ??= (async () => {
    try {
      const compiled = await WebAssembly.compile(wasmFile());
      const exports = (await WebAssembly.instantiate(compiled)).exports as unknown as PrefixLinesModule;
      module ||= exports; // unless compiled meanwhile by compileNow
    } catch {
      module = false;
    }
    return module !== false;
  })();
  return loading;
}

function compileNow(): PrefixLinesModule | false {
  try {
    return (module = new WebAssembly.Instance(new WebAssembly.Module(wasmFile())).exports as unknown as PrefixLinesModule);
  } catch {
    return (module = false);
  }
}

const align8 = (n: number): number => (n + 7) & ~7;

/**
 * `input`'s lines, each after `prefix`: 4 times faster than a string replace, and nothing for
 * the garbage collector. The result is a view of WebAssembly memory, valid until the next call;
 * null while the module is not there yet (the first few lines) or cannot be.
 */
export function prefixLines(prefix: Uint8Array, input: Uint8Array): Uint8Array | null {
  let wasm = module;
  if (wasm === false) return null;
  if (wasm === null) {
    stringBytes += input.length;
    if (stringBytes <= STRING_PATH_BYTES) {
      void loadPrefixLines();
      return null;
    }
    wasm = compileNow();
    if (wasm === false) return null;
  }
  const src = align8(prefix.length);
  const dst = align8(src + input.length);
  const need = dst + input.length * (prefix.length + 1); // every byte a newline, at worst
  const have = wasm.memory.buffer.byteLength;
  if (need > have) wasm.memory.grow(Math.ceil((need - have) / 65536));
  if (view?.buffer !== wasm.memory.buffer) view = new Uint8Array(wasm.memory.buffer); // grown: a new buffer
  view.set(prefix, 0);
  view.set(input, src);
  const n = wasm.prefixLines(src, input.length, dst, 0, prefix.length);
  return view.subarray(dst, dst + n);
}
