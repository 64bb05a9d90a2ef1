import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { HeldSecrets } from '../lib/secrets.js';

/**
 * README: every message built from an answer is scrubbed of the app secret, the current and
 * previous app tokens, and what that request sent (a store app's app_ticket is checked end to
 * end in secrets.test.ts).
 */

const APP_SECRET = 'app-secret-value';

describe('HeldSecrets', () => {
  test('the app secret is cut out from the start', () => {
    assert.equal(new HeldSecrets(APP_SECRET).scrub(`secret ${APP_SECRET} quoted`), 'secret [redacted] quoted');
  });

  test('after the app token changes, an answer to a request sent with the previous one is still scrubbed', () => {
    const held = new HeldSecrets(APP_SECRET);
    held.holdAppToken('first-app-token');
    held.holdAppToken('second-app-token');
    assert.equal(held.scrub('sent first-app-token, now second-app-token'), 'sent [redacted], now [redacted]');
  });

  test('holding the current token again does not push the previous one out', () => {
    const held = new HeldSecrets(APP_SECRET);
    held.holdAppToken('first-app-token');
    held.holdAppToken('second-app-token');
    // Every cache hit holds the token it read: the one before it may still be in flight.
    held.holdAppToken('second-app-token');
    assert.equal(held.scrub('first-app-token second-app-token'), '[redacted] [redacted]');
  });

  test('the values of one request are cut out too; missing ones are skipped', () => {
    const held = new HeldSecrets(APP_SECRET);
    assert.equal(held.scrub('code abcdef12 verifier zyxwv987', 'abcdef12', undefined, 'zyxwv987'), 'code [redacted] verifier [redacted]');
  });
});
