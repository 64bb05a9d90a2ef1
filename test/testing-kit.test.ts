import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import { after, before, describe, test } from 'node:test';
import express, { type ErrorRequestHandler } from 'express';
import session from 'express-session';
import { Passport } from 'passport';
import supertest from 'supertest';
import { FeishuStrategy, type FeishuFlow, type FeishuProfile } from '../lib/index.js';
import {
  completeFeishuSignIn,
  DEFAULT_USERS,
  failCodeExchange,
  failUserFetch,
  MockAuthorizeError,
  startMockFeishu,
  startTestFeishu,
  TEST_TIMEOUT_MS,
  testMockOptions,
  testStrategyOptions,
  userFetchEndpoint,
  type MockFeishu,
} from '../lib/testing/index.js';

/**
 * docs/testing.md: the testing kit drives a user's own Express routes, listening on port 0,
 * through a whole sign-in against the mock in every flow and brand: Allow, Deny, Feishu's
 * errors and a hang on the code exchange and the user fetch.
 */

interface TestApp {
  readonly agent: supertest.Agent;
  readonly strategy: FeishuStrategy;
  readonly server: Server;
}

/** The app a user writes: session, Passport, /auth/feishu and its callback, relative callbackURL. */
async function userApp(mock: MockFeishu, options: { flow?: FeishuFlow; alwaysFetchUserInfo?: boolean } = {}): Promise<TestApp> {
  const passport = new Passport();
  const strategy = new FeishuStrategy(
    { ...testStrategyOptions(mock), callbackURL: '/auth/feishu/callback', state: true, ...options },
    (_accessToken: string, _refreshToken: string, profile: FeishuProfile, done: (err: unknown, user?: Express.User) => void) => done(null, { id: profile.id, provider: profile.provider }),
  );
  passport.use(strategy);
  passport.serializeUser((user, done) => done(null, user));
  passport.deserializeUser((user: Express.User, done) => done(null, user));
  const app = express();
  app.use(session({ secret: 'kit-test', resave: false, saveUninitialized: false }));
  app.use(passport.session());
  app.get('/auth/feishu', passport.authenticate('feishu'));
  app.get('/auth/feishu/callback', passport.authenticate('feishu', { failureRedirect: '/login?failed=1' }), (req, res) => {
    res.json(req.user);
  });
  const onError: ErrorRequestHandler = (err: Error & { feishuCode?: number; oauthError?: { kind?: string } }, _req, res, _next) => {
    res.status(500).json({ name: err.name, feishuCode: err.feishuCode, kind: err.oauthError?.kind });
  };
  app.use(onError);
  // Listening before the agent's first request: supertest would otherwise listen anew, on
  // another port, for each request, and the callback would not be the URL Feishu approved.
  const server = await new Promise<Server>((resolve) => {
    const listening = app.listen(0, '127.0.0.1', () => resolve(listening));
  });
  return { agent: supertest.agent(server), strategy, server };
}

/** A sign-in as a test of the user's routes does it, with the kit. */
async function signIn(app: TestApp, consent: Parameters<typeof completeFeishuSignIn>[1] = {}) {
  const login = await app.agent.get('/auth/feishu');
  assert.equal(login.status, 302);
  const callback = new URL(await completeFeishuSignIn(login.headers.location ?? '', consent));
  return app.agent.get(callback.pathname + callback.search);
}

const cases: ReadonlyArray<{ flow: FeishuFlow; brand: 'feishu' | 'lark' }> = [
  { flow: 'v1', brand: 'feishu' },
  { flow: 'v2', brand: 'feishu' },
  { flow: 'v3', brand: 'lark' },
  { flow: 'suite', brand: 'feishu' },
  { flow: 'v1', brand: 'lark' },
];

for (const { flow, brand } of cases) {
  describe(`the testing kit, flow ${flow}, brand ${brand}`, () => {
    let mock: MockFeishu;
    let app: TestApp;
    before(async () => {
      mock = await startTestFeishu({ brand, apps: [{ ...DEFAULT_APPS[brand], redirectUris: [] }] });
      app = await userApp(mock, { flow });
    });
    after(async () => {
      app.server.close();
      await mock.close();
    });

    test('Allow signs in as the chosen user, on the port the app listens on', async () => {
      const res = await signIn(app, { user: 1 });
      assert.equal(res.status, 200, res.text);
      assert.deepEqual(res.body, { id: DEFAULT_USERS[1]?.open_id, provider: brand });
    });

    test('Deny comes back as a failure', async () => {
      const res = await signIn(app, { decision: 'deny' });
      assert.equal(res.status, 302);
      assert.equal(res.headers.location, '/login?failed=1');
    });

    test('a Feishu error on the code exchange reaches the app with its code', async () => {
      failCodeExchange(mock, app.strategy, { kind: 'error', code: 20050, msg: 'System error' });
      const res = await signIn(app);
      assert.equal(res.status, 500);
      // The suite flow's OAuth answers carry an `error` name, no Feishu code.
      assert.equal(res.body.feishuCode, flow === 'suite' ? undefined : 20050);
    });

    test('a Feishu error on the user fetch fails the sign-in where the user comes from', async () => {
      failUserFetch(mock, app.strategy, { kind: 'error', code: 20050, msg: 'System error' });
      const res = await signIn(app);
      assert.equal(res.status, 500);
      assert.equal(res.body.feishuCode, flow === 'suite' ? undefined : 20050);
      assert.equal(mock.calls[userFetchEndpoint(app.strategy)] > 0, true);
    });

    test(`a hang on the code exchange ends after the preset's ${TEST_TIMEOUT_MS} ms timeout`, async () => {
      failCodeExchange(mock, app.strategy, { kind: 'hang' });
      const res = await signIn(app);
      assert.equal(res.status, 500);
      assert.equal(res.body.kind, 'timeout');
    });
  });
}

const DEFAULT_APPS = {
  feishu: testMockOptions().apps?.[0] ?? assert.fail('no app'),
  lark: { ...(testMockOptions().apps?.[0] ?? assert.fail('no app')), brand: 'lark' as const },
};

describe('the user fetch in flow v1', () => {
  test('is the token answer, unless the strategy always fetches user_info', async () => {
    const mock = await startTestFeishu();
    try {
      assert.equal(userFetchEndpoint('v1'), 'v1Token');
      const plain = await userApp(mock);
      plain.server.close();
      assert.equal(userFetchEndpoint(plain.strategy), 'v1Token');
      const always = await userApp(mock, { alwaysFetchUserInfo: true });
      always.server.close();
      assert.equal(userFetchEndpoint(always.strategy), 'userInfo');
      assert.equal(userFetchEndpoint('v3'), 'userInfo');
      assert.equal(userFetchEndpoint('suite'), 'suiteUserInfo');
    } finally {
      await mock.close();
    }
  });
});

describe('the test preset', () => {
  test('registers the callback path on any port of 127.0.0.1 and localhost, and no other path', async () => {
    const mock = await startTestFeishu({ callbackPath: '/cb' });
    try {
      const authorize = (redirectUri: string) => `${mock.hosts.open}/open-apis/authen/v1/authorize?app_id=${mock.app.appId}&redirect_uri=${encodeURIComponent(redirectUri)}`;
      for (const uri of ['http://127.0.0.1:41234/cb', 'http://localhost:80/cb', 'http://localhost:5/cb?next=%2F']) {
        assert.match(await completeFeishuSignIn(authorize(uri)), /[?&]code=/, uri);
      }
      for (const uri of ['http://127.0.0.1:41234/other', 'http://127.0.0.1/cb', 'http://evil.example:1/cb', 'http://127.0.0.1:1@evil.example/cb']) {
        await assert.rejects(completeFeishuSignIn(authorize(uri)), (err: unknown) => err instanceof MockAuthorizeError && err.code === 20029, uri);
      }
    } finally {
      await mock.close();
    }
  });

  test("points a strategy at the mock's first app with the short timeout", async () => {
    const mock = await startTestFeishu({ brand: 'lark', apps: [DEFAULT_APPS.lark] });
    try {
      assert.deepEqual(testStrategyOptions(mock), { domain: mock.hosts, brand: 'lark', clientID: mock.app.appId, clientSecret: mock.app.appSecret, timeout: 2000 });
    } finally {
      await mock.close();
    }
  });
});

describe('completeFeishuSignIn', () => {
  test("with consent: 'auto' returns the code at once, and refuses a Deny it cannot press", async () => {
    const mock = await startMockFeishu({ consent: 'auto' });
    try {
      const url = `${mock.hosts.open}/open-apis/authen/v1/authorize?app_id=${mock.app.appId}&redirect_uri=${encodeURIComponent('http://localhost:3000/auth/feishu/callback')}&state=s1`;
      const callback = new URL(await completeFeishuSignIn(url));
      assert.equal(callback.searchParams.get('state'), 's1');
      assert.ok(callback.searchParams.get('code'));
      await assert.rejects(completeFeishuSignIn(url, { decision: 'deny' }), /consent: 'page'/);
    } finally {
      await mock.close();
    }
  });

  test('refuses a user the mock does not have, and a URL that is not the mock', async () => {
    const mock = await startTestFeishu();
    try {
      const url = `${mock.hosts.open}/open-apis/authen/v1/authorize?app_id=${mock.app.appId}&redirect_uri=${encodeURIComponent('http://127.0.0.1:9/auth/feishu/callback')}`;
      await assert.rejects(completeFeishuSignIn(url, { user: 2 }), RangeError);
      await assert.rejects(completeFeishuSignIn('https://open.feishu.cn/open-apis/authen/v1/authorize'), TypeError);
      await assert.rejects(completeFeishuSignIn(`${mock.hosts.open}/nowhere`), (err: unknown) => err instanceof MockAuthorizeError && /not its consent page/.test(err.message));
    } finally {
      await mock.close();
    }
  });
});

