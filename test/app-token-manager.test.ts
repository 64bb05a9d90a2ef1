import assert from 'node:assert/strict';
import { after, afterEach, before, beforeEach, describe, mock, test } from 'node:test';
import { InternalOAuthError } from 'passport-oauth2';
import { AppTokenManager, EXPIRY_MARGIN_MS, type AppTokenSource } from '../lib/app-token.js';
import { FeishuAPIError, FeishuTokenError, MemoryCache, TransportError, type FeishuCache } from '../lib/index.js';
import { AnswerServer, type ScriptedAnswer } from './helpers/answer-server.js';
import { HeldSecrets } from '../lib/secrets.js';

/**
 * The app_access_token manager against scripted answers: what it trusts from the cache and
 * from Feishu, what it stores, and how it drops a token Feishu refused.
 */

const SECRET = 'app-secret-for-tests';
const KEY = 'passport-feishu:test:cli_test:app_access_token';
const good = (token: string, expire = 7200): ScriptedAnswer => ({ json: { code: 0, msg: 'ok', app_access_token: token, expire } });

let server: AnswerServer;
before(async () => {
  server = await new AnswerServer().listen();
});
after(() => server.close());
beforeEach(() => server.reset());

/** A MemoryCache that records every call. */
class RecordingCache extends MemoryCache {
  readonly log: string[] = [];
  override get(key: string): Promise<unknown> {
    this.log.push(`get ${key}`);
    return super.get(key);
  }
  override set(key: string, value: unknown, ttl?: number): Promise<boolean> {
    this.log.push(`set ${key} ${ttl}`);
    return super.set(key, value, ttl);
  }
  override delete(key: string): Promise<boolean> {
    this.log.push(`delete ${key}`);
    return super.delete(key);
  }
}

function manager(cache: FeishuCache = new MemoryCache(), source: Partial<AppTokenSource> = {}): AppTokenManager {
  return new AppTokenManager({
    source: { url: `${server.origin}/open-apis/auth/v3/app_access_token/internal`, body: () => Promise.resolve({ app_id: 'cli_test', app_secret: SECRET }), ...source },
    cache,
    cacheKey: KEY,
    timeout: 10_000,
    secrets: new HeldSecrets(SECRET),
  });
}

describe('fetching the app_access_token', () => {
  test("POSTs the source's body as JSON to its URL, and counts the fetch", async () => {
    server.answer(good('t-1'));
    const tokens = manager();
    assert.equal(await tokens.get(), 't-1');
    assert.equal(tokens.fetches, 1);
    const [req] = server.received;
    assert.equal(req?.method, 'POST');
    assert.equal(req.path, '/open-apis/auth/v3/app_access_token/internal');
    assert.deepEqual(JSON.parse(req.body), { app_id: 'cli_test', app_secret: SECRET });
  });

  test('stores it for `expire` less the 3-minute margin, under the key it was given', async () => {
    server.answer(good('t-1', 600));
    const cache = new RecordingCache();
    await manager(cache).get();
    assert.deepEqual(cache.log, [`get ${KEY}`, `set ${KEY} ${600_000 - EXPIRY_MARGIN_MS}`]);
    assert.equal(EXPIRY_MARGIN_MS, 180_000);
  });

  test('a token with no life beyond the margin is used, but never stored (a TTL of 0 means "forever" to Keyv)', async () => {
    server.answer(good('t-short', 180), good('t-next', 180));
    const cache = new RecordingCache();
    const tokens = manager(cache);
    assert.equal(await tokens.get(), 't-short');
    assert.equal(await tokens.get(), 't-next');
    assert.deepEqual(cache.log, [`get ${KEY}`, `get ${KEY}`]);
  });

  const refused: ReadonlyArray<[string, ScriptedAnswer, number | undefined]> = [
    ['a JSON null', { json: null }, undefined],
    ['code 0 without a token', { json: { code: 0, expire: 7200 } }, 0],
    ['an empty token', { json: { code: 0, app_access_token: '', expire: 7200 } }, 0],
    ['a token that is not a string', { json: { code: 0, app_access_token: 42, expire: 7200 } }, 0],
    ['no expire', { json: { code: 0, app_access_token: 't-1' } }, 0],
    ['an expire that is not a number', { json: { code: 0, app_access_token: 't-1', expire: '7200' } }, 0],
    ['a code that is not the number 0', { json: { code: '0', app_access_token: 't-1', expire: 7200 } }, undefined],
  ];
  for (const [what, answer, feishuCode] of refused) {
    test(`${what} is a FeishuAPIError naming the missing token, and nothing is stored`, async () => {
      server.answer(answer);
      const cache = new RecordingCache();
      await assert.rejects(manager(cache).get(), (err: unknown) => {
        assert.ok(err instanceof FeishuAPIError);
        assert.equal(err.feishuCode, feishuCode);
        assert.match(err.msg, /\bapp_access_token\b/);
        return true;
      });
      assert.deepEqual(cache.log, [`get ${KEY}`]);
    });
  }

  test("Feishu's refusal carries its code, its msg without the secret, the log id and the status", async () => {
    server.answer({ status: 400, json: { code: 10014, msg: `app secret invalid: ${SECRET}` }, headers: { 'x-tt-logid': '2026LOGID' } });
    await assert.rejects(manager().get(), (err: unknown) => {
      assert.ok(err instanceof FeishuAPIError);
      assert.equal(err.feishuCode, 10014);
      assert.equal(err.msg, 'app secret invalid: [redacted]');
      assert.equal(err.logId, '2026LOGID');
      assert.equal(err.feishuStatus, 400);
      assert.equal(err.status, 502);
      assert.match(err.message, /^Failed to obtain app_access_token: /);
      assert.ok(!err.message.includes(SECRET));
      return true;
    });
  });

  test('a msg that is not a string is replaced, not passed on', async () => {
    server.answer({ json: { code: 99991400, msg: { text: 'throttled' } } });
    await assert.rejects(manager().get(), (err: unknown) => err instanceof FeishuAPIError && typeof err.msg === 'string' && /app_access_token/.test(err.msg));
  });

  test("the source hears Feishu's code on a refusal (store apps resend the ticket on 10012)", async () => {
    const heard: Array<number | undefined> = [];
    const tokens = manager(new MemoryCache(), { onError: (code) => Promise.resolve(void heard.push(code)) });
    server.answer({ json: { code: 10012, msg: 'app ticket invalid' } }, { json: null });
    await assert.rejects(tokens.get(), FeishuAPIError);
    await assert.rejects(tokens.get(), FeishuAPIError);
    assert.deepEqual(heard, [10012, undefined]);
  });

  test('no JSON answer is an InternalOAuthError around the TransportError', async () => {
    server.answer({ status: 502, text: '<html>502 Bad Gateway</html>' });
    await assert.rejects(manager().get(), (err: unknown) => {
      assert.ok(err instanceof InternalOAuthError);
      assert.ok(err.oauthError instanceof TransportError);
      assert.equal(err.oauthError.kind, 'not-json');
      assert.match(err.message, /app_access_token/);
      return true;
    });
  });

  test("an error from the source itself (a store app's missing ticket) passes through as it is", async () => {
    const missing = new FeishuAPIError('Failed to obtain app_access_token', { feishuCode: 10012, msg: 'no app_ticket yet', logId: undefined, feishuStatus: 0 });
    await assert.rejects(manager(new MemoryCache(), { body: () => Promise.reject(missing) }).get(), (err) => err === missing);
    assert.equal(server.received.length, 0);
  });
});

describe('what the cache may hold', () => {
  const garbage: ReadonlyArray<[string, unknown]> = [
    ['a bare string', 't-cached'],
    ['null', null],
    ['a number', 42],
    ['a token that is not a string', { token: 42, expiresAt: Number.MAX_SAFE_INTEGER }],
    ['an expiry that is not a number', { token: 't-cached', expiresAt: String(Number.MAX_SAFE_INTEGER) }],
    ['no expiry', { token: 't-cached' }],
  ];
  for (const [what, value] of garbage) {
    test(`${what} in the cache is a miss: the token comes from Feishu`, async () => {
      const cache = new MemoryCache();
      await cache.set(KEY, value);
      server.answer(good('t-fresh'));
      assert.equal(await manager(cache).get(), 't-fresh');
    });
  }

  describe('expiry (a mocked clock)', () => {
    const now = 1_800_000_000_000;
    beforeEach(() => mock.timers.enable({ apis: ['Date'], now }));
    afterEach(() => mock.timers.reset());

    test('a cached token is used until its expiresAt, and not at that instant', async () => {
      const cache = new MemoryCache();
      await cache.set(KEY, { token: 't-cached', expiresAt: now + 1 });
      const tokens = manager(cache);
      assert.equal(await tokens.get(), 't-cached');
      await cache.set(KEY, { token: 't-cached', expiresAt: now });
      server.answer(good('t-fresh'));
      assert.equal(await tokens.get(), 't-fresh');
    });
  });
});

describe('one fetch at a time', () => {
  test('callers that come while a fetch is under way wait for it, without reading the cache again', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let asked!: () => void;
    const bodyAsked = new Promise<void>((resolve) => (asked = resolve));
    const cache = new RecordingCache();
    const tokens = manager(cache, {
      body: async () => {
        asked();
        await gate;
        return { app_id: 'cli_test', app_secret: SECRET };
      },
    });
    server.answer(good('t-1'));
    const first = tokens.get();
    await bodyAsked;
    const second = tokens.get();
    release();
    assert.deepEqual(await Promise.all([first, second]), ['t-1', 't-1']);
    assert.equal(cache.log.filter((line) => line.startsWith('get')).length, 1);
    assert.equal(tokens.fetches, 1);
  });

  test('a failed fetch is not shared with the next caller', async () => {
    server.answer({ json: { code: 99991400, msg: 'throttled' } }, good('t-after'));
    const tokens = manager();
    await assert.rejects(tokens.get(), FeishuAPIError);
    assert.equal(await tokens.get(), 't-after');
  });
});

describe('use: a token Feishu refuses is dropped and the call tried once more', () => {
  const refusal = (token: string) => new FeishuTokenError('Failed to obtain access token', 'invalid_client', { feishuCode: 20014, msg: `app token ${token} invalid`, logId: undefined, feishuStatus: 200 });

  test('the retry gets a new token even when the cache read fails while dropping the old one', async () => {
    /** Fails its `failOn`-th read, as Redis does during a blip. */
    class BlipCache extends MemoryCache {
      reads = 0;
      failOn = 0;
      override get(key: string): Promise<unknown> {
        this.reads += 1;
        return this.reads === this.failOn ? Promise.resolve(undefined) : super.get(key);
      }
    }
    const cache = new BlipCache();
    server.answer(good('t-old'), good('t-new'));
    const tokens = manager(cache);
    assert.equal(await tokens.get(), 't-old');
    cache.failOn = cache.reads + 2; // use() reads once for the token, then once while dropping it
    const seen: string[] = [];
    const result = await tokens.use((token) => {
      seen.push(token);
      return token === 't-old' ? Promise.reject(refusal(token)) : Promise.resolve(`done with ${token}`);
    });
    assert.equal(result, 'done with t-new');
    assert.deepEqual(seen, ['t-old', 't-new']);
  });

  test('other errors are not retried, and the token stays', async () => {
    server.answer(good('t-1'));
    const tokens = manager();
    const used = new FeishuTokenError('Failed to obtain access token', 'invalid_grant', { feishuCode: 20003, msg: 'code used', logId: undefined, feishuStatus: 200 });
    let calls = 0;
    await assert.rejects(
      tokens.use(() => {
        calls += 1;
        return Promise.reject(used);
      }),
      (err) => err === used,
    );
    assert.equal(calls, 1);
    assert.equal(await tokens.get(), 't-1');
    assert.equal(tokens.fetches, 1);
  });
});
