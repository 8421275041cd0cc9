import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseProcfile } from '../../src/config/procfile.js';
import { FbenchError } from '../../src/errors.js';

test('reads name: command lines, skipping comments and blank lines', () => {
  const { entries, warnings } = parseProcfile('# a bench\n\nweb: bench serve --port 8000\nworker:  bench worker\n');
  assert.deepEqual(entries, [
    { name: 'web', command: 'bench serve --port 8000', line: 3 },
    { name: 'worker', command: 'bench worker', line: 4 },
  ]);
  assert.deepEqual(warnings, []);
});

test('handles CRLF line ends and a BOM', () => {
  const { entries } = parseProcfile('\uFEFFweb: bench serve\r\nwatch: bench watch\r\n');
  assert.deepEqual(
    entries.map((e) => [e.name, e.command]),
    [
      ['web', 'bench serve'],
      ['watch', 'bench watch'],
    ],
  );
});

test('names may hold letters, digits, _ and -', () => {
  const { entries } = parseProcfile('worker_long-2: bench worker --queue long\n');
  assert.equal(entries[0]!.name, 'worker_long-2');
});

test('a malformed line is a warning with its line number, not silence', () => {
  const { entries, warnings } = parseProcfile('web: bench serve\nworker bench worker\nweb.2: x\n', 'Procfile');
  assert.equal(entries.length, 1);
  assert.deepEqual(
    warnings.map((w) => [w.file, w.line]),
    [
      ['Procfile', 2],
      ['Procfile', 3],
    ],
  );
  assert.match(warnings[0]!.message, /not a "name: command" line/);
});

test('a name with nothing after the colon is malformed', () => {
  const { warnings } = parseProcfile('web: bench serve\nempty:\n');
  assert.equal(warnings[0]!.line, 2);
});

test('a duplicate name is an error naming both lines', () => {
  assert.throws(
    () => parseProcfile('web: a\nworker: b\nweb: c\n'),
    (err: unknown) => err instanceof FbenchError && /duplicate process name "web" \(lines 1 and 3\)/.test(err.message) && err.location?.line === 3,
  );
});

test('an empty Procfile is an error', () => {
  assert.throws(() => parseProcfile('# nothing\n\n'), /defines no processes/);
});
