import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { has, messageWith, readRequest, type ControlMessage } from '../../src/session/control-protocol.js';

describe('the control contract', () => {
  test("a request from another program is read into the contract's form: wrong types dropped, defaults given, nothing else passed", () => {
    assert.deepEqual(readRequest.restart({ cmd: 'restart', names: ['web', 3], graceSeconds: -1, wait: 'yes', extra: 1 }), { names: ['web', '3'], wait: false });
    assert.deepEqual(readRequest.stop({ names: 'web', graceSeconds: 5, force: true }), { names: [], graceSeconds: 5, force: true });
    assert.deepEqual(readRequest.logs({ names: ['system'], n: 'all', follow: 1, since: 12 }), { names: ['system'], n: 50, follow: false, since: 12 });
    assert.deepEqual(readRequest.attach({ name: null, who: 7 }), { name: '' });
    assert.deepEqual(readRequest.debug({ names: ['worker.1'], wait: true }), { names: ['worker.1'], wait: true, off: false });
    assert.deepEqual(readRequest.ps({ anything: true }), {});
  });

  test('messages are told apart by the fields the contract gives them', () => {
    const got: ControlMessage<'stop'>[] = [
      { say: 'waiting for worker.1', waiting: ['worker.1'] },
      { ok: true, names: ['worker.1'] },
    ];
    assert.deepEqual(messageWith(got, 'names')?.names, ['worker.1']);
    assert.equal(got.filter((m) => has(m, 'say')).length, 1);
    assert.equal(messageWith(got, 'ended'), undefined);
    // A field no message of the request has does not compile (the build of this file fails if it did):
    // @ts-expect-error `said` is no field of a stop's messages
    assert.equal(messageWith(got, 'said'), undefined);
    // @ts-expect-error a restart's results are no message of a stop
    const results = (m: ControlMessage<'stop'>): boolean => has(m, 'results');
    assert.equal(got.some(results), false);
  });
});
