import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { HeldSecrets } from '../lib/secrets.js';

/**
 * README: every message built from an answer is scrubbed of the app secret, the current and
 * previous app tokens and the app_ticket, whichever the answer quotes.
 */

const APP_SECRET = 'app-secret-value';

describe('HeldSecrets', () => {
  test('the app secret is cut out from the start', () => {
    assert.equal(new HeldSecrets(APP_SECRET).scrub(`secret ${APP_SECRET} quoted`), 'secret [redacted] quoted');
  });

  test('after the app token changes, an answer to a request sent with the previous one is still scrubbed', () => {
    const held = new HeldSecrets(APP_SECRET);
    held.hold('appToken', 'first-app-token');
    held.hold('appToken', 'second-app-token');
    assert.equal(held.scrub('sent first-app-token, now second-app-token'), 'sent [redacted], now [redacted]');
  });

  test('holding the current token again does not push the previous one out', () => {
    const held = new HeldSecrets(APP_SECRET);
    held.hold('appToken', 'first-app-token');
    held.hold('appToken', 'second-app-token');
    // Every cache hit holds the token it read: the one before it may still be in flight.
    held.hold('appToken', 'second-app-token');
    assert.equal(held.scrub('first-app-token second-app-token'), '[redacted] [redacted]');
  });

  test("the app token's and the app_ticket's previous values are both kept", () => {
    const held = new HeldSecrets(APP_SECRET);
    held.hold('appToken', 'first-app-token');
    held.hold('appToken', 'second-app-token');
    held.hold('appTicket', 'first-app-ticket');
    held.hold('appTicket', 'second-app-ticket');
    assert.equal(
      held.scrub(`first-app-token second-app-token first-app-ticket second-app-ticket ${APP_SECRET}`),
      '[redacted] [redacted] [redacted] [redacted] [redacted]',
    );
  });

  test('the values of one request are cut out too; missing ones are skipped', () => {
    const held = new HeldSecrets(APP_SECRET);
    assert.equal(held.scrub('code abcdef12 verifier zyxwv987', 'abcdef12', undefined, 'zyxwv987'), 'code [redacted] verifier [redacted]');
  });
});
