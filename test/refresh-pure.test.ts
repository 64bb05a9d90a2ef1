// The pure parts of coordinated refresh: which refusal means "sign in again", and what a
// cached token set must hold to be handed out again.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { reauthorizationReason } from '../lib/refresh/reasons.js';
import { reviveTokenSet } from '../lib/refresh/token-set.js';

const NOW = 1_800_000_000_000;
const MINUTE = 60_000;

describe('reauthorizationReason', () => {
  test('each final code has its reason; other codes, none, or an inherited name have none', () => {
    assert.equal(reauthorizationReason(20037, undefined, NOW), 'expired');
    assert.equal(reauthorizationReason(20038, undefined, NOW), 'used');
    assert.equal(reauthorizationReason(20064, undefined, NOW), 'revoked');
    assert.equal(reauthorizationReason(20073, undefined, NOW), 'used');
    assert.equal(reauthorizationReason(20074, undefined, NOW), 'disabled');
    for (const code of [undefined, 20026, 20050, 0]) assert.equal(reauthorizationReason(code, NOW + 60 * MINUTE, NOW), undefined, String(code));
    // A code that is a property every object has is no reason.
    assert.equal(reauthorizationReason('constructor' as unknown as number, undefined, NOW), undefined);
    assert.equal(reauthorizationReason(Number.NaN, undefined, NOW), undefined);
  });

  test('a 20037 more than 5 minutes before the known end is the consent limit; within 5 minutes, the token expiring', () => {
    assert.equal(reauthorizationReason(20037, NOW + 5 * MINUTE + 1, NOW), 'consent-expired');
    assert.equal(reauthorizationReason(20037, NOW + 5 * MINUTE, NOW), 'expired');
    assert.equal(reauthorizationReason(20037, NOW + 4 * MINUTE, NOW), 'expired');
    assert.equal(reauthorizationReason(20037, NOW - MINUTE, NOW), 'expired');
    assert.equal(reauthorizationReason(20037, Number.POSITIVE_INFINITY, NOW), 'expired');
    assert.equal(reauthorizationReason(20037, Number.NaN, NOW), 'expired');
    assert.equal(reauthorizationReason(20037, String(NOW + 60 * MINUTE) as unknown as number, NOW), 'expired');
  });

  test('only 20037 can become consent-expired', () => {
    for (const code of [20038, 20064, 20073, 20074]) assert.notEqual(reauthorizationReason(code, NOW + 60 * MINUTE, NOW), 'consent-expired');
  });
});

describe('reviveTokenSet', () => {
  const whole = { accessToken: 'u-a', refreshToken: 'ur-b', expiresIn: 7200, refreshExpiresIn: 604800, expiresAt: NOW, refreshExpiresAt: NOW + 1, scope: 'x', params: { access_token: 'u-a' } };

  test('a whole set comes back as it was', () => {
    assert.deepEqual(reviveTokenSet(JSON.parse(JSON.stringify(whole))), whole);
  });

  test('fields of the wrong type are left out, not passed on', () => {
    const revived = reviveTokenSet({ ...whole, refreshToken: 5, expiresIn: '7200', refreshExpiresIn: Number.NaN, expiresAt: Number.POSITIVE_INFINITY, scope: null });
    assert.deepEqual(revived, { ...whole, refreshToken: undefined, expiresIn: undefined, refreshExpiresIn: undefined, expiresAt: undefined, scope: undefined });
  });

  test('anything that is not a set with an access token and params is no set', () => {
    for (const value of [null, undefined, 'u-a', 7, { ...whole, accessToken: '' }, { ...whole, accessToken: 5 }, { ...whole, params: null }, { ...whole, params: 'x' }, { params: {} }]) {
      assert.equal(reviveTokenSet(value), undefined, JSON.stringify(value));
    }
  });
});
