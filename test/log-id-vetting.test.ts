// Every answer's log id is vetted against the secrets of its request. The cheap check
// (`mayQuote`) must never let through a log id that the full redaction would cut.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { mayQuote, redact } from '../lib/redaction.js';
import { HeldSecrets } from '../lib/secrets.js';

const SECRET = 'AlnumAppSecret0123456789';
const LOG_ID_CHAR = fc.constantFrom(...'ABCDEFabcdef0123456789-xyzXYZ');

describe('vetting a log id', () => {
  test('an ordinary log id next to unrelated secrets needs no redaction', () => {
    for (const logId of ['2026120801252311AB0C4D5E6F7A8B9C', '20260101-abc', 'tt-2']) {
      assert.equal(mayQuote(logId, [SECRET, 'u-someUserAccessToken123', 'code-of-the-login-42']), false, logId);
    }
  });

  test('a log id that holds a secret, in any case, or its base64 or hex, is sent to redaction', () => {
    const quoting = [
      `2026${SECRET}`,
      SECRET.toUpperCase(),
      Buffer.from(`x${SECRET}`).toString('base64url'),
      Buffer.from(SECRET).toString('hex'),
      `0${Buffer.from(SECRET).toString('hex')}`,
    ];
    for (const logId of quoting) {
      assert.equal(mayQuote(logId, [SECRET]), true, logId);
      assert.notEqual(redact(logId, [SECRET]), logId, logId);
    }
  });

  test('a token-shaped log id, or one that decodes to a token, is sent to redaction', () => {
    assert.equal(mayQuote('2026-u-abcdefghij', []), true);
    assert.equal(mayQuote(Buffer.from('u-abcdefghijklmnop').toString('hex'), []), true);
  });

  test('text that is not shaped like a log id is always left to redaction', () => {
    for (const text of ['', 'has space', 'a_b', 'x'.repeat(65), 'Bearer%20x']) assert.equal(mayQuote(text, []), true, text);
  });

  test('a secret with no letters or digits, or of 4 characters, is still looked for', () => {
    assert.equal(mayQuote('2026abcd', ['~~~~']), true);
    assert.equal(mayQuote('2026abcd', ['ABCD']), true);
    // Shorter values are never cut, so they are not looked for either.
    assert.equal(mayQuote('2026abc', ['abc']), false);
  });

  test('property: whenever redaction would cut a log id, mayQuote says so', () => {
    const secretArb = fc.oneof(
      fc.string({ minLength: 4, maxLength: 24 }),
      fc.stringMatching(/^[A-Za-z0-9]{4,24}$/),
      fc.stringMatching(/^[A-Za-z0-9/+=_.~-]{4,24}$/),
    );
    fc.assert(
      fc.property(fc.array(secretArb, { maxLength: 3 }), fc.array(LOG_ID_CHAR, { maxLength: 64 }), fc.nat(3), (secrets, chars, encoding) => {
        // Half the time the log id quotes one of the secrets, as it is or encoded.
        const quoted = secrets[0] === undefined ? '' : [secrets[0], Buffer.from(secrets[0]).toString('hex'), Buffer.from(secrets[0]).toString('base64url'), ''][encoding] ?? '';
        const logId = `${chars.join('')}${quoted}`.slice(0, 64);
        if (!mayQuote(logId, secrets)) assert.equal(redact(logId, secrets), logId);
      }),
      { numRuns: 2000 },
    );
  });

  test('HeldSecrets keeps a clean log id and drops one that quotes what the request sent', () => {
    const held = new HeldSecrets(SECRET);
    held.holdAppToken('t-appAccessToken0123456789');
    assert.equal(held.logId('2026120801252311AB0C4D5E6F7A8B9C', 'the-code-0123'), '2026120801252311AB0C4D5E6F7A8B9C');
    assert.equal(held.logId('2026-the-code-0123', 'the-code-0123'), undefined);
    assert.equal(held.logId(Buffer.from('t-appAccessToken0123456789').toString('hex').slice(0, 64)), undefined);
    assert.equal(held.logId(undefined), undefined);
    // The cheap check says "maybe" (the secret's run `cdef` is there); redaction cuts nothing, so it is kept.
    const short = new HeldSecrets('ab-cdef-gh');
    assert.equal(mayQuote('2026cdef', ['ab-cdef-gh']), true);
    assert.equal(short.logId('2026cdef'), '2026cdef');
  });

  test('HeldSecrets: holding the token in use again keeps the one before it', () => {
    const held = new HeldSecrets(undefined);
    held.holdAppToken('FirstAppToken0001');
    held.holdAppToken('SecondAppToken002');
    held.holdAppToken('SecondAppToken002');
    assert.equal(held.scrub('old FirstAppToken0001 new SecondAppToken002'), 'old [redacted] new [redacted]');
  });
});
