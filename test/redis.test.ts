import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { createClient } from 'redis';
import { DEFAULT_APP, startMockFeishu, type MockApp, type MockFeishu } from '../lib/testing/index.js';

/** Each instance listens on its own free port, so the app registers its callback on any port (a wildcard). */
const APP: MockApp = { ...DEFAULT_APP, redirectUris: ['http://127.0.0.1:*/auth/feishu/callback'] };
import { Browser, loginAcross, pathOf, startInstance, type Instance } from './helpers/redis-instances.js';
import { watchUnhandledRejections } from './helpers/fault-proxy.js';
import { findRedisServer, onCI, startRedisServer, type RestartableRedisServer } from './helpers/redis-server.js';

/**
 * Several app instances behind a load balancer: sessions in Redis (connect-redis) and the
 * strategy's `cache` in Redis (Keyv + @keyv/redis). Each instance is its own Express app,
 * FeishuStrategy, Redis connections and HTTP port, as separate processes would be.
 */

const REDIS_BINARY = findRedisServer();
if (!REDIS_BINARY && onCI()) throw new Error('redis-server is not installed, and CI is set: .ci/run installs it with apt-get (package redis-server).');
/** The suites skip only on a developer machine without redis-server, and say so loudly. */
const SKIP = REDIS_BINARY ? false : 'redis-server is not installed';
if (SKIP) {
  console.warn(
    '\n\x1b[33m!!! SKIPPING the Redis multi-instance suite: no redis-server on PATH.\n' +
      '!!! Install it (Debian/Ubuntu: apt-get install redis-server) or set REDIS_SERVER=/path/to/redis-server.\n' +
      '!!! Under CI=true this is a failure, not a skip.\x1b[0m\n',
  );
}

let redis: RestartableRedisServer | undefined;

before(async () => {
  if (REDIS_BINARY) redis = await startRedisServer(REDIS_BINARY);
});

after(async () => {
  await redis?.stop();
});

/** The running server; the suites that call this are skipped when there is none. */
function needRedis(): RestartableRedisServer {
  assert.ok(redis, 'redis-server did not start');
  return redis;
}

async function flushRedis(url: string): Promise<void> {
  const client = createClient({ url });
  await client.connect();
  try {
    await client.flushDb();
  } finally {
    await client.close();
  }
}

/** Runs `tasks` with at most `limit` in flight; resolves to their results in order. */
async function pool<T>(count: number, limit: number, task: (i: number) => Promise<T>): Promise<T[]> {
  const results: T[] = new Array<T>(count);
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const i = next;
      next += 1;
      results[i] = await task(i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, count) }, worker));
  return results;
}

describe('two instances sharing sessions and the token cache on Redis (self-built app)', { skip: SKIP }, () => {
  let mock: MockFeishu;
  let one: Instance;
  let two: Instance;

  before(async () => {
    if (!redis) return;
    mock = await startMockFeishu({ consent: 'auto', apps: [APP] });
    one = await startInstance({ id: 1, mock, redisUrl: redis.url });
    two = await startInstance({ id: 2, mock, redisUrl: redis.url });
  });
  after(async () => {
    await one?.close();
    await two?.close();
    await mock?.close();
  });

  test('a login started on instance 1 completes on instance 2', async () => {
    const { res, body } = await loginAcross(one, two);
    assert.equal(res.status, 200, JSON.stringify(body));
    assert.equal(res.headers.get('x-instance'), '2', 'instance 2 answered the callback');
    assert.equal((body as { user: { id: string } }).user.id, mock.users[0]?.open_id);
  });

  test('the state check still holds across instances: a forged state fails', async () => {
    const browser = new Browser();
    const begin = await browser.get(`${one.url}/login`);
    await begin.arrayBuffer();
    const res = await browser.get(`${two.url}/auth/feishu/callback?code=${mock.issueCode()}&state=forged`);
    await res.arrayBuffer();
    assert.equal(res.status, 302);
    assert.equal(res.headers.get('location'), '/failed');
    const failed = await browser.get(`${one.url}/failed`);
    assert.deepEqual(await failed.json(), { messages: ['Invalid authorization request state.'] });
  });

  test('200 logins spread over both instances make one app-token request', async () => {
    const server = needRedis();
    await flushRedis(server.url);
    mock.resetCalls();
    const fetchesBefore = one.strategy.appTokens.fetches + two.strategy.appTokens.fetches;
    // The first login fills the shared cache; without a distributed lock two instances
    // starting cold at the same instant may each fetch once (see the next test).
    const first = await loginAcross(one, two);
    assert.equal(first.res.status, 200);
    const rest = await pool(199, 20, async (i) => {
      const [start, finish] = i % 2 === 0 ? [two, one] : [one, i % 3 === 0 ? one : two];
      const { res } = await loginAcross(start, finish);
      return res.status;
    });
    assert.deepEqual(rest, Array<number>(199).fill(200));
    assert.equal(mock.calls.v1Token, 200);
    assert.equal(mock.calls.appAccessToken, 1, 'one app_access_token request for all 200 logins');
    assert.equal(one.strategy.appTokens.fetches + two.strategy.appTokens.fetches - fetchesBefore, 1);
  });

  test('cold and concurrent on both instances: at most one fetch per instance', async () => {
    const server = needRedis();
    await flushRedis(server.url);
    mock.resetCalls();
    const before1 = one.strategy.appTokens.fetches;
    const before2 = two.strategy.appTokens.fetches;
    mock.latency = 30; // holds each instance's first fetch in flight while the others arrive
    try {
      const statuses = await pool(40, 40, async (i) => (await loginAcross(i % 2 ? one : two, i % 2 ? one : two)).res.status);
      assert.deepEqual(statuses, Array<number>(40).fill(200));
    } finally {
      mock.latency = 0;
    }
    assert.ok(one.strategy.appTokens.fetches - before1 <= 1, `instance 1 fetched ${one.strategy.appTokens.fetches - before1} times`);
    assert.ok(two.strategy.appTokens.fetches - before2 <= 1, `instance 2 fetched ${two.strategy.appTokens.fetches - before2} times`);
    assert.ok(mock.calls.appAccessToken <= 2);
  });

  test('a token revoked upstream is replaced once, and the other instance picks up the replacement', async () => {
    assert.equal((await loginAcross(one, one)).res.status, 200); // the cache holds a token
    mock.revokeAppTokens();
    mock.resetCalls();
    const fetches2 = two.strategy.appTokens.fetches;
    const a = await loginAcross(one, one);
    assert.equal(a.res.status, 200, JSON.stringify(a.body));
    assert.equal(mock.calls.appAccessToken, 1, 'instance 1 fetched a new token');
    assert.equal(mock.calls.v1Token, 2, 'the refused exchange was retried once');
    const b = await loginAcross(two, two);
    assert.equal(b.res.status, 200);
    assert.equal(mock.calls.appAccessToken, 1, 'instance 2 read the new token from Redis');
    assert.equal(mock.calls.v1Token, 3, 'and its exchange went through the first time');
    assert.equal(two.strategy.appTokens.fetches, fetches2);
  });

  test('the cached token lives in Redis under a key namespaced by domain and app id', async () => {
    const server = needRedis();
    assert.equal((await loginAcross(one, two)).res.status, 200);
    const client = createClient({ url: server.url });
    await client.connect();
    try {
      const keys = await client.keys('*app_access_token*');
      assert.equal(keys.length, 1, `keys: ${keys.join(', ')}`);
      const key = keys[0] ?? '';
      assert.ok(key.includes(mock.origin) && key.includes(mock.app.appId), key);
      const ttl = await client.pTTL(key);
      assert.ok(ttl > 0 && ttl <= 7200 * 1000, `the entry expires with the token (pttl ${ttl})`);
    } finally {
      await client.close();
    }
  });
});

describe('a store app: the app_ticket event reaches instance 1, instance 2 uses it', { skip: SKIP }, () => {
  const encryptKey = `ek-${randomBytes(8).toString('hex')}`;
  const verificationToken = `vt-${randomBytes(8).toString('hex')}`;
  let mock: MockFeishu;
  let one: Instance;
  let two: Instance;

  before(async () => {
    if (!redis) return;
    mock = await startMockFeishu({ consent: 'auto', apps: [{ ...APP, type: 'store' }] });
    one = await startInstance({ id: 1, mock, redisUrl: redis.url, appType: 'store', events: { encryptKey, verificationToken } });
    two = await startInstance({ id: 2, mock, redisUrl: redis.url, appType: 'store' });
    mock.subscribeEvents({ url: `${one.url}/feishu/events`, encryptKey, verificationToken });
  });
  after(async () => {
    await one?.close();
    await two?.close();
    await mock?.close();
  });

  test('a login on instance 2 succeeds with the ticket instance 1 received', async () => {
    await mock.pushAppTicket();
    mock.resetCalls();
    const { res, body } = await loginAcross(two, two);
    assert.equal(res.status, 200, JSON.stringify(body));
    assert.equal(res.headers.get('x-instance'), '2');
    assert.equal(mock.calls.storeAppAccessToken, 1);
    assert.equal(mock.calls.appTicketResend, 0, 'the ticket came from Redis, not from a resend');
    assert.equal(two.strategy.appTokens.fetches, 1);
    assert.equal(one.strategy.appTokens.fetches, 0);
  });

  test('a newer ticket replaces the old one for every instance', async () => {
    await mock.pushAppTicket(); // the mock now refuses the previous ticket
    mock.revokeAppTokens(); // forces a new app-token fetch, which must carry the new ticket
    mock.resetCalls();
    const { res, body } = await loginAcross(two, one);
    assert.equal(res.status, 200, JSON.stringify(body));
    assert.equal(mock.calls.appTicketResend, 0);
    assert.equal(mock.calls.storeAppAccessToken, 1);
  });
});

describe('Redis goes away and comes back (clients with disableOfflineQueue)', { skip: SKIP }, () => {
  const rejections = watchUnhandledRejections();
  let mock: MockFeishu;
  let one: Instance;
  let two: Instance;
  /** Sessions in memory, only the strategy's cache on Redis. */
  let cacheOnly: Instance;

  before(async () => {
    if (!redis) return;
    mock = await startMockFeishu({ consent: 'auto', apps: [APP] });
    one = await startInstance({ id: 1, mock, redisUrl: redis.url, failFast: true });
    two = await startInstance({ id: 2, mock, redisUrl: redis.url, failFast: true });
    cacheOnly = await startInstance({ id: 3, mock, redisUrl: redis.url, failFast: true, sessions: 'memory' });
  });
  after(async () => {
    await one?.close();
    await two?.close();
    await cacheOnly?.close();
    await mock?.close();
    rejections.stop();
  });

  /** Polls (every 20 ms, at most 15 s) until every instance has reconnected to Redis. */
  async function reconnected(): Promise<void> {
    const deadline = Date.now() + 15_000;
    for (let round = 0; round < 1000 && Date.now() < deadline; round += 1) {
      if (one.ready() && two.ready() && cacheOnly.ready()) return;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    throw new Error('the instances did not reconnect to Redis within 15 s');
  }

  test('during the outage requests fail at once; afterwards logins work again', async () => {
    const server = needRedis();
    assert.equal((await loginAcross(one, two)).res.status, 200);
    assert.equal((await loginAcross(cacheOnly, cacheOnly)).res.status, 200); // its cache client is connected
    const browser = new Browser();
    const started = await browser.get(`${one.url}/login`);
    await started.arrayBuffer();
    const pending = await fetch(started.headers.get('location') ?? '', { redirect: 'manual' });
    await pending.arrayBuffer();

    await server.stop();
    try {
      // A callback whose session cannot be read is a 500 from express-session's store, at
      // once: with the default offline queue it would wait for Redis to come back.
      const callback = await browser.get(two.url + pathOf(pending.headers.get('location') ?? ''));
      await callback.arrayBuffer();
      assert.equal(callback.status, 500);
      // A new sign-in whose session cannot be saved still answers (express-session reports the
      // failed save after the redirect has gone out; that login then fails its state check).
      const fresh = await new Browser().get(`${one.url}/login`).catch((err: Error) => err);
      if (!(fresh instanceof Error)) await fresh.arrayBuffer();
      assert.ok(fresh instanceof Error ? fresh.name !== 'TimeoutError' : fresh.status === 302 || fresh.status === 500, String(fresh instanceof Error ? fresh : fresh.status));

      // With only the cache on Redis, logins go on: Keyv reports a miss and the strategy asks
      // Feishu for the token itself, once per login here since nothing can be cached.
      mock.resetCalls();
      const during = await loginAcross(cacheOnly, cacheOnly);
      assert.equal(during.res.status, 200, JSON.stringify(during.body));
      assert.equal((await loginAcross(cacheOnly, cacheOnly)).res.status, 200);
      assert.equal(mock.calls.appAccessToken, 2);
    } finally {
      await server.start();
    }
    await reconnected();

    mock.resetCalls();
    const { res, body } = await loginAcross(two, one);
    assert.equal(res.status, 200, JSON.stringify(body));
    assert.equal(mock.calls.appAccessToken, 1, 'Redis came back empty: the token is fetched once more');
    const again = await loginAcross(one, two);
    assert.equal(again.res.status, 200);
    assert.equal(mock.calls.appAccessToken, 1);
  });

  test('an instance started while Redis is down: its logins still end within timeout', async () => {
    const server = needRedis();
    const timeout = 500;
    await reconnected();
    await server.stop();
    let fresh: Instance | undefined;
    let login: Promise<number> | undefined;
    try {
      // As an autoscaler would start it during the outage; sessions in memory, so only the
      // strategy's cache depends on Redis. @keyv/redis opens its connection on first use and,
      // with Redis unreachable, that first command waits for Redis however long it takes.
      fresh = await startInstance({ id: 4, mock, redisUrl: server.url, failFast: true, sessions: 'memory', timeout });
      login = loginAcross(fresh, fresh).then(({ res }) => res.status);
      const hung = Symbol('hung');
      let guard: NodeJS.Timeout | undefined;
      // A guard, not a speed check: ten times the timeout tells a bounded wait from a hang.
      const outcome = await Promise.race([login, new Promise<typeof hung>((resolve) => (guard = setTimeout(resolve, timeout * 10, hung)))]);
      clearTimeout(guard);
      assert.notEqual(outcome, hung, `the login was still waiting on the cache (Redis down) after ${timeout * 10} ms; timeout is ${timeout} ms`);
      assert.ok(outcome === 200 || outcome === 500, `status ${String(outcome)}`);
    } finally {
      await server.start();
      // Redis is back, so a login left waiting goes on; let it finish before closing the instance.
      await login?.catch(() => undefined);
      await fresh?.close();
    }
  });


  test('no unhandled rejection through the outages', async () => {
    await reconnected();
    assert.equal((await loginAcross(one, two)).res.status, 200);
    assert.deepEqual(rejections.seen, []);
  });
});
