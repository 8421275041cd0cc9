import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseDotenv } from '../../src/config/dotenv.js';

test('KEY=value, export prefix, comments and blank lines', () => {
  const { values, warnings } = parseDotenv('# comment\nA=1\n\nexport B=two\n');
  assert.deepEqual(values, { A: '1', B: 'two' });
  assert.deepEqual(warnings, []);
});

test('single quotes are literal, double quotes expand \\n', () => {
  const { values } = parseDotenv(`S='a\\nb'\nD="a\\nb"\n`);
  assert.equal(values.S, 'a\\nb');
  assert.equal(values.D, 'a\nb');
});

test('multi-line double-quoted values', () => {
  const { values, warnings } = parseDotenv('KEY="line one\nline two"\nNEXT=after\n');
  assert.equal(values.KEY, 'line one\nline two');
  assert.equal(values.NEXT, 'after');
  assert.deepEqual(warnings, []);
});

test('a line that is not an assignment is a warning with its line, and does not eat the next key', () => {
  const { values, warnings } = parseDotenv('A=1\nnot an assignment\nB=2\n', '.env');
  assert.deepEqual(values, { A: '1', B: '2' });
  assert.deepEqual(
    warnings.map((w) => [w.file, w.line]),
    [['.env', 2]],
  );
});

// Where honcho and foreman disagree, fbench follows the dotenv grammar (documented in the README).
test('FOO=bar baz keeps the whole value', () => {
  assert.equal(parseDotenv('FOO=bar baz\n').values.FOO, 'bar baz');
});

test('an inline # after an unquoted value starts a comment', () => {
  assert.equal(parseDotenv('FOO=bar # note\n').values.FOO, 'bar');
  assert.equal(parseDotenv('FOO="bar # kept"\n').values.FOO, 'bar # kept');
});

test('spaces around = are allowed', () => {
  assert.equal(parseDotenv('FOO = bar\n').values.FOO, 'bar');
});

test('an empty value is the empty string', () => {
  assert.equal(parseDotenv('EMPTY=\n').values.EMPTY, '');
});
