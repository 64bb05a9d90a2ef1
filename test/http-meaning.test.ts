import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import express from 'express';
import { Passport } from 'passport';
import supertest from 'supertest';
import { InternalOAuthError } from 'passport-oauth2';
import { ClientAssertionError, FeishuStrategy, MissingIdError, TenantNotAllowedError, TransportError, type FeishuFlow } from '../lib/index.js';
import { startMockFeishu, type MockEndpoint, type MockFault, type MockFeishu } from '../lib/testing/index.js';
import { buildApp, consent, login, pathOf } from './helpers/app.js';

/**
 * README: an error of this package carries `status` and `statusCode` with an HTTP meaning for
 * the app (502 when Feishu refused or failed, 504 when it did not answer within `timeout`);
 * Feishu's own HTTP status, usually 200, is `feishuStatus`. Express's final handler, Koa's
 * `ctx.onerror` and `res.status(err.status || 500)` answer with it.
 */

let mock: MockFeishu;
before(async () => {
  mock = await startMockFeishu({ consent: 'auto' });
});
after(() => mock.close());

/** Long enough for any loaded machine to answer; short enough that a hang is not a wait. */
const HANG_TIMEOUT_MS = 300;

interface Case {
  readonly flow: FeishuFlow;
  readonly endpoint: MockEndpoint;
  readonly fault: MockFault;
  readonly status: 502 | 504;
  readonly alwaysFetchUserInfo?: boolean;
}

const CASES: readonly Case[] = [
  { flow: 'v1', endpoint: 'appAccessToken', fault: { kind: 'error', code: 10014 }, status: 502 },
  { flow: 'v1', endpoint: 'appAccessToken', fault: { kind: 'hang' }, status: 504 },
  { flow: 'v1', endpoint: 'v1Token', fault: { kind: 'error', code: 20050 }, status: 502 },
  { flow: 'v1', endpoint: 'v1Token', fault: { kind: 'html' }, status: 502 },
  { flow: 'v1', endpoint: 'userInfo', fault: { kind: 'error', code: 99991672 }, status: 502, alwaysFetchUserInfo: true },
  { flow: 'v2', endpoint: 'v2Token', fault: { kind: 'error', code: 20002 }, status: 502 },
  { flow: 'v2', endpoint: 'v2Token', fault: { kind: 'hang' }, status: 504 },
  { flow: 'v2', endpoint: 'userInfo', fault: { kind: 'hang' }, status: 504 },
  { flow: 'v3', endpoint: 'v3Token', fault: { kind: 'reset' }, status: 502 },
  { flow: 'suite', endpoint: 'suiteToken', fault: { kind: 'truncated' }, status: 502 },
];

describe("the error an app's error handler receives has status and statusCode for the app's answer", () => {
  for (const c of CASES) {
    test(`${c.flow} ${c.endpoint} ${c.fault.kind}: ${c.status}, whatever Feishu's own status`, async () => {
      const { agent, errors } = buildApp(mock, { flow: c.flow, timeout: HANG_TIMEOUT_MS, alwaysFetchUserInfo: c.alwaysFetchUserInfo });
      mock.inject(c.endpoint, c.fault);
      await login(agent);
      assert.equal(errors.length, 1);
      const err = errors[0] as Error & { status?: unknown; statusCode?: unknown; oauthError?: unknown };
      assert.equal(err.status, c.status, `${err.name}: ${err.message}`);
      assert.equal(err.statusCode, c.status);
      // A transport failure stays an InternalOAuthError around the TransportError, both with the meaning.
      if (err instanceof InternalOAuthError) {
        assert.ok(err.oauthError instanceof TransportError);
        assert.equal(err.oauthError.status, c.status);
      }
    });
  }

  test('a refresh that times out rejects with 504', async () => {
    const { agent, strategy } = buildApp(mock, { flow: 'v2', scope: 'offline_access', timeout: HANG_TIMEOUT_MS });
    const res = await login(agent);
    mock.inject('v2Token', { kind: 'hang' });
    const err = (await strategy.refreshAccessToken(res.body.refreshToken as string).catch((e: unknown) => e)) as { status?: number; statusCode?: number };
    assert.equal(err.status, 504);
    assert.equal(err.statusCode, 504);
  });
});

describe("Express's own error handler answers with it", () => {
  test('Feishu refusing the app (HTTP 200, code 10014) is a 502, not a 200 nor a 500', async () => {
    const passport = new Passport();
    const strategy = new FeishuStrategy(
      { clientID: mock.app.appId, clientSecret: mock.app.appSecret, domain: mock.hosts, callbackURL: 'http://localhost:3000/auth/feishu/callback' },
      (_a: string, _r: string, profile: unknown, done: (err: unknown, user?: Express.User) => void) => done(null, profile as Express.User),
    );
    passport.use(strategy);
    const app = express();
    app.get('/login', passport.authenticate('feishu', { session: false }));
    app.get('/auth/feishu/callback', passport.authenticate('feishu', { session: false }), (_req, res) => void res.end('ok'));
    const agent = supertest(app);
    const start = await agent.get('/login');
    const callback = await consent(start.headers.location ?? '');
    mock.inject('appAccessToken', { kind: 'error', code: 10014 });
    const res = await agent.get(pathOf(callback));
    assert.equal(res.status, 502);
  });
});

describe('errors raised before or after Feishu', () => {
  test('ClientAssertionError (the app\'s own provider) is a 500; MissingIdError (a permission not enabled) a 500; TenantNotAllowedError a 403', () => {
    const assertion = new ClientAssertionError('provider_failed', 'x');
    const missing = new MissingIdError('user_id');
    const tenant = new TenantNotAllowedError('t1');
    for (const [err, status] of [[assertion, 500], [missing, 500], [tenant, 403]] as const) {
      assert.equal(err.status, status, err.name);
      assert.equal(err.statusCode, status, err.name);
    }
  });
});
