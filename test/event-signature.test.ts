import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { checkEventSignature, eventSignature } from '../lib/events/signature.js';

/** The X-Lark-Signature check on its own: every header, every length, never a throw. */
describe('checking X-Lark-Signature', () => {
  const KEY = 'encrypt-key';
  const BODY = Buffer.from('{"encrypt":"abc"}');
  const signed = (): Record<string, string> => ({
    'x-lark-request-timestamp': '1700000000',
    'x-lark-request-nonce': 'nonce-1',
    'x-lark-signature': eventSignature('1700000000', 'nonce-1', KEY, BODY),
  });

  test('the three headers and the right signature are valid', () => {
    assert.equal(checkEventSignature(signed(), BODY, KEY), 'valid');
  });

  for (const name of ['x-lark-request-timestamp', 'x-lark-request-nonce', 'x-lark-signature']) {
    test(`without ${name} alone, the event is unsigned`, () => {
      const headers = signed();
      delete headers[name];
      assert.equal(checkEventSignature(headers, BODY, KEY), 'missing');
    });
    test(`an empty ${name} counts as missing`, () => {
      assert.equal(checkEventSignature({ ...signed(), [name]: '' }, BODY, KEY), 'missing');
    });
  }

  test('a repeated header is read from its first value', () => {
    const headers = signed();
    assert.equal(checkEventSignature({ ...headers, 'x-lark-signature': [headers['x-lark-signature'] ?? '', 'forged'] }, BODY, KEY), 'valid');
    assert.equal(checkEventSignature({ ...headers, 'x-lark-signature': ['forged', headers['x-lark-signature'] ?? ''] }, BODY, KEY), 'wrong');
  });

  test('a signature of another length is wrong, not a crash', () => {
    const good = signed()['x-lark-signature'] ?? '';
    for (const signature of ['0', good.slice(1), `${good}0`, 'é'.repeat(32)]) {
      assert.equal(checkEventSignature({ ...signed(), 'x-lark-signature': signature }, BODY, KEY), 'wrong');
    }
  });

  test('another key, body, timestamp or nonce makes it wrong', () => {
    assert.equal(checkEventSignature(signed(), BODY, 'other-key'), 'wrong');
    assert.equal(checkEventSignature(signed(), Buffer.from('{"encrypt":"abd"}'), KEY), 'wrong');
    assert.equal(checkEventSignature({ ...signed(), 'x-lark-request-timestamp': '1700000001' }, BODY, KEY), 'wrong');
    assert.equal(checkEventSignature({ ...signed(), 'x-lark-request-nonce': 'nonce-2' }, BODY, KEY), 'wrong');
  });

  test('the upper-case hex of the right signature is wrong: Feishu sends lower case', () => {
    const upper = (signed()['x-lark-signature'] ?? '').toUpperCase();
    assert.equal(checkEventSignature({ ...signed(), 'x-lark-signature': upper }, BODY, KEY), 'wrong');
  });
});
