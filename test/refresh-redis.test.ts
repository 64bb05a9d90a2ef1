import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import KeyvRedis from '@keyv/redis';
import Keyv from 'keyv';
import { createClient } from 'redis';
import { FeishuStrategy, ReauthorizationRequiredError, type FeishuFlow, type FeishuTokenSet } from '../lib/index.js';
import { sealedEntryKeys } from '../lib/refresh/sealed-entry.js';
import { DEFAULT_APP, startMockFeishu, type MockEndpoint, type MockFeishu } from '../lib/testing/index.js';
import { buildApp, login } from './helpers/app.js';
import { findRedisServer, onCI, startRedisServer, type RestartableRedisServer } from './helpers/redis-server.js';

/**
 * Coordinated refresh across app instances that share the strategy's `cache` on a real
 * redis-server (Keyv + @keyv/redis, as the README tells users to write it). Each strategy has
 * its own Keyv and Redis connection, as separate processes would.
 */

const REDIS_BINARY = findRedisServer();
if (!REDIS_BINARY && onCI()) throw new Error('redis-server is not installed, and CI is set: .ci/run installs it with apt-get (package redis-server).');
const SKIP = REDIS_BINARY ? false : 'redis-server is not installed';
if (SKIP) console.warn('\n\x1b[33m!!! SKIPPING the coordinated-refresh Redis suite: no redis-server on PATH.\x1b[0m\n');

const ENDPOINT: Readonly<Record<Exclude<FeishuFlow, 'suite' | 'mini-program'>, MockEndpoint>> = { v1: 'v1Refresh', v2: 'v2Token', v3: 'v3Token' };

let redis: RestartableRedisServer | undefined;
let mock: MockFeishu;
const opened: Array<{ disconnect(force?: boolean): Promise<void> }> = [];

before(async () => {
  if (!REDIS_BINARY) return;
  redis = await startRedisServer(REDIS_BINARY);
  mock = await startMockFeishu({ consent: 'auto', apps: [{ ...DEFAULT_APP }] });
});

after(async () => {
  for (const store of opened) await store.disconnect(true);
  await mock?.close();
  await redis?.stop();
});

/** One app instance: its own Keyv over its own Redis connection. */
function instance(flow: FeishuFlow, timeout = 5000): { strategy: FeishuStrategy; cache: Keyv } {
  assert.ok(redis, 'redis-server did not start');
  const store = new KeyvRedis(redis.url);
  opened.push(store);
  const cache = new Keyv(store);
  const strategy = new FeishuStrategy(
    { clientID: mock.app.appId, clientSecret: mock.app.appSecret, domain: mock.hosts, flow, cache, timeout, scope: flow === 'v1' ? undefined : 'offline_access' },
    (_accessToken, _refreshToken, _profile, done) => done(null),
  );
  return { strategy, cache };
}

async function signedIn(flow: FeishuFlow): Promise<{ accessToken: string; refreshToken: string }> {
  const { agent } = buildApp(mock, { flow, scope: flow === 'v1' ? undefined : 'offline_access' });
  const res = await login(agent);
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return { accessToken: res.body.accessToken as string, refreshToken: res.body.refreshToken as string };
}

/** Every key and value in Redis, as text. */
async function rawRedis(): Promise<string[]> {
  assert.ok(redis);
  const client = createClient({ url: redis.url });
  await client.connect();
  try {
    const out: string[] = [];
    for (const key of await client.keys('*')) {
      out.push(key);
      if ((await client.type(key)) === 'string') out.push((await client.get(key)) ?? '');
    }
    return out;
  } finally {
    await client.close();
  }
}

/** A token as it is, and each way it could be written down without being "in the clear". */
function formsOf(token: string): string[] {
  const bytes = Buffer.from(token);
  return [token, bytes.toString('base64'), bytes.toString('base64url'), bytes.toString('hex'), encodeURIComponent(token)];
}

describe('coordinated refresh over two instances sharing Redis', { skip: SKIP }, () => {
  for (const flow of ['v1', 'v2'] as const) {
    test(`${flow}: 20 concurrent refreshes over 2 instances make one upstream refresh, all with the same set`, async () => {
      const one = instance(flow);
      const two = instance(flow);
      const { refreshToken } = await signedIn(flow);
      mock.resetCalls();
      const sets = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? one : two).strategy.refreshAccessToken(refreshToken)));
      assert.equal(mock.calls[ENDPOINT[flow]], 1, 'one request to Feishu');
      for (const set of sets) assert.deepEqual(set, sets[0]);
      assert.ok(sets[0]!.refreshToken && sets[0]!.refreshToken !== refreshToken);
      // A repeat on either instance within the window: the same set, still one request.
      assert.deepEqual(await one.strategy.refreshAccessToken(refreshToken), sets[0]);
      assert.deepEqual(await two.strategy.refreshAccessToken(refreshToken), sets[0]);
      assert.equal(mock.calls[ENDPOINT[flow]], 1);
    });
  }

  test('after the window the old token is refused as used', async () => {
    const one = instance('v2');
    const two = instance('v2');
    const { refreshToken } = await signedIn('v2');
    await one.strategy.refreshAccessToken(refreshToken);
    // The window is the entry's TTL in Redis: end it as the clock would.
    const { id } = sealedEntryKeys(`${mock.hosts.open}|${mock.app.appId}`, refreshToken);
    assert.equal(await one.cache.delete(`passport-feishu:refresh:${id}`), true, 'the entry was there');
    await assert.rejects(two.strategy.refreshAccessToken(refreshToken), (err: Error) => err instanceof ReauthorizationRequiredError && err.reason === 'used' && err.feishuCode === 20073);
  });

  test('the cache, read raw, holds no access or refresh token, in any encoding', async () => {
    const one = instance('v2');
    const two = instance('v2');
    const { accessToken, refreshToken } = await signedIn('v2');
    const sets: FeishuTokenSet[] = await Promise.all(Array.from({ length: 6 }, (_, i) => (i % 2 ? one : two).strategy.refreshAccessToken(refreshToken)));
    const raw = await rawRedis();
    assert.ok(raw.some((text) => text.includes('passport-feishu:refresh:')), 'the refresh entry is there to search');
    const secrets = [accessToken, refreshToken, sets[0]!.accessToken, sets[0]!.refreshToken!];
    for (const text of raw) for (const secret of secrets) for (const form of formsOf(secret)) assert.ok(!text.includes(form), `a token in Redis: ${text.slice(0, 80)}`);
  });

  test('a lock whose holder died (it never writes a result) holds the others back only until the bound', async () => {
    // timeout 500 ms: the lock bound is twice that.
    const survivor = instance('v2', 500);
    const { refreshToken } = await signedIn('v2');
    const { id } = sealedEntryKeys(`${mock.hosts.open}|${mock.app.appId}`, refreshToken);
    // The dead instance's lock, with a TTL far past the bound: only the bound can free the others.
    await survivor.cache.set(`passport-feishu:refresh-lock:${id}`, 'a-dead-instance', 60_000);
    mock.resetCalls();
    const sets = await Promise.all(Array.from({ length: 5 }, () => survivor.strategy.refreshAccessToken(refreshToken)));
    assert.equal(mock.calls.v2Token, 1);
    for (const set of sets) assert.deepEqual(set, sets[0]);
  });
});
