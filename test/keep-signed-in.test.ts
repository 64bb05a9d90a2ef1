import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import express, { type RequestHandler } from 'express';
import session from 'express-session';
import { Passport } from 'passport';
import supertest from 'supertest';
import { FeishuStrategy, ReauthorizationRequiredError, type FeishuProfile, type FeishuTokenParams, type VerifyCallback } from '../lib/index.js';
import { DEFAULT_APP, startMockFeishu, type MockFeishu } from '../lib/testing/index.js';
import { consent, pathOf } from './helpers/app.js';

/** docs/tokens.md's Express example, against the mock: tokens in the session, refreshed in the request. */

interface StoredTokens {
  accessToken: string;
  refreshToken: string | undefined;
  expiresAt: number | undefined;
  refreshExpiresAt: number | undefined;
}

interface User {
  id: string;
  name: string;
  tokens: StoredTokens;
}

const MARGIN_MS = 5 * 60 * 1000;

function docsApp(mock: MockFeishu) {
  const strategy = new FeishuStrategy(
    {
      clientID: mock.app.appId,
      clientSecret: mock.app.appSecret,
      domain: mock.hosts,
      callbackURL: 'http://localhost:3000/auth/feishu/callback',
      state: true,
      flow: 'v2',
      scope: ['offline_access'],
    },
    (accessToken: string, refreshToken: string, params: FeishuTokenParams, profile: FeishuProfile, done: VerifyCallback) => {
      const now = Date.now();
      const refreshIn = params.refresh_token_expires_in ?? params.refresh_expires_in;
      const user: User = {
        id: profile.id,
        name: profile.displayName,
        tokens: {
          accessToken,
          refreshToken: refreshToken || undefined,
          expiresAt: params.expires_in === undefined ? undefined : now + params.expires_in * 1000,
          refreshExpiresAt: refreshIn === undefined ? undefined : now + refreshIn * 1000,
        },
      };
      done(null, user);
    },
  );
  const passport = new Passport();
  passport.use(strategy);
  passport.serializeUser((user, done) => done(null, user));
  passport.deserializeUser((user: Express.User, done) => done(null, user));

  const app = express();
  app.use(session({ secret: 'keep-signed-in', resave: false, saveUninitialized: false }));
  app.use(passport.session());
  app.get('/login', passport.authenticate('feishu'));
  app.get('/auth/feishu/callback', passport.authenticate('feishu', { failureRedirect: '/login-failed' }), (_req, res) => res.redirect('/'));

  const freshFeishuToken: RequestHandler = async (req, res, next) => {
    const user = req.user as User | undefined;
    if (!user) return res.redirect('/login');
    const { tokens } = user;
    if (tokens.expiresAt !== undefined && tokens.expiresAt - Date.now() > MARGIN_MS) return next();
    if (!tokens.refreshToken) return res.redirect('/login');
    try {
      const set = await strategy.refreshAccessToken(tokens.refreshToken, { refreshExpiresAt: tokens.refreshExpiresAt });
      user.tokens = { accessToken: set.accessToken, refreshToken: set.refreshToken, expiresAt: set.expiresAt, refreshExpiresAt: set.refreshExpiresAt };
      next();
    } catch (err) {
      if (err instanceof ReauthorizationRequiredError) {
        return req.logout((logoutErr) => (logoutErr ? next(logoutErr) : res.redirect('/login')));
      }
      next(err);
    }
  };

  // Test-only: the clock moves on until the access token is about to expire.
  app.post('/test/age-token', (req, res) => {
    (req.user as User).tokens.expiresAt = Date.now();
    res.sendStatus(204);
  });
  app.get('/me', freshFeishuToken, async (req, res, next) => {
    try {
      const { tokens } = req.user as User;
      const answer = await fetch(`${mock.hosts.open}/open-apis/authen/v1/user_info`, { headers: { authorization: `Bearer ${tokens.accessToken}` } });
      res.json({ feishu: await answer.json(), tokens });
    } catch (err) {
      next(err);
    }
  });
  return { strategy, agent: supertest.agent(app) };
}

let mock: MockFeishu;
before(async () => {
  mock = await startMockFeishu({ consent: 'auto', apps: [{ ...DEFAULT_APP }] });
});
after(() => mock.close());

async function signIn(agent: supertest.Agent): Promise<void> {
  const start = await agent.get('/login');
  const callback = await consent(start.headers.location ?? '');
  assert.equal((await agent.get(pathOf(callback))).status, 302);
}

describe('docs/tokens.md: refreshing in a request', () => {
  test('two tabs finding the token about to expire send one refresh, and both work with the new token', async () => {
    const { agent } = docsApp(mock);
    await signIn(agent);
    assert.equal((await agent.post('/test/age-token')).status, 204);
    mock.resetCalls();
    const [one, two] = await Promise.all([agent.get('/me'), agent.get('/me')]);
    assert.equal(mock.calls.v2Token, 1, 'one refresh');
    for (const res of [one, two]) {
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.equal((res.body as { feishu: { code: number } }).feishu.code, 0, 'the new token works');
    }
    assert.deepEqual(one.body.tokens, two.body.tokens);
    // The session kept the rotated token: the next request needs no refresh.
    const later = await agent.get('/me');
    assert.deepEqual(later.body.tokens, one.body.tokens);
    assert.equal(mock.calls.v2Token, 1);
  });

  test('a refresh Feishu refuses for good signs the user out and sends them to sign in', async () => {
    const { agent } = docsApp(mock);
    await signIn(agent);
    await agent.post('/test/age-token');
    mock.inject('v2Token', { kind: 'error', code: 20064, msg: 'The refresh token has been revoked.' });
    const res = await agent.get('/me');
    assert.equal(res.status, 302);
    assert.equal(res.headers.location, '/login');
    assert.equal((await agent.get('/me')).headers.location, '/login', 'signed out');
  });
});
