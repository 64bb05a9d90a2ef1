import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import express from 'express';
import supertest from 'supertest';
import { feishuEventHandler, FeishuStrategy, UnknownAppError, type FeishuStrategyOptions, type FeishuVerifyFunction } from '../lib/index.js';
import { startMockFeishu, type MockFeishu } from '../lib/testing/index.js';
import { buildApp, consent, login as singleLogin, pathOf } from './helpers/app.js';
import { appOn, buildManyApps, CALLBACK, mockApp, type Tenant } from './helpers/many-apps.js';

const A = mockApp('cli_tenant_acme_0001');
const C = mockApp('cli_tenant_cyberdyne_3');
const B = mockApp('cli_tenant_globex_002', { brand: 'lark' });

let feishu: MockFeishu;
let lark: MockFeishu;
let tenants: Tenant[];

before(async () => {
  feishu = await startMockFeishu({ apps: [A, C], consent: 'auto' });
  lark = await startMockFeishu({ apps: [B], brand: 'lark', consent: 'auto' });
  tenants = [
    { name: 'acme', app: appOn(feishu, A) },
    { name: 'cyberdyne', app: appOn(feishu, C) },
    { name: 'globex', app: appOn(lark, B) },
  ];
});
after(async () => {
  await feishu.close();
  await lark.close();
});
beforeEach(() => {
  feishu.resetCalls();
  lark.resetCalls();
});

/** Starts `tenant`'s sign-in on `agent`; resolves to the authorize URL. */
async function start(agent: supertest.Agent, tenant: string): Promise<string> {
  const res = await agent.get(`/t/${tenant}/login`);
  assert.equal(res.status, 302, `the sign-in of ${tenant} starts`);
  return res.headers.location ?? '';
}

async function login(agent: supertest.Agent, tenant: string) {
  return agent.get(pathOf(await consent(await start(agent, tenant))));
}

describe('many apps behind one strategy and one callback', () => {
  test('a Feishu app and a Lark app sign in, each asking for its own app token only', async () => {
    const { app } = buildManyApps(tenants);
    const acme = await login(supertest.agent(app), 'acme');
    assert.equal(acme.status, 200);
    assert.equal(acme.body.profile.appId, A.appId);
    assert.equal(acme.body.profile.provider, 'feishu');
    const globex = await login(supertest.agent(app), 'globex');
    assert.equal(globex.status, 200);
    assert.equal(globex.body.profile.appId, B.appId);
    assert.equal(globex.body.profile.provider, 'lark');

    assert.deepEqual(feishu.callsOf(A.appId), { appAccessToken: 1, v1Token: 1 });
    assert.deepEqual(lark.callsOf(B.appId), { appAccessToken: 1, v1Token: 1 });
    assert.deepEqual(feishu.callsOf(B.appId), {}, 'the Lark app never reaches Feishu');
    assert.deepEqual(lark.callsOf(A.appId), {}, 'the Feishu app never reaches Lark');

    // Warm: each app keeps its own app token.
    assert.equal((await login(supertest.agent(app), 'acme')).status, 200);
    assert.equal((await login(supertest.agent(app), 'globex')).status, 200);
    assert.equal(feishu.callsOf(A.appId).appAccessToken, 1);
    assert.equal(lark.callsOf(B.appId).appAccessToken, 1);
  });

  test('the authorize URL names the tenant app, on its own hosts', async () => {
    const { app } = buildManyApps(tenants);
    const acme = new URL(await start(supertest.agent(app), 'acme'));
    assert.equal(acme.origin, feishu.hosts.open);
    assert.equal(acme.searchParams.get('app_id'), A.appId);
    const globex = new URL(await start(supertest.agent(app), 'globex'));
    assert.equal(globex.origin, lark.hosts.open);
    assert.equal(globex.searchParams.get('app_id'), B.appId);
  });

  test('resolveApp is asked with the request at the start and with the saved app id at the callback', async () => {
    const { app, queries } = buildManyApps(tenants);
    assert.equal((await login(supertest.agent(app), 'cyberdyne')).status, 200);
    assert.equal(queries.length, 2);
    assert.equal(queries[0]?.appId, undefined);
    assert.equal(queries[0]?.req?.params.tenant, 'cyberdyne');
    assert.equal(queries[1]?.appId, C.appId);
    assert.ok(queries[1]?.req, 'the callback request is passed too');
  });

  test('buildAuthorizationURL saves the app with the state, and the callback completes it', async () => {
    const { agent } = buildManyApps(tenants);
    const { body } = await agent.get('/t/globex/authorize-url');
    assert.equal(new URL(body.url as string).searchParams.get('app_id'), B.appId);
    const res = await agent.get(pathOf(await consent(body.url as string)));
    assert.equal(res.status, 200);
    assert.equal(res.body.profile.appId, B.appId);
  });

  test('a single-app strategy puts its appId on the profile too', async () => {
    const mock = await startMockFeishu();
    try {
      const { agent } = buildApp(mock);
      const res = await singleLogin(agent);
      assert.equal(res.status, 200);
      assert.equal(res.body.profile.appId, mock.app.appId);
    } finally {
      await mock.close();
    }
  });
});

describe('a code or state of another app', () => {
  test("app A's code in app C's sign-in is a 400 failure: C's exchange is refused, nobody signs in", async () => {
    const { agent, errors } = buildManyApps(tenants);
    const state = new URL(await start(agent, 'cyberdyne')).searchParams.get('state') ?? '';
    const codeOfA = feishu.issueCode({ appId: A.appId, redirectUri: CALLBACK });
    const res = await agent.get(`/auth/feishu/callback?code=${codeOfA}&state=${state}`);
    assert.equal(res.status, 400);
    assert.equal(errors.length, 0);
    assert.equal(feishu.callsOf(C.appId).v1Token, 1, 'exchanged as the app the sign-in started with');
    assert.equal(feishu.callsOf(A.appId).v1Token, undefined, 'never as the app the code belongs to');
  });

  test("a Feishu app's code in a Lark app's sign-in is a 400 failure", async () => {
    const { agent } = buildManyApps(tenants);
    const state = new URL(await start(agent, 'globex')).searchParams.get('state') ?? '';
    const codeOfA = feishu.issueCode({ appId: A.appId, redirectUri: CALLBACK });
    const res = await agent.get(`/auth/feishu/callback?code=${codeOfA}&state=${state}`);
    assert.equal(res.status, 400);
    assert.equal(feishu.callsOf(A.appId).v1Token, undefined);
  });

  test("app A's state in a session that started app B's sign-in signs nobody in (the state check, 403 as for any state the session does not hold)", async () => {
    const { app } = buildManyApps(tenants);
    const first = supertest.agent(app);
    const second = supertest.agent(app);
    const callbackOfA = new URL(await consent(await start(first, 'acme')));
    const callbackOfB = new URL(await consent(await start(second, 'globex')));
    callbackOfB.searchParams.set('state', callbackOfA.searchParams.get('state') ?? '');
    const res = await second.get(pathOf(callbackOfB.href));
    assert.equal(res.status, 403);
    assert.equal(lark.callsOf(B.appId).v1Token, undefined, 'no code is exchanged');
  });

  test('resolveApp answering another app than the saved one is a 400 failure, with no exchange', async () => {
    let swapped = false;
    const { app } = buildManyApps(tenants, {}, (query) => {
      if (query.appId !== undefined && swapped) return tenants[1]?.app; // cyberdyne, whatever was asked
      return tenants.find((t) => t.app.clientID === query.appId || t.name === query.req?.params.tenant)?.app;
    });
    const agent = supertest.agent(app);
    const callback = await consent(await start(agent, 'acme'));
    swapped = true;
    const res = await agent.get(pathOf(callback));
    assert.equal(res.status, 400);
    assert.equal(feishu.serverCalls, 0, 'no request to Feishu');
  });

  test('a state saved without an app (a store that drops the app state) is a 400 failure', async () => {
    const sessions = new Map<string, unknown>();
    const forgetful = {
      store(_req: unknown, _state: unknown, _meta: unknown, cb: (err: Error | null, handle?: string) => void) {
        sessions.set('h', true);
        cb(null, 'h');
      },
      verify(_req: unknown, provided: string, cb: (err: Error | null, ok: boolean, state?: unknown) => void) {
        cb(null, sessions.delete(provided), undefined);
      },
    };
    const { agent } = buildManyApps(tenants, { state: undefined, store: forgetful as never });
    const callback = await consent(await start(agent, 'acme'));
    const res = await agent.get(pathOf(callback));
    assert.equal(res.status, 400);
    assert.equal(feishu.serverCalls, 0);
  });
});

describe('no such app', () => {
  test('resolveApp answering null is a 404 failure too', async () => {
    const { agent } = buildManyApps(tenants, {}, () => null);
    assert.equal((await agent.get('/t/acme/login')).status, 404);
    assert.equal(feishu.calls.authorize, 0);
  });

  test('an unknown tenant is a 404 failure, with no request to Feishu', async () => {
    const { agent } = buildManyApps(tenants);
    const res = await agent.get('/t/initech/login');
    assert.equal(res.status, 404);
    assert.equal(feishu.serverCalls + feishu.calls.authorize + lark.serverCalls + lark.calls.authorize, 0);
  });

  test('an app removed between the start and the callback is a 404 failure, with no exchange', async () => {
    const table = [...tenants];
    const { app } = buildManyApps(table);
    const agent = supertest.agent(app);
    const callback = await consent(await start(agent, 'acme'));
    table.splice(0, 1);
    const res = await agent.get(pathOf(callback));
    assert.equal(res.status, 404);
    assert.equal(feishu.serverCalls, 0);
  });

  test('buildAuthorizationURL rejects with UnknownAppError', async () => {
    const { agent, errors } = buildManyApps(tenants);
    const res = await agent.get('/t/initech/authorize-url');
    assert.equal(res.status, 500);
    assert.ok(errors[0] instanceof UnknownAppError);
  });
});

describe("resolveApp's own errors", () => {
  for (const [label, fail] of [
    ['throws', (err: Error) => (): never => {
      throw err;
    }],
    ['rejects', (err: Error) => () => Promise.reject(err)],
  ] as const) {
    test(`at the start: when it ${label}, Passport's error handler gets the app's error unchanged`, async () => {
      const oops = new Error('tenant database is down');
      const { agent, errors } = buildManyApps(tenants, {}, fail(oops));
      const res = await agent.get('/t/acme/login');
      assert.equal(res.status, 500);
      assert.equal(errors[0], oops);
    });

    test(`at the callback: when it ${label}, the error reaches the handler unchanged and no code is exchanged`, async () => {
      const oops = new RangeError('tenant database is down');
      let broken = false;
      const { app, errors } = buildManyApps(tenants, {}, (query) => (broken ? fail(oops)() : tenants.find((t) => t.name === query.req?.params.tenant)?.app));
      const agent = supertest.agent(app);
      const callback = await consent(await start(agent, 'acme'));
      broken = true;
      const res = await agent.get(pathOf(callback));
      assert.equal(res.status, 500);
      assert.equal(errors[0], oops);
      assert.equal(feishu.serverCalls, 0);
    });
  }

  test('a throw after resolveApp (a subclass hook) reaches the error handler, not the process', async () => {
    const oops = new Error('authorizationParams failed');
    const many = new FeishuStrategy({ resolveApp: () => tenants[0]?.app, state: true, callbackURL: CALLBACK }, verify);
    const err = await new Promise<unknown>((resolve) => {
      const probe = Object.create(many) as FeishuStrategy;
      probe.authorizationParams = () => {
        throw oops;
      };
      probe.error = resolve;
      probe.fail = () => resolve(undefined);
      probe.redirect = () => resolve(undefined);
      probe.authenticate({ query: {}, headers: {}, session: {} } as never, {});
    });
    assert.equal(err, oops);
  });

  test('a malformed answer is a TypeError, not a request to Feishu', async () => {
    const { agent, errors } = buildManyApps(tenants, {}, () => ({ clientID: A.appId }));
    const res = await agent.get('/t/acme/login');
    assert.equal(res.status, 500);
    assert.ok(errors[0] instanceof TypeError);
    assert.match((errors[0]).message, /clientSecret/);
    assert.equal(feishu.calls.authorize, 0);
  });
});

describe('refresh by appId', () => {
  test('refreshes a token of the named app, at its own hosts', async () => {
    const { app, strategy } = buildManyApps(tenants);
    const signedIn = await login(supertest.agent(app), 'globex');
    const set = await strategy.refreshAccessToken(signedIn.body.refreshToken as string, { appId: signedIn.body.profile.appId as string });
    assert.match(set.accessToken, /^u-/);
    assert.equal(lark.callsOf(B.appId).v1Refresh, 1);
  });

  test('an unknown appId rejects with UnknownAppError; none at all with a TypeError; no request either way', async () => {
    const { strategy } = buildManyApps(tenants);
    await assert.rejects(strategy.refreshAccessToken('ur-whatever', { appId: 'cli_nobody' }), (err: unknown) => err instanceof UnknownAppError && err.appId === 'cli_nobody');
    await assert.rejects(strategy.refreshAccessToken('ur-whatever'), TypeError);
    assert.equal(feishu.serverCalls + lark.serverCalls, 0);
  });

  test("another app's refresh token is refused by Feishu (20024), not used as that app", async () => {
    const { app, strategy } = buildManyApps(tenants);
    const signedIn = await login(supertest.agent(app), 'acme');
    await assert.rejects(strategy.refreshAccessToken(signedIn.body.refreshToken as string, { appId: C.appId }), { feishuCode: 20024 });
  });

  test('a one-app strategy refuses an appId that is not its own', async () => {
    const single = new FeishuStrategy({ clientID: A.appId, clientSecret: A.appSecret, domain: feishu.hosts }, verify);
    await assert.rejects(single.refreshAccessToken('ur-x', { appId: C.appId }), TypeError);
    assert.equal(feishu.serverCalls, 0);
  });
});

describe('per-app state', () => {
  test('two secrets for one App ID share nothing: the wrong one never uses the token the right one earned', async () => {
    let secret = A.appSecret;
    const { app, strategy } = buildManyApps(tenants, {}, (query) => (query.appId ?? query.req?.params.tenant) ? { ...appOn(feishu, A), clientSecret: secret } : undefined);
    assert.equal((await login(supertest.agent(app), 'acme')).status, 200);
    secret = 'a-wrong-secret-someone-typed-in';
    const res = await login(supertest.agent(app), 'acme');
    assert.notEqual(res.status, 200);
    assert.equal(feishu.calls.appAccessToken, 2, 'the wrong secret had to ask for its own token, and was refused');
    assert.equal(feishu.callsOf(A.appId).v1Token, 1, 'no code was exchanged with the wrong secret');
    assert.throws(() => strategy.appTokens, TypeError);
  });

  test('a store app takes its ticket by appId', async () => {
    const S = mockApp('cli_store_app_00000009', { type: 'store' });
    const store = await startMockFeishu({ apps: [S], consent: 'auto' });
    try {
      const { app, strategy } = buildManyApps([{ name: 'hooli', app: appOn(store, S, { appType: 'store' }) }]);
      assert.equal(await strategy.saveAppTicket(store.issueAppTicket(S.appId), { appId: S.appId }), true);
      const res = await login(supertest.agent(app), 'hooli');
      assert.equal(res.status, 200);
      assert.equal(store.callsOf(S.appId).storeAppAccessToken, 1);
      await assert.rejects(strategy.saveAppTicket('t'), TypeError);
      await assert.rejects(strategy.saveAppTicket('t', { appId: 'cli_nobody' }), UnknownAppError);
    } finally {
      await store.close();
    }
  });

  test('PKCE (flow v2) binds the app with the verifier', async () => {
    const { app } = buildManyApps(tenants, { flow: 'v2', pkce: true });
    const agent = supertest.agent(app);
    const authorize = new URL(await start(agent, 'globex'));
    assert.equal(authorize.origin, lark.hosts.accounts);
    assert.ok(authorize.searchParams.get('code_challenge'));
    const res = await agent.get(pathOf(await consent(authorize.href)));
    assert.equal(res.status, 200);
    assert.equal(res.body.profile.appId, B.appId);
    assert.equal(lark.callsOf(B.appId).v2Token, 1);
  });

  test('a custom store that keeps the app state carries the app; the app state the app passes comes back as it was', async () => {
    const saved = new Map<string, unknown>();
    let next = 0;
    const store = {
      store(_req: unknown, state: unknown, _meta: unknown, cb: (err: Error | null, handle?: string) => void) {
        const handle = `h${(next += 1)}`;
        saved.set(handle, state);
        cb(null, handle);
      },
      verify(_req: unknown, provided: string, cb: (err: Error | null, ok: boolean, state?: unknown) => void) {
        const state = saved.get(provided);
        cb(null, saved.delete(provided), state);
      },
    };
    const { app, strategy } = buildManyApps(tenants, { state: undefined, store: store as never });
    const agent = supertest.agent(app);
    assert.equal((await login(agent, 'acme')).status, 200);
    assert.deepEqual([...saved.values()], [], 'each state is used once');
    // Through passport.authenticate(…, { state }), app state rides along with the app id.
    const seen: unknown[] = [];
    const probe = Object.create(strategy) as FeishuStrategy;
    const location = await new Promise<string>((resolve, reject) => {
      probe.redirect = resolve;
      probe.error = reject;
      probe.fail = () => reject(new Error('failed'));
      probe.authenticate(Object.assign(Object.create(null) as object, { query: {}, params: { tenant: 'cyberdyne' }, headers: {} }) as never, { state: { returnTo: '/x' } });
    });
    seen.push(...saved.values());
    assert.deepEqual(seen, [{ feishuAppId: C.appId, state: { returnTo: '/x' } }]);
    assert.equal(new URL(location).searchParams.get('app_id'), C.appId);
  });

  test('the LRU keeps at most appCacheSize apps and rebuilds an evicted one, which still finds its app token', async () => {
    const { app, strategy } = buildManyApps(tenants, { appCacheSize: 1 });
    const registry = (strategy as unknown as { apps: { registry: { size: number } } }).apps.registry;
    assert.equal((await login(supertest.agent(app), 'acme')).status, 200);
    assert.equal((await login(supertest.agent(app), 'cyberdyne')).status, 200);
    assert.equal(registry.size, 1);
    assert.equal((await login(supertest.agent(app), 'acme')).status, 200);
    assert.equal(registry.size, 1);
    assert.equal(feishu.callsOf(A.appId).appAccessToken, 1, 'the rebuilt app reads its token from the cache');
  });
});

const verify: FeishuVerifyFunction = (_a, _r, profile, done) => done(null, profile);

describe('options', () => {
  const resolveApp = () => undefined;
  const construct = (options: Record<string, unknown>) => new FeishuStrategy({ resolveApp, state: true, ...options } as unknown as FeishuStrategyOptions, verify);
  for (const [name, value] of [
    ['clientID', 'cli_x'],
    ['appId', 'cli_x'],
    ['clientSecret', 's'],
    ['appSecret', 's'],
    ['clientAssertion', () => 'jwt'],
    ['domain', 'lark'],
    ['appType', 'store'],
    ['appTicket', 't'],
  ] as const) {
    test(`${name} beside resolveApp is a TypeError: it belongs to each app`, () => {
      assert.throws(() => construct({ [name]: value }), { name: 'TypeError', message: new RegExp(`with resolveApp, ${name} belongs to each app`) });
    });
  }

  test('turning the state off is a TypeError', () => {
    assert.throws(() => construct({ state: false }), { name: 'TypeError', message: /state is what binds a callback/ });
    assert.throws(() => construct({ state: undefined }), { name: 'TypeError', message: /state is what binds a callback/ });
    assert.throws(() => construct({ store: false }), { name: 'TypeError', message: /state is what binds a callback/ });
    assert.throws(() => construct({ state: false, store: true }), { name: 'TypeError', message: /state is what binds a callback/ });
    assert.doesNotThrow(() => construct({ store: null }), 'state: true with no store object: passport-oauth2 store of its own');
  });

  test('a store that does not take the app state is a TypeError', () => {
    const store = { store: (_req: unknown, cb: () => void) => cb(), verify: (_req: unknown, _s: unknown, cb: () => void) => cb() };
    assert.throws(() => construct({ state: undefined, store }), { name: 'TypeError', message: /must keep the app state/ });
  });

  test('resolveApp must be a function; appCacheSize a positive integer and only with resolveApp', () => {
    assert.throws(() => construct({ resolveApp: 'acme' }), { name: 'TypeError', message: /resolveApp must be a function/ });
    for (const appCacheSize of [0, -1, 1.5, '10']) assert.throws(() => construct({ appCacheSize }), { name: 'TypeError', message: /appCacheSize/ });
    assert.throws(() => new FeishuStrategy({ clientID: 'cli_x', clientSecret: 's', appCacheSize: 5 } as unknown as FeishuStrategyOptions, verify), {
      name: 'TypeError',
      message: 'FeishuStrategy: appCacheSize goes with resolveApp',
    });
  });

  test('the strategy as a whole has no app: appId is empty, endpoints/brand/appTokens are TypeErrors', () => {
    const strategy = construct({});
    assert.equal(strategy.appId, '');
    assert.throws(() => strategy.endpoints, TypeError);
    assert.throws(() => strategy.brand, TypeError);
    assert.throws(() => strategy.appTokens, TypeError);
  });

  test('a string state in the authenticate options is an error: it would carry no app', async () => {
    const many = construct({ resolveApp: () => tenants[0]?.app });
    const err = await new Promise<unknown>((resolve) => {
      const probe = Object.create(many) as FeishuStrategy;
      probe.error = resolve;
      probe.fail = (challenge?: unknown) => resolve(challenge);
      probe.redirect = () => resolve(undefined);
      probe.authenticate({ query: {}, headers: {} } as never, { state: 'fixed', callbackURL: CALLBACK });
    });
    assert.ok(err instanceof TypeError, String(err instanceof Error ? err.message : JSON.stringify(err)));
  });
});

describe('events for many apps', () => {
  const TOKEN = 'a-verification-token';

  test('one handler and one resolveApp strategy take each app’s revocation, and refuse an app it does not know with 404', async () => {
    const many = new FeishuStrategy({ resolveApp: ({ appId }) => tenants.find((t) => t.app.clientID === appId)?.app, state: true, callbackURL: CALLBACK }, verify);
    const revoked: Array<{ appId: string; openId: string }> = [];
    const events = express();
    events.post('/events', feishuEventHandler({ strategies: many, verificationToken: TOKEN, onUserTokensRevoked: (e) => void revoked.push({ appId: e.appId, openId: e.openId }) }));
    const send = (appId: string, eventId: string) =>
      supertest(events)
        .post('/events')
        .send({
          schema: '2.0',
          header: { event_id: eventId, event_type: 'auth.user_access_token.revoked_v4', create_time: String(Date.now()), token: TOKEN, app_id: appId, tenant_key: 't_1' },
          event: { open_id: `ou_${eventId}`, revoke_token_type: 'user_access_token refresh_token', revoke_reason: 'Revoked by user action.' },
        });
    assert.equal((await send(A.appId, 'e1')).status, 200);
    assert.equal((await send(B.appId, 'e2')).status, 200);
    assert.equal((await send(A.appId, 'e1')).status, 200, 'a replay is acknowledged');
    assert.deepEqual(revoked, [
      { appId: A.appId, openId: 'ou_e1' },
      { appId: B.appId, openId: 'ou_e2' },
    ]);
    assert.equal((await send('cli_nobody_here', 'e3')).status, 404);
    assert.equal(revoked.length, 2);
  });
});
