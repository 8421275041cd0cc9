import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { measureText, TEXT_CACHE_ENTRIES, textCacheSizes, wrapText } from '../../src/ui/ink-text-cache.js';
import { REPO } from '../helpers/sample-bench.js';

/** Ink's own module (its package exports do not list it), to compare with: the bundle puts ours in its place. */
const ink = async <T>(file: string): Promise<T> =>
  ((await import(pathToFileURL(path.join(REPO, 'node_modules', 'ink', 'build', file)).href)) as { default: T }).default;

test("the view's text caches say what Ink's say, and stay bounded however many distinct lines it shows", async () => {
  const inkWrap = await ink<(t: string, w: number, type: string) => string>('wrap-text.js');
  const inkMeasure = await ink<(t: string) => { width: number; height: number }>('measure-text.js');
  const samples = ['plain', 'a line long enough to be wrapped at twenty cells', '\x1b[31mred\x1b[39m text', '漢字の行です、幅は二倍', 'two\nlines', ''];
  for (const t of samples) {
    for (const type of ['wrap', 'truncate', 'truncate-middle', 'truncate-start']) assert.equal(wrapText(t, 20, type), inkWrap(t, 20, type), `${type}: ${t}`);
    assert.deepEqual(measureText(t), inkMeasure(t), t);
  }
  for (let i = 0; i < TEXT_CACHE_ENTRIES * 3; i++) {
    wrapText(`log line ${i}`, 80, 'wrap');
    measureText(`log line ${i}`);
  }
  const sizes = textCacheSizes();
  assert.ok(sizes.wrapped <= TEXT_CACHE_ENTRIES && sizes.measured <= TEXT_CACHE_ENTRIES, JSON.stringify(sizes));
});
