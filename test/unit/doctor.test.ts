import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compare, minVersion } from '../../src/doctor/node.js';
import { renderFindings, verdictOf } from '../../src/doctor/run.js';
import { fail, ok, warn } from '../../src/doctor/types.js';

test('the lowest node an engines range accepts', () => {
  assert.equal(minVersion('>=18'), '18.0.0');
  assert.equal(minVersion('^20.11.1'), '20.11.1');
  assert.equal(minVersion('>=18.12 <23'), '18.12.0');
  assert.ok(compare('20.20.2', '18.0.0') > 0);
  assert.ok(compare('16.20.0', '18.0.0') < 0);
  assert.equal(compare('18.0.0', '18.0.0'), 0);
});

test('verdict and rendering: ✔/⚠/✖, one line of finding and one of fix', () => {
  const findings = [ok('Redis', 'fine'), warn('Ports', 'shared', 'move it'), fail('Redis', 'broken', 'fix it')];
  assert.deepEqual(verdictOf(findings), { ok: false, failures: 1, warnings: 1 });
  const text = renderFindings(findings, false);
  assert.match(text, /^Redis\n {2}✔ fine\n\nPorts\n {2}⚠ shared\n {6}fix: move it\n\nRedis\n {2}✖ broken\n {6}fix: fix it\n\nverdict: 1 problem and 1 warning/);
  assert.match(renderFindings([ok('A', 'x')], false), /verdict: all clear/);
});
