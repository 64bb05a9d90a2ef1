import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { FeishuTokenError, MemoryCache, ReauthorizationRequiredError, RefreshCoordinator, type FeishuCache } from '../lib/index.js';
import { sealedEntryKeys } from '../lib/refresh/sealed-entry.js';
import { DEFAULT_APP, startMockFeishu } from '../lib/testing/index.js';
import { buildApp, login } from './helpers/app.js';
import { InspectableCache } from './helpers/inspectable-cache.js';

const NAMESPACE = 'https://open.feishu.cn|cli_test';
const TOKEN = 'ur-0123456789abcdefghijklmnopqrstuv';

interface Deferred<T> {
  promise: Promise<T>;
  resolve(value: T): void;
  reject(err: Error): void;
}

function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (err: Error) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** A shared cache whose every call takes a real round trip (a macrotask), as a network store's does. */
function remote(cache: FeishuCache): FeishuCache {
  const later = <T>(call: () => Promise<T>) =>
    new Promise<T>((resolve, reject) =>
      setImmediate(() => {
        call().then(resolve, reject);
      }),
    );
  return {
    get: (key) => later(() => cache.get(key)),
    set: (key, value, ttl) => later(() => cache.set(key, value, ttl)),
    delete: (key) => later(() => cache.delete(key)),
  };
}

function usedRefusal(): ReauthorizationRequiredError {
  return new ReauthorizationRequiredError('used', 'Failed to refresh access token', 'invalid_grant', { feishuCode: 20073, msg: 'used', logId: undefined, feishuStatus: 400 });
}

describe('RefreshCoordinator', () => {
  test('20 concurrent runs in one process make one refresh and share its result', async () => {
    const coordinator = new RefreshCoordinator({ namespace: NAMESPACE });
    let calls = 0;
    const results = await Promise.all(
      Array.from({ length: 20 }, () =>
        coordinator.run(TOKEN, async () => {
          calls += 1;
          await new Promise((resolve) => setImmediate(resolve));
          return { accessToken: `u-${calls}` };
        }),
      ),
    );
    assert.equal(calls, 1);
    assert.equal(coordinator.refreshes, 1);
    for (const result of results) assert.deepEqual(result, { accessToken: 'u-1' });
  });

  test('two instances on one shared cache: 20 concurrent runs make one refresh', async () => {
    const shared = new MemoryCache();
    const one = new RefreshCoordinator({ cache: remote(shared), namespace: NAMESPACE });
    const two = new RefreshCoordinator({ cache: remote(shared), namespace: NAMESPACE });
    let calls = 0;
    const refresh = async () => {
      calls += 1;
      await new Promise((resolve) => setTimeout(resolve, 20));
      return { accessToken: `u-${calls}` };
    };
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? one : two).run(TOKEN, refresh)));
    assert.equal(calls, 1);
    for (const result of results) assert.deepEqual(result, { accessToken: 'u-1' });
  });

  test('a repeat within the window has the stored result; the entry lives windowMs; after it, the refresh runs again', async () => {
    const cache = new InspectableCache();
    const coordinator = new RefreshCoordinator({ cache, namespace: NAMESPACE, windowMs: 45_000 });
    let calls = 0;
    const refresh = () => Promise.resolve({ accessToken: `u-${(calls += 1)}` });
    assert.deepEqual(await coordinator.run(TOKEN, refresh), { accessToken: 'u-1' });
    assert.deepEqual(await coordinator.run(TOKEN, refresh), { accessToken: 'u-1' });
    assert.equal(calls, 1);
    const entries = [...cache.entries].filter(([key]) => key.startsWith('passport-feishu:refresh:'));
    assert.equal(entries.length, 1);
    assert.equal(entries[0]![1].ttl, 45_000);
    assert.equal([...cache.entries.keys()].filter((key) => key.startsWith('passport-feishu:refresh-lock:')).length, 0, 'the lock is released');
    cache.expire();
    assert.deepEqual(await coordinator.run(TOKEN, refresh), { accessToken: 'u-2' });
  });

  test('a lock holder that never finishes (it died) holds the others back only until lockTimeoutMs', async () => {
    const shared = new MemoryCache();
    const dead = new RefreshCoordinator({ cache: shared, namespace: NAMESPACE, lockTimeoutMs: 300 });
    const alive = new RefreshCoordinator({ cache: shared, namespace: NAMESPACE, lockTimeoutMs: 300 });
    const holding = deferred<undefined>();
    void dead.run(TOKEN, () => {
      holding.resolve(undefined);
      return new Promise<never>(() => undefined); // never answers, never stores, never unlocks
    });
    await holding.promise;
    let calls = 0;
    const result = await alive.run(TOKEN, () => Promise.resolve({ accessToken: `u-${(calls += 1)}` }));
    assert.deepEqual(result, { accessToken: 'u-1' });
    assert.equal(calls, 1);
  });

  test("a holder's failure reaches its callers; a waiting instance then refreshes itself", async () => {
    const shared = new MemoryCache();
    const one = new RefreshCoordinator({ cache: remote(shared), namespace: NAMESPACE });
    const two = new RefreshCoordinator({ cache: remote(shared), namespace: NAMESPACE });
    const started = deferred<undefined>();
    const failing = deferred<never>();
    const first = one.run(TOKEN, () => {
      started.resolve(undefined);
      return failing.promise;
    });
    await started.promise;
    let calls = 0;
    const second = two.run(TOKEN, () => Promise.resolve({ accessToken: `u-${(calls += 1)}` }));
    failing.reject(new Error('network down'));
    await assert.rejects(first, /network down/);
    assert.deepEqual(await second, { accessToken: 'u-1' });
  });

  test("Feishu's 'used' for a token another instance refreshed is answered with that instance's result", async () => {
    // Both instances missed each other's lock (the race the read-back narrows but cannot close).
    const shared = new MemoryCache();
    const blind: FeishuCache = {
      get: (key) => (key.startsWith('passport-feishu:refresh-lock:') ? Promise.resolve(undefined) : shared.get(key)),
      set: (key, value, ttl) => (key.startsWith('passport-feishu:refresh-lock:') ? Promise.resolve(true) : shared.set(key, value, ttl)),
      delete: (key) => shared.delete(key),
    };
    const winner = new RefreshCoordinator({ cache: blind, namespace: NAMESPACE });
    const loser = new RefreshCoordinator({ cache: blind, namespace: NAMESPACE });
    const answer = deferred<{ accessToken: string }>();
    const won = winner.run(TOKEN, () => answer.promise);
    const lost = loser.run(TOKEN, () => {
      // Feishu redeemed the token for the winner, whose answer is still on its way.
      setImmediate(() => answer.resolve({ accessToken: 'u-winner' }));
      return Promise.reject(usedRefusal());
    });
    assert.deepEqual(await won, { accessToken: 'u-winner' });
    assert.deepEqual(await lost, { accessToken: 'u-winner' });
  });

  test("a 'used' refusal with no result stored anywhere reaches the caller", async () => {
    const coordinator = new RefreshCoordinator({ namespace: NAMESPACE, lockTimeoutMs: 200 });
    await assert.rejects(coordinator.run(TOKEN, () => Promise.reject(usedRefusal())), (err: Error) => err instanceof ReauthorizationRequiredError && err.reason === 'used');
  });

  test('other refusals are not waited on', async () => {
    const coordinator = new RefreshCoordinator({ namespace: NAMESPACE });
    const refused = new FeishuTokenError('Failed to refresh access token', 'invalid_grant', { feishuCode: 20026, msg: 'invalid', logId: undefined, feishuStatus: 400 });
    await assert.rejects(coordinator.run(TOKEN, () => Promise.reject(refused)), (err: Error) => err === refused);
  });

  test('a cache that fails every call costs the coordination, never the refresh', async () => {
    const broken: FeishuCache = {
      get: () => Promise.reject(new Error('down')),
      set: () => Promise.reject(new Error('down')),
      delete: () => {
        throw new Error('down');
      },
    };
    const coordinator = new RefreshCoordinator({ cache: broken, namespace: NAMESPACE });
    assert.deepEqual(await coordinator.run(TOKEN, () => Promise.resolve({ accessToken: 'u-1' })), { accessToken: 'u-1' });
  });

  test('a stored entry that revive refuses is a miss', async () => {
    const cache = new InspectableCache();
    const coordinator = new RefreshCoordinator({ cache, namespace: NAMESPACE });
    await coordinator.run(TOKEN, () => Promise.resolve({ accessToken: 'u-1' }));
    let calls = 0;
    const again = await coordinator.run(
      TOKEN,
      () => Promise.resolve({ accessToken: `u-new-${(calls += 1)}` }),
      () => undefined,
    );
    assert.deepEqual(again, { accessToken: 'u-new-1' });
  });

  for (const [name, value] of [
    ['windowMs', 0],
    ['lockTimeoutMs', -1],
    ['windowMs', Number.NaN],
  ] as const) {
    test(`${name}: ${value} is a TypeError`, () => {
      assert.throws(() => new RefreshCoordinator({ namespace: NAMESPACE, [name]: value }), { name: 'TypeError', message: new RegExp(name) });
    });
  }
});

describe('sealed refresh entries', () => {
  test('only the old token, for the same app, finds and opens the entry', () => {
    const keys = sealedEntryKeys(NAMESPACE, TOKEN);
    const sealed = keys.seal({ accessToken: 'u-secret' });
    assert.deepEqual(keys.open(sealed), { accessToken: 'u-secret' });
    const otherApp = sealedEntryKeys('https://open.feishu.cn|cli_other', TOKEN);
    const otherToken = sealedEntryKeys(NAMESPACE, `${TOKEN}x`);
    assert.notEqual(otherApp.id, keys.id);
    assert.notEqual(otherToken.id, keys.id);
    assert.equal(otherApp.open(sealed), undefined);
    assert.equal(otherToken.open(sealed), undefined);
    assert.ok(!keys.id.includes(TOKEN) && !sealed.includes('u-secret'));
  });

  test('an altered, cut or foreign value opens to nothing', () => {
    const keys = sealedEntryKeys(NAMESPACE, TOKEN);
    const sealed = keys.seal({ accessToken: 'u-secret' });
    const [version, iv, body, tag] = sealed.split('.') as [string, string, string, string];
    const flipped = body.slice(0, -2) + (body.endsWith('AA') ? 'BB' : 'AA');
    for (const bad of [`${version}.${iv}.${flipped}.${tag}`, `${version}.${iv}.${body}`, `v0.${iv}.${body}.${tag}`, `${sealed}.x`, 42, undefined, `${version}.short.${body}.${tag}`]) {
      assert.equal(keys.open(bad), undefined);
    }
    // Moved under another token's name, it does not open there either.
    assert.equal(sealedEntryKeys(NAMESPACE, 'ur-another-token-value-0123456789').open(sealed), undefined);
  });
});

describe('FeishuStrategy.refreshAccessToken in one process', () => {
  test('20 concurrent refreshes with one token send one request to Feishu and resolve to the same set', async () => {
    const mock = await startMockFeishu({ consent: 'auto', apps: [{ ...DEFAULT_APP }] });
    try {
      const { agent, strategy } = buildApp(mock, { flow: 'v2', scope: 'offline_access' });
      const res = await login(agent);
      const refreshToken = res.body.refreshToken as string;
      mock.resetCalls();
      const sets = await Promise.all(Array.from({ length: 20 }, () => strategy.refreshAccessToken(refreshToken)));
      assert.equal(mock.calls.v2Token, 1);
      for (const set of sets) assert.deepEqual(set, sets[0]);
      assert.notEqual(sets[0]!.refreshToken, refreshToken);
    } finally {
      await mock.close();
    }
  });
});
