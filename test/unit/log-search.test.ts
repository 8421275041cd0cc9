import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { LogLine } from '../../src/session/control-protocol.js';
import { lastTrouble, lineMatches, matchIndexes, scrollTo } from '../../src/ui/log-search.js';

const line = (name: string, text: string): LogLine => ({ time: 0, seq: 0, name, text });

describe("the ui's log search", () => {
  test('any case, in the text or the process name; the last traceback or error line; the scroll that shows a line', () => {
    const lines = [
      line('web.1', 'GET /api ok'),
      line('worker.1', 'Job OK'),
      line('web.1', 'Traceback (most recent call last):'),
      line('web.1', 'ValueError: bad'),
      line('schedule.1', 'tick'),
    ];
    assert.ok(lineMatches(lines[1]!, 'job ok'));
    assert.ok(lineMatches(lines[1]!, 'WORKER'), 'the name counts');
    assert.ok(!lineMatches(lines[0]!, ''));
    assert.deepEqual(matchIndexes(lines, 'web'), [0, 2, 3]);
    assert.equal(lastTrouble(lines), 3);
    assert.equal(lastTrouble(lines.slice(0, 3)), 2);
    assert.equal(lastTrouble([line('a', 'all fine')]), -1);
    assert.equal(scrollTo(lines, 2), 2);
    assert.equal(scrollTo(lines, 4), 0);
  });
});
