import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { visibleText } from '../../src/util/visible-text.js';

describe('the view draws only text', () => {
  test('escape sequences are dropped: colours, titles, clipboard writes, links, cursor moves, 8-bit forms, cut-off ones', () => {
    assert.equal(visibleText('\x1b[1;31mred\x1b[0m plain'), 'red plain');
    assert.equal(visibleText('\x1b]52;c;SGVsbG8=\x07after'), 'after');
    assert.equal(visibleText('\x1b]0;my title\x1b\\x'), 'x');
    assert.equal(visibleText('\x1b]8;;https://example.com\x1b\\link\x1b]8;;\x1b\\'), 'link');
    assert.equal(visibleText('a\x1b[2J\x1b[Hb\x1b7c\x1b8'), 'abc');
    assert.equal(visibleText('\x9b31mx\x9d0;t\x9cy'), 'xy');
    assert.equal(visibleText('a\x1b['), 'a');
    assert.equal(visibleText('a\x1b]52;c;never ended'), 'a');
    assert.equal(visibleText('\x1bPq#0;2;0;0;0\x1b\\z'), 'z');
  });

  test('other control characters are shown as their pictures; bidi controls dropped; a tab is spaces', () => {
    assert.equal(visibleText('a\x0bb\x0cc\x08d\x07e\x00f\x7f'), 'a␋b␌c␈d␇e␀f␡');
    assert.equal(visibleText('abc\u202edef\u2066g\u2069'), 'abcdefg');
    assert.equal(visibleText('a\tb'), 'a    b');
    assert.equal(visibleText('日本語 ok — ✓'), '日本語 ok — ✓');
  });

  test('after a carriage return, what a terminal would show: the progress bar at its last state', () => {
    assert.equal(visibleText('10%\r50%\r100%'), '100%');
    assert.equal(visibleText('done\r'), 'done');
    assert.equal(visibleText('windows line\r\r'), 'windows line');
  });

  test('linear in the line: a megabyte of half sequences is read in well under a second', () => {
    const line = '\x1b[1;2;3'.repeat(150_000) + '\x1b]' + 'x'.repeat(100_000);
    const t0 = process.hrtime.bigint();
    visibleText(line);
    assert.ok(Number(process.hrtime.bigint() - t0) / 1e6 < 500);
  });
});
