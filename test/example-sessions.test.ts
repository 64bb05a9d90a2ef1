/**
 * What anonymous visitors can make the example store: a session started by GET /auth/feishu
 * lives ten minutes until a sign-in completes (then seven days); and demo-password accounts,
 * which anyone can make, never push real accounts out of the account store.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import session, { type SessionData } from 'express-session';
import { MemoryCache, type FeishuCache } from 'passport-feishu-oauth2';
import { Accounts } from '../example/accounts.js';
import { SESSION_LIFETIME_MS } from '../example/app.js';
import { feishuSignIn, startExample, type RunningExample } from './helpers/example-app.js';

type Answer = Awaited<ReturnType<ReturnType<RunningExample['visitor']>['get']>>;

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;

/** How far in the future the session cookie this answer sets expires, in ms. */
function cookieLife(res: Answer): number {
  const header: unknown = res.headers['set-cookie'];
  const cookie = (Array.isArray(header) ? (header as string[]) : []).find((c) => c.startsWith('acme.sid='));
  assert.ok(cookie, 'a session cookie');
  const expires = /;\s*Expires=([^;]+)/i.exec(cookie)?.[1];
  assert.ok(expires, `the cookie has an expiry: ${cookie}`);
  return Date.parse(expires) - Date.now();
}

function storedSessions(store: session.MemoryStore): Promise<SessionData[]> {
  return new Promise((resolve, reject) => {
    store.all((err, sessions) => (err ? reject(err instanceof Error ? err : new Error(String(err))) : resolve(Object.values(sessions ?? {}))));
  });
}

function storedLife(data: SessionData): number {
  const expires = data.cookie.expires;
  assert.ok(expires, 'the stored session has an expiry');
  return new Date(expires).getTime() - Date.now();
}

describe('session lifetime', () => {
  let example: RunningExample;
  const store = new session.MemoryStore();
  before(async () => {
    example = await startExample({ sessionStore: store });
  });
  after(() => example.close());

  test('the lifetimes are ten minutes while signing in, seven days once signed in', () => {
    assert.deepEqual(SESSION_LIFETIME_MS, { signingIn: 10 * MINUTE, signedIn: 7 * DAY });
  });

  test('200 anonymous sign-in starts store 200 sessions that each expire within ten minutes', async () => {
    for (let i = 0; i < 200; i += 1) {
      const res = await example.visitor().get('/auth/feishu');
      assert.equal(res.status, 302);
      const life = cookieLife(res);
      // Generous bounds: the point is minutes, not days.
      assert.ok(life > 5 * MINUTE && life <= 10 * MINUTE, `cookie life ${life} ms`);
    }
    const sessions = await storedSessions(store);
    assert.equal(sessions.length, 200);
    for (const data of sessions) assert.ok(storedLife(data) <= 10 * MINUTE, `stored life ${storedLife(data)} ms`);
  });

  test('a completed sign-in gets the full life, in the cookie and in the store', async () => {
    const visitor = example.visitor();
    const callback = await feishuSignIn(visitor);
    assert.equal(callback.headers.location, '/profile');
    const life = cookieLife(callback);
    assert.ok(life > 6 * DAY && life <= 7 * DAY, `cookie life ${life} ms`);
    const signedIn = (await storedSessions(store)).filter((data) => (data as { passport?: unknown }).passport);
    assert.equal(signedIn.length, 1);
    assert.ok(storedLife(signedIn[0]!) > 6 * DAY);
  });
});

/** A store that records which keys were written, to see where each kind of account goes. */
function recording(inner: FeishuCache = new MemoryCache(100_000)): FeishuCache & { keys: Set<string> } {
  const keys = new Set<string>();
  return {
    keys,
    get: (key) => inner.get(key),
    set: (key, value, ttl) => {
      keys.add(key);
      return inner.set(key, value, ttl);
    },
    delete: (key) => inner.delete(key),
  };
}

describe('demo accounts never compete with real ones', () => {
  const feishuUser = { provider: 'feishu', id: 'ou_real_user', displayName: 'Real User' } as const;

  test('a flood of demo sign-ins leaves a real account and its Feishu link in place (a small account store)', async () => {
    const accounts = new Accounts(new MemoryCache(10));
    const real = await accounts.signIn(feishuUser);
    for (let i = 0; i < 2000; i += 1) await accounts.createDemo();
    assert.deepEqual(await accounts.get(real.id), real);
    assert.equal((await accounts.signIn(feishuUser)).id, real.id, 'the Feishu user still finds their account');
  });

  test('demo accounts and what is linked to them go to the demo store only; real accounts to the account store only', async () => {
    const store = recording();
    const demoStore = recording();
    const accounts = new Accounts(store, demoStore);
    const demo = await accounts.createDemo();
    await accounts.link(demo.id, { provider: 'feishu', id: 'ou_linked', displayName: 'Linked' });
    await accounts.signIn(feishuUser);
    assert.deepEqual([...store.keys].filter((k) => k.startsWith('identity:')), ['identity:feishu:ou_real_user']);
    assert.ok(![...store.keys].includes(`account:${demo.id}`));
    assert.ok([...demoStore.keys].includes(`account:${demo.id}`));
    assert.ok([...demoStore.keys].includes('identity:feishu:ou_linked'));
    assert.equal((await accounts.signIn({ provider: 'feishu', id: 'ou_linked', displayName: 'Linked' })).id, demo.id, 'a linked Feishu user signs in to the demo account');
  });

  test('a full demo store evicts only demo accounts', async () => {
    const store = new MemoryCache(100);
    const accounts = new Accounts(store, new MemoryCache(20));
    const real = await accounts.signIn(feishuUser);
    const first = await accounts.createDemo();
    for (let i = 0; i < 50; i += 1) await accounts.createDemo();
    assert.equal(await accounts.get(first.id), undefined, 'the oldest demo account made room');
    assert.deepEqual(await accounts.get(real.id), real);
  });
});
