import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ErrorEntry } from '../../src/session/error-log.js';
import type { LogLine, ProcessInfo } from '../../src/session/control-protocol.js';
import { initialKeys, onKey, shownLines, splitKeys, type KeyContext, type KeyPress, type KeyState } from '../../src/ui/keys.js';
import { KEYS, KEYS_NARROW, screenOf } from '../../src/ui/screen.js';

const row = (name: string, state: ProcessInfo['state'] = 'ready'): ProcessInfo => ({
  name,
  type: name.split('.')[0]!,
  role: 'other',
  state,
  ready: state === 'ready',
  readiness: state,
  pid: 1,
  uptimeMs: 0,
  restarts: 0,
  crashes: 0,
  crashLooping: false,
  port: null,
  cpuPercent: null,
  rssBytes: null,
  atPrompt: false,
  debugPort: null,
  lastLine: null,
  logFiles: [],
});
const line = (name: string, text: string, seq: number): LogLine => ({ time: seq, seq, name, text });

const ctx: KeyContext = {
  processes: [row('web.1'), row('worker.1'), row('schedule.1', 'stopped')],
  lines: [
    line('web.1', 'GET / 200', 1),
    line('worker.1', 'Traceback (most recent call last):', 2),
    line('web.1', 'GET /x 500', 3),
    line('worker.1', 'job done', 4),
  ],
};

/** Type `keys` (a string is each of its characters; an object a named key) and collect what they ask for. */
function type(st: KeyState, ...keys: (string | Partial<KeyPress>)[]): string[] {
  return keys.flatMap((k) =>
    (typeof k === 'string' ? splitKeys(k, {}) : [{ ch: '', ...k }]).flatMap((press) =>
      onKey(st, press, ctx).map((e) => ('name' in e ? `${e.do} ${e.name}` : 'text' in e ? `${e.do} ${JSON.stringify(e.text)}` : e.do)),
    ),
  );
}

describe("the ui's keys, in memory", () => {
  test('pasted keys are keys of their own: "jjs" selects the third process, which is stopped, and starts it; "ks" stops a running one', () => {
    const st = initialKeys();
    assert.deepEqual(type(st, 'jjs'), ['restart schedule.1']);
    assert.deepEqual(type(st, 'ks'), ['stop worker.1']);
    assert.deepEqual(type(st, 'kkkkr'), ['restart web.1'], 'the selection stops at the top');
  });

  test('l shows the selected process alone; / searches (Enter jumps to the newest match, n older); f filters; Esc clears', () => {
    const st = initialKeys();
    type(st, 'l');
    assert.deepEqual(
      shownLines(st, ctx).map((l) => l.text),
      ['GET / 200', 'GET /x 500'],
    );
    type(st, 'l', '/GET', { return: true });
    assert.equal(st.search, 'GET');
    assert.equal(st.match, 2, 'the newest match');
    type(st, 'n');
    assert.equal(st.match, 0);
    type(st, 'f', 'job', { return: true });
    assert.deepEqual(
      shownLines(st, ctx).map((l) => l.text),
      ['job done'],
    );
    type(st, { escape: true });
    assert.equal(shownLines(st, ctx).length, 4);
    assert.equal(st.search, '');
  });

  test('t jumps to the last trouble; z and w toggle; ? shows help and any key goes back', () => {
    const st = initialKeys();
    type(st, 't');
    assert.equal(st.match, 1, 'the traceback');
    type(st, 'zw');
    assert.ok(st.zoom && st.wrap);
    type(st, '?');
    assert.equal(st.mode, 'help');
    assert.deepEqual(type(st, 'q'), [], 'q in help only goes back');
    assert.equal(st.mode, 'normal');
    assert.deepEqual(type(st, 'q'), ['leave']);
  });

  test('attach: what is typed goes to the process on Enter, Ctrl-C is sent to it, Esc detaches', () => {
    const st = initialKeys();
    assert.deepEqual(type(st, 'ja'), ['attach worker.1']);
    assert.equal(st.mode, 'attach');
    assert.deepEqual(type(st, 'p x', { backspace: true }, 'y', { return: true }), ['send "p y"']);
    assert.deepEqual(type(st, { ch: 'c', ctrl: true }), ['send "\\u0003"'], 'not a quit');
    assert.deepEqual(type(st, { escape: true }), ['detach']);
    assert.equal(st.attached, null);
    assert.deepEqual(type(st, { ch: 'c', ctrl: true }), ['leave']);
  });

  test('e asks for the errors; in their list the arrows choose, Enter opens, Esc closes, Esc again back to the logs', () => {
    const st = initialKeys();
    assert.deepEqual(type(st, 'e'), ['errors']);
    const entry = (title: string): ErrorEntry => ({
      kind: 'request',
      at: '2026-12-07T10:00:00.000Z',
      firstAt: '2026-12-07T10:00:00.000Z',
      count: 1,
      process: 'web.1',
      site: null,
      title,
      exception: 'ZeroDivisionError: division by zero',
      where: null,
      lines: ['Traceback (most recent call last):'],
      more: 'fbench logs web.1 --around 10:00:00',
    });
    st.errors = { list: [entry('GET /a → 500'), entry('GET /b → 500')], at: 0, open: false };
    type(st, 'jjj');
    assert.equal(st.errors.at, 1, 'the arrows stay in the list');
    assert.equal(st.selected, 0, 'and do not move the process selection');
    type(st, { return: true });
    assert.equal(shownLines(st, ctx)[0]!.text, 'GET /b → 500');
    type(st, { escape: true });
    assert.equal(st.errors?.open, false);
    type(st, { escape: true });
    assert.equal(st.errors, null);
    assert.deepEqual(type(st, 'x'), ['failed-job']);
  });
});

describe("the ui's screen, in memory", () => {
  const o = { columns: 200, rows: 40, notice: '', queues: 3, own: false };

  test('the panes fill the screen less one line; zoomed, the log has it all', () => {
    const st = initialKeys();
    const s = screenOf(st, ctx, o);
    assert.equal(s.heights.screen, 39);
    assert.equal(s.heights.processes + s.heights.queues + s.heights.logs + 5, 39);
    st.zoom = true;
    assert.equal(screenOf(st, ctx, o).heights.logs, 36);
  });

  test('the title counts what is not ready; the footer: the keys (short ones on 80 columns), a notice, or what is typed', () => {
    const st = initialKeys();
    assert.equal(screenOf(st, ctx, o).title, 'fbench ui · 3 processes, 1 not ready');
    assert.equal(screenOf(st, ctx, { ...o, own: true }).title, 'fbench ui · 3 processes, 1 not ready · q stops the bench');
    assert.equal(screenOf(st, ctx, o).footer, KEYS);
    assert.equal(screenOf(st, ctx, { ...o, columns: 80 }).footer, KEYS_NARROW);
    assert.equal(screenOf(st, ctx, { ...o, notice: 'restarted web.1: listening on :8000' }).footer, 'restarted web.1: listening on :8000');
    type(st, 'ja', 'p x');
    assert.equal(screenOf(st, ctx, o).footer, 'attached to worker.1: what you type goes to it (Enter sends), Esc detaches › p x');
  });

  test('the log heading says what the pane shows: which logs, the search and where it is, the scroll', () => {
    const st = initialKeys();
    assert.equal(screenOf(st, ctx, o).logHeading, 'LOGS (all processes) following');
    type(st, '/GET', { return: true });
    assert.equal(screenOf(st, ctx, o).logHeading, 'LOGS (all processes) search "GET" 2/2 1 line up (End follows)', 'the newest match, shown');
    type(st, 'l', { pageUp: true });
    assert.equal(screenOf(st, ctx, o).logHeading, 'LOGS (web.1) search "GET" 1/2 1 line up (End follows)');
  });

  test('a process at a debugger prompt is said above the panes', () => {
    const waiting = { ...ctx, processes: [{ ...row('worker.1'), atPrompt: true }] };
    assert.equal(screenOf(initialKeys(), waiting, o).prompt, 'worker.1 is at a debugger prompt: select it and press a to type to it');
    assert.equal(screenOf(initialKeys(), ctx, o).prompt, null);
  });
});
