import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { analyzeCommand, execForm, ownOutput, shellWords } from '../../src/config/shell-command.js';

test('splits words with quotes and escapes', () => {
  assert.deepEqual(shellWords(`a "b c" 'd e' f\\ g`), ['a', 'b c', 'd e', 'f g']);
});

test("bench's worker line: double space and redirections", () => {
  const s = analyzeCommand(' bench worker 1>> logs/worker.log 2>> logs/worker.error.log');
  assert.deepEqual(s.argv, ['bench', 'worker']);
  assert.deepEqual(s.redirects, [
    { fd: 1, file: 'logs/worker.log', append: true },
    { fd: 2, file: 'logs/worker.error.log', append: true },
  ]);
  assert.deepEqual(s.env, {});
});

test('the macOS prefix is read as environment assignments', () => {
  const s = analyzeCommand('OBJC_DISABLE_INITIALIZE_FORK_SAFETY=YES NO_PROXY=* bench worker --queue long');
  assert.deepEqual(s.env, { OBJC_DISABLE_INITIALIZE_FORK_SAFETY: 'YES', NO_PROXY: '*' });
  assert.deepEqual(s.argv, ['bench', 'worker', '--queue', 'long']);
});

test('redirections written together or apart, and 2>&1', () => {
  const s = analyzeCommand('cmd >out.log 2>&1');
  assert.deepEqual(s.redirects, [{ fd: 1, file: 'out.log', append: false }]);
  assert.deepEqual(s.argv, ['cmd']);
  assert.deepEqual(analyzeCommand('cmd > out.log').redirects, [{ fd: 1, file: 'out.log', append: false }]);
});

test('a compound command is flagged and described by its last, long-running command', () => {
  const s = analyzeCommand('cd apps && FOO=1 bench watch > w.log');
  assert.equal(s.compound, true);
  assert.deepEqual(s.argv, ['bench', 'watch']);
  assert.deepEqual(s.env, { FOO: '1' });
  assert.deepEqual(s.redirects, [{ fd: 1, file: 'w.log', append: false }]);
  assert.deepEqual(analyzeCommand('sleep 1; redis-server config/redis_queue.conf').argv, ['redis-server', 'config/redis_queue.conf']);
});

describe('execForm', () => {
  test('a simple command runs as the program itself: exec after the env words, redirections kept', () => {
    assert.equal(execForm('bench worker 1>> logs/worker.log 2>> logs/worker.error.log'), 'exec bench worker 1>> logs/worker.log 2>> logs/worker.error.log');
    assert.equal(
      execForm('OBJC_DISABLE_INITIALIZE_FORK_SAFETY=YES NO_PROXY=* bench worker'),
      'OBJC_DISABLE_INITIALIZE_FORK_SAFETY=YES NO_PROXY=* exec bench worker',
    );
    assert.equal(execForm("redis-server 'config/redis queue.conf'"), "exec redis-server 'config/redis queue.conf'");
    assert.equal(execForm('> out.log bench serve --port $PORT'), '> out.log exec bench serve --port $PORT');
    assert.equal(execForm(`sh -c 'trap "" TERM; (sleep 1) & wait'`), `exec sh -c 'trap "" TERM; (sleep 1) & wait'`);
    assert.equal(execForm('node "$(which x)" `date`'), 'exec node "$(which x)" `date`');
  });

  test('compound lines, shell builtins and lines that already exec stay as written', () => {
    for (const line of [
      'cd apps && bench watch',
      'a | b',
      "trap '' TERM; sleep 5",
      'exit 3',
      'exec sleep 1',
      'sleep 1 &',
      '(cd x; y)',
      '(sleep 1)',
      '{ a; }',
      'if true; then x; fi',
    ]) {
      assert.equal(execForm(line), line);
    }
  });
});

describe('ownOutput', () => {
  test("bench's worker line: both streams appended to their files, the command without them", () => {
    assert.deepEqual(ownOutput('bench worker 1>> logs/worker.log 2>> logs/worker.error.log'), {
      command: 'bench worker',
      stdout: { file: 'logs/worker.log', append: true },
      stderr: { file: 'logs/worker.error.log', append: true },
    });
    assert.deepEqual(ownOutput('OBJC_DISABLE_INITIALIZE_FORK_SAFETY=YES NO_PROXY=* bench worker --queue "a b" >logs/w.log'), {
      command: 'OBJC_DISABLE_INITIALIZE_FORK_SAFETY=YES NO_PROXY=* bench worker --queue "a b"',
      stdout: { file: 'logs/w.log', append: false },
      stderr: 'fbench',
    });
  });

  test('2>&1, &>>, /dev/null and the order sh applies them in', () => {
    assert.deepEqual(ownOutput('cmd > out.log 2>&1'), {
      command: 'cmd',
      stdout: { file: 'out.log', append: false },
      stderr: { file: 'out.log', append: false },
    });
    assert.deepEqual(ownOutput('cmd 2>&1 > out.log'), { command: 'cmd', stdout: { file: 'out.log', append: false }, stderr: 'fbench' });
    assert.deepEqual(ownOutput('cmd &>> all.log'), { command: 'cmd', stdout: { file: 'all.log', append: true }, stderr: { file: 'all.log', append: true } });
    assert.deepEqual(ownOutput('cmd >> out.log 2>/dev/null'), { command: 'cmd', stdout: { file: 'out.log', append: true }, stderr: 'discard' });
  });

  test('nothing to own: no file, a compound line, or a descriptor fbench does not read', () => {
    for (const line of ['cmd', 'cmd 2>&1', 'cmd >/dev/null', 'cd x && cmd >> a.log', 'cmd 3> x.log > a.log 1>&3']) assert.equal(ownOutput(line), null, line);
    assert.deepEqual(analyzeCommand('cmd &>> all.log').redirects, [
      { fd: 1, file: 'all.log', append: true },
      { fd: 2, file: 'all.log', append: true },
    ]);
  });
});
