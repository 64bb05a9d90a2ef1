import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import { EXPIRY_MARGIN_MS } from '../lib/app-token.js';
import { FeishuStrategy, MemoryCache, type FeishuCache } from '../lib/index.js';
import { startMockFeishu, type MockFeishu } from '../lib/testing/index.js';

/** A MemoryCache that remembers every write, to check what the strategy stores and for how long. */
class RecordingCache extends MemoryCache implements FeishuCache {
  readonly writes: Array<{ key: string; value: unknown; ttl: number | undefined }> = [];
  override set(key: string, value: unknown, ttl?: number): Promise<boolean> {
    this.writes.push({ key, value, ttl });
    return super.set(key, value, ttl);
  }
}

let mock: MockFeishu;
before(async () => {
  mock = await startMockFeishu();
});
after(() => mock.close());
beforeEach(() => mock.resetCalls());

function strategy(cache: FeishuCache = new MemoryCache(), extra: Record<string, unknown> = {}) {
  return new FeishuStrategy({ domain: mock.hosts, clientID: mock.app.appId, clientSecret: mock.app.appSecret, cache, ...extra }, () => undefined);
}

describe('the app_access_token cache', () => {
  test('40 concurrent cold requests make one fetch (single flight)', async () => {
    const s = strategy();
    const tokens = await Promise.all(Array.from({ length: 40 }, () => s.appTokens.get()));
    assert.equal(new Set(tokens).size, 1);
    assert.equal(mock.calls.appAccessToken, 1);
    assert.equal(s.appTokens.fetches, 1);
  });

  test('a cached token is reused, with no request', async () => {
    const s = strategy();
    const first = await s.appTokens.get();
    assert.equal(await s.appTokens.get(), first);
    assert.equal(mock.calls.appAccessToken, 1);
  });

  test('is kept until 3 minutes before expire, under a key naming domain and app', async () => {
    const cache = new RecordingCache();
    await strategy(cache).appTokens.get();
    const [write] = cache.writes;
    assert.equal(write?.key, `passport-feishu:${mock.origin}:${mock.app.appId}:app_access_token`);
    // The mock answers expire ≤ 7200 s; the TTL keeps the SDKs' 3-minute margin.
    assert.ok(write?.ttl !== undefined && write.ttl <= 7200 * 1000 - EXPIRY_MARGIN_MS && write.ttl > 7100 * 1000 - EXPIRY_MARGIN_MS);
  });

  // README: "renewed 3 minutes early". One fake clock drives the strategy and the mock alike
  // (the mock reads Date.now() too), so Feishu's `expire` and the cache age together.
  test('a token is used until 3 minutes before Feishu says it expires, and not one second later', async (t) => {
    t.mock.timers.enable({ apis: ['Date'], now: Date.now() });
    mock.revokeAppTokens(); // a fresh token: Feishu answers expire = 7200
    const s = strategy();
    const first = await s.appTokens.get();
    t.mock.timers.tick((7200 - 180 - 1) * 1000);
    assert.equal(await s.appTokens.get(), first, 'at expire - 3 min - 1 s the cached token is used');
    assert.equal(mock.calls.appAccessToken, 1);
    t.mock.timers.tick(2000);
    const renewed = await s.appTokens.get();
    assert.equal(mock.calls.appAccessToken, 2, 'at expire - 3 min + 1 s it is fetched again');
    assert.notEqual(renewed, first, 'and Feishu, with under 30 minutes left, issued a new one');
  });

  test('a failed fetch is not cached and the next call tries again', async () => {
    const s = strategy();
    mock.inject('appAccessToken', { kind: 'error', code: 99991400, msg: 'request trigger frequency limit' });
    await assert.rejects(s.appTokens.get(), { name: 'FeishuAPIError', feishuCode: 99991400 });
    assert.match(await s.appTokens.get(), /^t-/);
    assert.equal(mock.calls.appAccessToken, 2);
  });

  test('invalidating an old token keeps a newer one another login stored', async () => {
    const cache = new MemoryCache();
    const s = strategy(cache);
    const current = await s.appTokens.get();
    await s.appTokens.invalidate('t-an-older-token');
    assert.equal(await s.appTokens.get(), current);
    await s.appTokens.invalidate(current);
    mock.revokeAppTokens();
    assert.notEqual(await s.appTokens.get(), current);
  });

  test('a cache that fails or never answers counts as a miss: the token comes from Feishu', async () => {
    const broken: FeishuCache = {
      get: () => Promise.reject(new Error('redis down')),
      set: () => Promise.reject(new Error('redis down')),
      delete: () => Promise.reject(new Error('redis down')),
    };
    assert.match(await strategy(broken).appTokens.get(), /^t-/);
    const silent: FeishuCache = { get: () => new Promise(() => undefined), set: () => new Promise(() => undefined), delete: () => new Promise(() => undefined) };
    // 1 s bounds the silent cache and the call to Feishu alike: short for the wait, long enough for a loaded machine's answer.
    assert.match(await strategy(silent, { timeout: 1000 }).appTokens.get(), /^t-/);
  });
});

describe('the mock keeps Feishu’s app-token rules', () => {
  test('the same token while it has ≥ 30 minutes left, a new one after', async () => {
    const fetchToken = async () => {
      const res = await fetch(`${mock.origin}/open-apis/auth/v3/app_access_token/internal`, {
        method: 'POST',
        headers: { 'content-type': 'application/json; charset=utf-8' },
        body: JSON.stringify({ app_id: mock.app.appId, app_secret: mock.app.appSecret }),
      });
      return (await res.json()) as { code: number; app_access_token: string; expire: number };
    };
    mock.revokeAppTokens();
    const first = await fetchToken();
    assert.equal(first.code, 0);
    mock.advance(60 * 60 * 1000);
    const later = await fetchToken();
    assert.equal(later.app_access_token, first.app_access_token);
    assert.ok(later.expire <= 3600);
    mock.advance(35 * 60 * 1000);
    try {
      const renewed = await fetchToken();
      assert.notEqual(renewed.app_access_token, first.app_access_token);
      assert.equal(renewed.expire, 7200);
    } finally {
      mock.advance(-95 * 60 * 1000);
    }
  });

  test('a wrong secret is 10014 with HTTP 200', async () => {
    const res = await fetch(`${mock.origin}/open-apis/auth/v3/app_access_token/internal`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ app_id: mock.app.appId, app_secret: 'nope' }),
    });
    assert.equal(res.status, 200);
    assert.equal(((await res.json()) as { code: number }).code, 10014);
    assert.ok(res.headers.get('x-tt-logid'));
  });

  test('the v1 exchange requires a Bearer app token and a JSON body', async () => {
    const url = `${mock.origin}/open-apis/authen/v1/access_token`;
    const noToken = (await (await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ grant_type: 'authorization_code', code: mock.issueCode() }) })).json()) as { code: number };
    assert.equal(noToken.code, 99991661);
    const appToken = await strategy().appTokens.get();
    const form = (await (
      await fetch(url, { method: 'POST', headers: { authorization: `Bearer ${appToken}`, 'content-type': 'application/x-www-form-urlencoded' }, body: `grant_type=authorization_code&code=${mock.issueCode()}` })
    ).json()) as { code: number };
    assert.equal(form.code, 20001);
  });
});
