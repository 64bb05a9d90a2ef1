import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import express, { type ErrorRequestHandler } from 'express';
import session from 'express-session';
import { Passport } from 'passport';
import supertest from 'supertest';
import { FeishuStrategy, FeishuTokenError, type FeishuFlow, type FeishuProfile, type FeishuTokenParams, type VerifyCallback } from '../lib/index.js';
import { startMockFeishu, type MockFeishu } from '../lib/testing/index.js';
import { login } from './helpers/app.js';

/**
 * README "Narrower tokens": `tokenScope` on the callback route and `refreshAccessToken(rt, { scope })`
 * send v2/v3's `scope` parameter, which narrows the token to a subset of what the user granted.
 */

let mock: MockFeishu;
before(async () => {
  mock = await startMockFeishu({ consent: 'auto' });
});
after(() => mock.close());

const GRANTED = 'offline_access auth:user.id:read';

/** An app whose callback route passes `tokenScope`; the verify callback keeps Feishu's token answer. */
function appWith(flow: FeishuFlow, tokenScope: unknown, scope: string | undefined = GRANTED) {
  const passport = new Passport();
  const strategy = new FeishuStrategy(
    {
      clientID: mock.app.appId,
      clientSecret: mock.app.appSecret,
      domain: mock.hosts,
      callbackURL: 'http://localhost:3000/auth/feishu/callback',
      state: true,
      flow,
      scope,
    },
    (accessToken: string, refreshToken: string, params: FeishuTokenParams, _profile: FeishuProfile, done: VerifyCallback) => done(null, { accessToken, refreshToken, scope: params.scope }),
  );
  passport.use(strategy);
  const app = express();
  app.use(session({ secret: 'test-session-secret', resave: false, saveUninitialized: false }));
  app.get('/login', passport.authenticate('feishu'));
  app.get('/auth/feishu/callback', passport.authenticate('feishu', { session: false, tokenScope } as AuthenticateOptions), (req, res) => {
    res.json(req.user);
  });
  const errors: unknown[] = [];
  const onError: ErrorRequestHandler = (err: Error, _req, res, _next) => {
    errors.push(err);
    res.status(500).json({ name: err.name, message: err.message });
  };
  app.use(onError);
  return { strategy, errors, agent: supertest.agent(app) };
}
type AuthenticateOptions = Parameters<InstanceType<typeof Passport>["authenticate"]>[1];

interface Signed {
  accessToken: string;
  refreshToken: string;
  scope?: string;
}

for (const flow of ['v2', 'v3'] as const) {
  describe(`flow ${flow}: narrowing`, () => {
    test('tokenScope narrows the token of the code exchange (a string: no offline_access, so no refresh token)', async () => {
      const { agent } = appWith(flow, 'auth:user.id:read');
      const res = await login(agent);
      assert.equal(res.status, 200, res.text);
      const user = res.body as Signed;
      assert.equal(user.scope, 'auth:user.id:read');
      assert.equal(user.refreshToken, '');
    });

    test('tokenScope as a list, keeping offline_access, still gets a refresh token', async () => {
      const { agent } = appWith(flow, ['offline_access', 'auth:user.id:read']);
      const res = await login(agent);
      const user = res.body as Signed;
      assert.equal(user.scope, 'offline_access auth:user.id:read');
      assert.ok(user.refreshToken);
    });

    test('without tokenScope the token keeps every granted scope', async () => {
      const res = await login(appWith(flow, undefined).agent);
      assert.equal((res.body as Signed).scope, GRANTED);
    });

    test('refreshAccessToken(rt, { scope }) narrows the refreshed token', async () => {
      const { agent, strategy } = appWith(flow, undefined);
      const user = (await login(agent)).body as Signed;
      const narrowed = await strategy.refreshAccessToken(user.refreshToken, { scope: 'offline_access' });
      assert.equal(narrowed.scope, 'offline_access');
      assert.ok(narrowed.refreshToken);
      // The narrowed refresh token carries the narrowed grant: asking for more is now refused.
      const wider: unknown = await strategy.refreshAccessToken(narrowed.refreshToken ?? '', { scope: GRANTED }).catch((e: unknown) => e);
      assert.ok(wider instanceof FeishuTokenError);
      assert.deepEqual([wider.code, wider.feishuCode], ['invalid_scope', 20068]);
    });

    test('a scope the user did not grant, on the exchange, is FeishuTokenError invalid_scope (20068)', async () => {
      const { agent, errors } = appWith(flow, 'contact:user.email:readonly');
      const res = await login(agent);
      assert.equal(res.status, 500);
      const err = errors[0];
      assert.ok(err instanceof FeishuTokenError, String(err));
      assert.deepEqual([err.code, err.feishuCode], ['invalid_scope', 20068]);
    });

    test('a repeated scope, on the exchange, is FeishuTokenError invalid_scope (20067)', async () => {
      const { agent, errors } = appWith(flow, 'offline_access offline_access');
      await login(agent);
      const err = errors[0];
      assert.ok(err instanceof FeishuTokenError, String(err));
      assert.deepEqual([err.code, err.feishuCode], ['invalid_scope', 20067]);
    });

    test('a repeated scope, on a refresh, is FeishuTokenError invalid_scope (20067)', async () => {
      const { agent, strategy } = appWith(flow, undefined);
      const user = (await login(agent)).body as Signed;
      const err: unknown = await strategy.refreshAccessToken(user.refreshToken, { scope: ['offline_access', 'offline_access'] }).catch((e: unknown) => e);
      assert.ok(err instanceof FeishuTokenError);
      assert.deepEqual([err.code, err.feishuCode], ['invalid_scope', 20067]);
    });
  });
}

describe('flows without a scope parameter refuse narrowing before any request', () => {
  for (const flow of ['v1', 'suite'] as const) {
    const tokenEndpoint = flow === 'v1' ? 'v1Token' : 'suiteToken';
    test(`${flow}: tokenScope is a TypeError at the callback, and no code exchange is sent`, async () => {
      const { agent, errors } = appWith(flow, 'auth:user.id:read', undefined);
      const before = mock.calls[tokenEndpoint];
      const res = await login(agent);
      assert.equal(res.status, 500);
      assert.ok(errors[0] instanceof TypeError);
      assert.match(errors[0].message, /flows v2 and v3 only; flow \w+ has no scope parameter/);
      assert.equal(mock.calls[tokenEndpoint], before);
    });

    test(`${flow}: refreshAccessToken with scope rejects with a TypeError, and no refresh is sent`, async () => {
      const { strategy } = appWith(flow, undefined, undefined);
      const before = mock.serverCalls;
      await assert.rejects(strategy.refreshAccessToken('ur-whatever', { scope: 'auth:user.id:read' }), TypeError);
      assert.equal(mock.serverCalls, before);
    });
  }
});

describe('malformed narrowing options are TypeErrors', () => {
  for (const [name, value] of [['an empty string', ''], ['an empty list', []], ['a list entry with a space', ['a b']], ['a number', 42]] as const) {
    test(`${name}`, async () => {
      const { strategy } = appWith('v2', undefined);
      await assert.rejects(strategy.refreshAccessToken('rt', { scope: value as string }), /non-empty space-separated string or list/);
      const { agent, errors } = appWith('v2', value);
      assert.equal((await login(agent)).status, 500);
      assert.ok(errors[0] instanceof TypeError);
    });
  }
});
