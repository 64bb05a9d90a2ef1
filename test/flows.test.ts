import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import express from 'express';
import { Passport } from 'passport';
import supertest from 'supertest';
import { FeishuStrategy, FeishuTokenError, type FeishuFlow, type FeishuProfile } from '../lib/index.js';
import { DEFAULT_APP, MOCK_TENANT_KEY, startMockFeishu, type MockEndpoint, type MockFeishu } from '../lib/testing/index.js';
import { buildApp, login, startState } from './helpers/app.js';
import { InspectableCache } from './helpers/inspectable-cache.js';

const FLOWS: ReadonlyArray<{ flow: FeishuFlow; token: MockEndpoint; oauth: boolean }> = [
  { flow: 'v1', token: 'v1Token', oauth: false },
  { flow: 'v2', token: 'v2Token', oauth: true },
  { flow: 'v3', token: 'v3Token', oauth: true },
  { flow: 'suite', token: 'suiteToken', oauth: false },
];

for (const brand of ['feishu', 'lark'] as const) {
  describe(`every flow on ${brand}`, () => {
    let mock: MockFeishu;
    before(async () => {
      mock = await startMockFeishu({ brand, apps: [{ ...DEFAULT_APP, brand }], consent: 'auto' });
    });
    after(() => mock.close());

    for (const { flow, token, oauth } of FLOWS) {
      test(`a whole ${flow} login${oauth ? ' with PKCE' : ''}, then refresh`, async () => {
        const cache = new InspectableCache();
        const { agent, strategy } = buildApp(mock, { flow, brand, pkce: oauth, scope: oauth ? 'offline_access' : undefined, cache });
        mock.resetCalls();
        const res = await login(agent);
        assert.equal(res.status, 200, JSON.stringify(res.body));
        const profile = res.body.profile as FeishuProfile;
        assert.equal(profile.provider, brand);
        assert.equal(profile.id, mock.users[0]!.open_id);
        assert.equal(profile.unionId, mock.users[0]!.union_id);
        assert.equal(mock.calls[token], 1);

        const refreshed = await strategy.refreshAccessToken(res.body.refreshToken as string);
        assert.ok(refreshed.accessToken && refreshed.accessToken !== res.body.accessToken);
        assert.ok(refreshed.refreshToken && refreshed.refreshToken !== res.body.refreshToken, 'refresh tokens rotate');
        // A repeat within the refresh window has the same result, without asking Feishu again.
        const refreshes = mock.calls[flow === 'v1' ? 'v1Refresh' : token];
        assert.deepEqual(await strategy.refreshAccessToken(res.body.refreshToken as string), refreshed);
        assert.equal(mock.calls[flow === 'v1' ? 'v1Refresh' : token], refreshes);
        // Once the window is over, every generation's refresh token is single-use: the old one is now refused.
        cache.expire('passport-feishu:refresh');
        await assert.rejects(strategy.refreshAccessToken(res.body.refreshToken as string), FeishuTokenError);
      });
    }
  });
}

describe('brands do not mix', () => {
  test('a Lark app against Feishu is refused on the authorize page, and its code exchange fails with the fix', async () => {
    const mock = await startMockFeishu({ apps: [{ ...DEFAULT_APP, brand: 'lark' }], consent: 'auto' });
    try {
      const { agent } = buildApp(mock, { state: false });
      const start = await agent.get('/login');
      const page = await fetch(start.headers.location ?? '', { redirect: 'manual' });
      assert.equal(page.status, 400);
      assert.match(await page.text(), /Error code <code>20046<\/code>/);

      const code = mock.issueCode();
      const res = await agent.get(`/auth/feishu/callback?code=${code}`);
      assert.equal(res.status, 500);
      assert.equal(res.body.feishuCode, 10014);
      assert.match(res.body.message, /domain: 'lark'/);
    } finally {
      await mock.close();
    }
  });
});

describe('v2/v3 specifics', () => {
  let mock: MockFeishu;
  before(async () => {
    mock = await startMockFeishu({ consent: 'auto' });
  });
  after(() => mock.close());

  test('without offline_access there is no refresh token', async () => {
    const { agent } = buildApp(mock, { flow: 'v2' });
    const res = await login(agent);
    assert.equal(res.status, 200);
    assert.equal(res.body.refreshToken, '');
  });

  test('a used v2 code (20065) is a failure, not an error', async () => {
    const { agent } = buildApp(mock, { flow: 'v2', state: false, callbackURL: 'http://127.0.0.1:1/cb' });
    const code = mock.issueCode({ redirectUri: 'http://127.0.0.1:1/cb' });
    assert.equal((await agent.get(`/auth/feishu/callback?code=${code}`)).status, 200);
    const again = await agent.get(`/auth/feishu/callback?code=${code}`);
    assert.equal(again.headers.location, '/failed');
    assert.match((await agent.get('/failed')).body.messages[0], /code 20065/);
  });

  test('a redirect_uri that differs from authorize is an error with the fix (20071)', async () => {
    const { agent } = buildApp(mock, { flow: 'v3', state: false, callbackURL: 'http://127.0.0.1:1/other' });
    const code = mock.issueCode({ redirectUri: 'http://127.0.0.1:1/cb' });
    const res = await agent.get(`/auth/feishu/callback?code=${code}`);
    assert.equal(res.status, 500);
    assert.equal(res.body.name, 'FeishuTokenError');
    assert.equal(res.body.feishuCode, 20071);
    assert.match(res.body.message, /same callbackURL/);
  });
});

describe('in-app login (code from tt.requestAccess, posted by the page)', () => {
  let mock: MockFeishu;
  before(async () => {
    mock = await startMockFeishu();
  });
  after(() => mock.close());

  function inAppApp(flow: FeishuFlow) {
    const passport = new Passport();
    // No callbackURL and no state: the code came from the JSAPI, not from a redirect.
    passport.use(
      new FeishuStrategy({ name: 'feishu-inapp', flow, domain: mock.hosts, clientID: mock.app.appId, clientSecret: mock.app.appSecret }, (_at, _rt, profile, done) =>
        done(null, { id: profile.id }),
      ),
    );
    const app = express();
    app.use(express.json());
    app.post('/auth/feishu/inapp', (req, res, next) => {
      passport.authenticate('feishu-inapp', { session: false }, (err: unknown, user: unknown, info: { message?: string } | undefined) => {
        if (err) return next(err);
        if (!user) return res.status(401).json({ error: info?.message ?? 'sign-in failed' });
        res.json({ user });
      })(req, res, next);
    });
    return app;
  }

  for (const { flow } of FLOWS) {
    test(`${flow}: the posted code is exchanged without a redirect_uri`, async () => {
      const res = await supertest(inAppApp(flow)).post('/auth/feishu/inapp').send({ code: mock.issueCode() });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.equal(res.body.user.id, mock.users[0]!.open_id);
    });
  }

  test('a used in-app code answers 401 with the reason', async () => {
    const app = inAppApp('v2');
    const code = mock.issueCode();
    await supertest(app).post('/auth/feishu/inapp').send({ code });
    const res = await supertest(app).post('/auth/feishu/inapp').send({ code });
    assert.equal(res.status, 401);
    assert.match(res.body.error, /20065/);
  });
});

describe('which user it is', () => {
  let mock: MockFeishu;
  before(async () => {
    mock = await startMockFeishu({ consent: 'auto' });
  });
  after(() => mock.close());

  test("idField: 'union_id' keys the profile on union_id", async () => {
    const res = await login(buildApp(mock, { idField: 'union_id' }).agent);
    assert.equal(res.body.profile.id, mock.users[0]!.union_id);
  });

  test("idField: 'user_id' without the permission fails naming the permission, never an empty id", async () => {
    const restricted = await startMockFeishu({ apps: [{ ...DEFAULT_APP, permissions: {} }], consent: 'auto' });
    try {
      const res = await login(buildApp(restricted, { idField: 'user_id' }).agent);
      assert.equal(res.status, 500);
      assert.equal(res.body.name, 'MissingIdError');
      assert.match(res.body.message, /contact:user\.employee_id:readonly/);
    } finally {
      await restricted.close();
    }
  });

  test('tenants lets listed tenants in', async () => {
    const res = await login(buildApp(mock, { tenants: [mock.users[0]!.tenant_key] }).agent);
    assert.equal(res.status, 200);
  });

  test('tenants keeps everyone else out, as a failure with a clear message', async () => {
    const { agent } = buildApp(mock, { tenants: ['some-other-tenant'] });
    const res = await login(agent);
    assert.equal(res.headers.location, '/failed');
    const failed = await agent.get('/failed');
    assert.match(failed.body.messages[0], /tenant 736588c92lxf175d is not allowed/);
  });

  test('a user of a tenant outside the list is a 403 failure', async () => {
    const { agent } = buildApp(mock, { tenants: ['some-other-tenant'] });
    const state = await startState(agent);
    const res = await agent.get(`/auth/feishu/callback-bare?code=${mock.issueCode()}&state=${state}`);
    assert.equal(res.status, 403);
  });

  test('with tenants set, a user for whom Feishu sends no tenant_key is refused', async () => {
    const keyless = await startMockFeishu({ consent: 'auto', users: [{ ...mock.users[0]!, tenant_key: '' }] });
    try {
      const { agent } = buildApp(keyless, { tenants: [MOCK_TENANT_KEY] });
      const state = await startState(agent);
      const res = await agent.get(`/auth/feishu/callback-bare?code=${keyless.issueCode()}&state=${state}`);
      assert.equal(res.status, 403);
      const redirected = await login(agent);
      assert.equal(redirected.headers.location, '/failed');
      assert.match((await agent.get('/failed')).body.messages[0], /Feishu sent no tenant_key/);
    } finally {
      await keyless.close();
    }
  });
});
