import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { FeishuStrategy, type FeishuCache, type FeishuStrategyOptions, type FeishuVerifyFunction } from '../lib/index.js';

/** What the constructor refuses, and how: the README's Options table is the promise. */

const verify: FeishuVerifyFunction = (_accessToken, _refreshToken, profile, done) => done(null, profile);
const valid = { clientID: 'cli_a1b2c3d4e5f6', clientSecret: 'app-secret-0123456789' };

function construct(options: unknown, callback: unknown = verify): FeishuStrategy {
  return new FeishuStrategy(options as FeishuStrategyOptions, callback as FeishuVerifyFunction);
}

describe('FeishuStrategy options', () => {
  for (const [label, options] of [
    ['no options', undefined],
    ['null', null],
    ['a string', 'cli_a1b2c3d4e5f6'],
  ] as const) {
    test(`${label} instead of an options object is a TypeError that says so`, () => {
      assert.throws(() => construct(options), { name: 'TypeError', message: 'FeishuStrategy requires an options object' });
    });
  }

  test('no verify callback is a TypeError naming the strategy', () => {
    assert.throws(() => construct(valid, null), { name: 'TypeError', message: 'FeishuStrategy requires a verify callback' });
    assert.throws(() => construct(valid, 'verify'), { name: 'TypeError', message: 'FeishuStrategy requires a verify callback' });
  });

  for (const [label, clientID] of [
    ['missing', undefined],
    ['empty', ''],
    ['a number', 42],
  ] as const) {
    test(`a clientID ${label} is a TypeError asking for the App ID`, () => {
      assert.throws(() => construct({ ...valid, clientID }), { name: 'TypeError', message: /^FeishuStrategy requires a clientID option \(the App ID, cli_…\)$/ });
    });
  }

  test('appId stands in for clientID', () => {
    assert.equal(construct({ appId: valid.clientID, clientSecret: valid.clientSecret }).appId, valid.clientID);
  });

  test('an unknown flow is a TypeError listing the flows there are', () => {
    assert.throws(() => construct({ ...valid, flow: 'v9' }), (err: Error) => {
      assert.ok(err instanceof TypeError);
      assert.match(err.message, /flow must be one of v1, v2, v3, suite, mini-program, got "v9"/);
      return true;
    });
  });

  test('a store app keeps its app_ticket 12 hours in the cache', async () => {
    const sets: Array<{ key: string; ttl: number | undefined }> = [];
    const values = new Map<string, unknown>();
    const cache: FeishuCache = {
      get: (key) => Promise.resolve(values.get(key)),
      set: (key, value, ttl) => {
        sets.push({ key, ttl });
        values.set(key, value);
        return Promise.resolve();
      },
      delete: (key) => Promise.resolve(values.delete(key)),
    };
    const strategy = construct({ ...valid, appType: 'store', cache });
    assert.equal(await strategy.saveAppTicket('ticket-0123456789abcdef'), true);
    const ticket = sets.find(({ key }) => key.endsWith(':app_ticket'));
    assert.ok(ticket, `the ticket was stored: ${JSON.stringify(sets)}`);
    assert.equal(ticket.ttl, 12 * 60 * 60 * 1000);
  });
});
