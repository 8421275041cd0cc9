import cliTruncate from 'cli-truncate';
import widestLine from 'widest-line';
import wrapAnsi from 'wrap-ansi';

/**
 * Ink's text wrapping and measuring, with caches of a bounded size: Ink's own keep every text
 * they ever wrapped or measured in a module-level object, so a view of logs that runs for days
 * grows with every distinct line it showed. The bundle (scripts/bundle.mjs) puts these in place
 * of ink/build/wrap-text.js and measure-text.js; what they compute is what Ink's compute.
 */

/** Texts remembered, by each cache: a screen's worth many times over. */
export const TEXT_CACHE_ENTRIES = 5000;

/** A Map that forgets its oldest entries past `max`. */
export class BoundedCache<V> {
  private readonly map = new Map<string, V>();
  constructor(private readonly max = TEXT_CACHE_ENTRIES) {}
  get size(): number {
    return this.map.size;
  }
  get(key: string): V | undefined {
    return this.map.get(key);
  }
  set(key: string, value: V): void {
    if (this.map.size >= this.max) this.map.delete(this.map.keys().next().value!);
    this.map.set(key, value);
  }
}

const wrapped = new BoundedCache<string>();
const measured = new BoundedCache<{ width: number; height: number }>();

export function wrapText(text: string, maxWidth: number, wrapType: string): string {
  const key = `${text}${maxWidth}${wrapType}`;
  const known = wrapped.get(key);
  if (known !== undefined) return known;
  let out = text;
  if (wrapType === 'wrap') out = wrapAnsi(text, maxWidth, { trim: false, hard: true });
  else if (wrapType.startsWith('truncate')) {
    const position = wrapType === 'truncate-middle' ? 'middle' : wrapType === 'truncate-start' ? 'start' : 'end';
    out = cliTruncate(text, maxWidth, { position });
  }
  wrapped.set(key, out);
  return out;
}

export function measureText(text: string): { width: number; height: number } {
  if (text.length === 0) return { width: 0, height: 0 };
  const known = measured.get(text);
  if (known) return known;
  const dims = { width: widestLine(text), height: text.split('\n').length };
  measured.set(text, dims);
  return dims;
}

/** How many texts each cache holds now (for the test that they stay bounded). */
export function textCacheSizes(): { wrapped: number; measured: number } {
  return { wrapped: wrapped.size, measured: measured.size };
}
