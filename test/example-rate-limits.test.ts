/**
 * The example's rate limits: the password route, everything under /auth/ and the event
 * endpoint answer 429 past their limit, before any session is made; and in Redis mode two
 * instances count one limit between them, as behind a load balancer.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createClient } from 'redis';
import { redisRateLimitStore } from '../example/redis.js';
import { SAME_ORIGIN, startExample, type RunningExample } from './helpers/example-app.js';
import { findRedisServer, onCI, startRedisServer, type RestartableRedisServer } from './helpers/redis-server.js';

type Answer = Awaited<ReturnType<ReturnType<RunningExample['visitor']>['get']>>;

function cookiesOf(res: Answer): string[] {
  const header: unknown = res.headers['set-cookie'];
  return Array.isArray(header) ? (header as string[]) : [];
}

const WRONG = { username: 'demo', password: 'wrong' };

describe('rate limits, one instance', () => {
  let example: RunningExample;
  before(async () => {
    example = await startExample({ rateLimits: { password: 3, auth: 4, events: 2 } });
  });
  after(() => example.close());

  test('the password route: the 4th attempt in the window gets 429 with Retry-After, a fixed text and no session', async () => {
    for (let i = 0; i < 3; i += 1) {
      const res = await example.visitor().post('/login/password').set(SAME_ORIGIN).type('form').send(WRONG);
      assert.equal(res.status, 302, `attempt ${i + 1}`);
      assert.match(String(res.headers.ratelimit), new RegExp(`"password"; r=${2 - i};`));
    }
    // Even the right password: the limit counts attempts, not failures.
    const refused = await example.visitor().post('/login/password').set(SAME_ORIGIN).type('form').send({ username: 'demo', password: 'demo' });
    assert.equal(refused.status, 429);
    assert.ok(Number(refused.headers['retry-after']) > 0);
    assert.match(refused.text, /Too many attempts/);
    assert.deepEqual(cookiesOf(refused), []);
  });

  test('/auth/*: the 5th request gets 429 and no session; the in-app route answers JSON', async () => {
    const paths = ['/auth/feishu', '/auth/feishu', '/auth/feishu/callback?error=access_denied', '/auth/feishu'];
    for (const path of paths) assert.notEqual((await example.visitor().get(path)).status, 429, path);
    const refused = await example.visitor().get('/auth/feishu');
    assert.equal(refused.status, 429);
    assert.deepEqual(cookiesOf(refused), []);
    const json = await example.visitor().post('/auth/feishu/inapp').set(SAME_ORIGIN).send({ code: 'x' });
    assert.equal(json.status, 429);
    assert.match(String(json.body.error), /Too many attempts/);
  });

  test('the event endpoint: the 3rd push gets 429', async () => {
    for (let i = 0; i < 2; i += 1) assert.notEqual((await example.visitor().post('/feishu/events').send({})).status, 429);
    assert.equal((await example.visitor().post('/feishu/events').send({})).status, 429);
  });

  test('pages outside the limited routes are not counted', async () => {
    for (let i = 0; i < 10; i += 1) assert.equal((await example.visitor().get('/login')).status, 200);
  });
});

describe('rate limits default on', () => {
  test('with no settings, the password route carries the default policy (20 per 15 minutes)', async (t) => {
    const example = await startExample({ rateLimits: { password: undefined } });
    t.after(() => example.close());
    const res = await example.visitor().post('/login/password').set(SAME_ORIGIN).type('form').send(WRONG);
    assert.match(String(res.headers['ratelimit-policy']), /q=20;\s*w=900/);
  });
});

const REDIS_BINARY = findRedisServer();
if (!REDIS_BINARY && onCI()) throw new Error('redis-server is not installed, and CI is set: .ci/run installs it with apt-get (package redis-server).');

describe('rate limits in Redis mode: two instances count one limit', { skip: REDIS_BINARY ? false : 'redis-server is not installed' }, () => {
  let redis: RestartableRedisServer;
  let client: ReturnType<typeof createClient>;
  let one: RunningExample;
  let two: RunningExample;
  before(async () => {
    redis = await startRedisServer(REDIS_BINARY ?? '');
    client = createClient({ url: redis.url });
    await client.connect();
    const extra = { rateLimitStore: redisRateLimitStore(client) };
    one = await startExample({ rateLimits: { password: 4 }, extra });
    two = await startExample({ rateLimits: { password: 4 }, extra });
  });
  after(async () => {
    await one?.close();
    await two?.close();
    await client?.close();
    await redis?.stop();
  });

  test('4 attempts spread over both instances use up the limit: the 5th gets 429 on either', async () => {
    for (const instance of [one, two, one, two]) {
      assert.equal((await instance.visitor().post('/login/password').set(SAME_ORIGIN).type('form').send(WRONG)).status, 302);
    }
    assert.equal((await one.visitor().post('/login/password').set(SAME_ORIGIN).type('form').send(WRONG)).status, 429);
    assert.equal((await two.visitor().post('/login/password').set(SAME_ORIGIN).type('form').send(WRONG)).status, 429);
    const keys = await client.keys('acme:rl:password:*');
    assert.equal(keys.length, 1, 'one counter in Redis for this client');
  });
});
