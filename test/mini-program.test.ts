import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import express, { type ErrorRequestHandler } from 'express';
import session from 'express-session';
import { Passport } from 'passport';
import supertest from 'supertest';
import { FeishuStrategy, type FeishuProfile, type FeishuStrategyOptions, type FeishuTokenParams, type VerifyCallback } from '../lib/index.js';
import { DEFAULT_APP, startMockFeishu, type MockFeishu } from '../lib/testing/index.js';
import { AnswerServer } from './helpers/answer-server.js';

/**
 * flow 'mini-program': a Feishu mini-program signs in with tt.login and posts the code to the
 * app's server, which exchanges it at mina/v2/tokenLoginValidate (feishu-api.md §10.11).
 */

interface SignedIn {
  accessToken: string;
  refreshToken: string;
  params: FeishuTokenParams;
  profile: FeishuProfile | undefined;
}

const OTHER_APP = { ...DEFAULT_APP, appId: 'cli_other_mini_program', appSecret: 'other-app-secret-0123456789' };

/** The app's server: POST /auth/feishu/mini-program with `{ code }`, as the README tells users to write it. */
function miniProgramApp(domain: FeishuStrategyOptions['domain'], options: Partial<FeishuStrategyOptions> = {}) {
  const passport = new Passport();
  const strategy = new FeishuStrategy(
    { clientID: DEFAULT_APP.appId, clientSecret: DEFAULT_APP.appSecret, domain, flow: 'mini-program', ...options } as FeishuStrategyOptions,
    (accessToken: string, refreshToken: string, params: FeishuTokenParams, profile: FeishuProfile, done: VerifyCallback) => {
      done(null, { accessToken, refreshToken, params, profile } satisfies SignedIn);
    },
  );
  passport.use(strategy);
  const app = express();
  app.use(express.json());
  app.use(session({ secret: 'mini-program-test', resave: false, saveUninitialized: false }));
  // A mini-program's server answers JSON, not redirects: a custom callback says what happened.
  app.post('/auth/feishu/mini-program', (req, res, next) => {
    const handler = passport.authenticate('feishu', { session: false }, (err: unknown, user: SignedIn | false, info: { message?: string } | undefined, status: number | undefined) => {
      if (err) return next(err);
      if (!user) return res.status(status ?? 401).json({ message: info?.message });
      res.json(user);
    }) as express.RequestHandler;
    handler(req, res, next);
  });
  const onError: ErrorRequestHandler = (err: Error & { status?: number }, _req, res, _next) => {
    res.status(500).json({ name: err.name, message: err.message });
  };
  app.use(onError);
  return { strategy, agent: supertest(app) };
}

let mock: MockFeishu;
before(async () => {
  mock = await startMockFeishu({ apps: [{ ...DEFAULT_APP }, OTHER_APP] });
});
after(() => mock.close());

describe("flow 'mini-program' through the mock", () => {
  test('a tt.login code signs the user in: ids from the answer, name and avatar from user_info, session_key in params', async () => {
    const { agent } = miniProgramApp(mock.hosts);
    mock.resetCalls();
    const code = mock.issueCode(); // what tt.login hands the mini-program
    const res = await agent.post('/auth/feishu/mini-program').send({ code });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const body = res.body as SignedIn;
    const user = mock.users[0]!;
    assert.equal(body.profile?.id, user.open_id);
    assert.equal(body.profile?.displayName, user.name);
    assert.equal(body.profile?.photos?.[0]?.value, user.avatar_url);
    assert.equal(body.profile?.userId, user.user_id, 'employee_id becomes the user id');
    assert.equal(body.profile?.tenantKey, user.tenant_key);
    assert.equal(body.profile?.unionId, user.union_id, "the real union_id from user_info, not the answer's deprecated one");
    assert.match(body.accessToken, /^u-/);
    assert.match(body.refreshToken, /^ur-/);
    assert.equal(typeof body.params.session_key, 'string');
    assert.ok(mock.secrets().includes(body.params.session_key as string), 'the session_key Feishu issued');
    // expires_in is an epoch time in seconds here, not a duration.
    assert.ok((body.params.expires_in ?? 0) > Date.now() / 1000);
    assert.equal(mock.calls.minaLogin, 1);
    assert.equal(mock.calls.userInfo, 1);
    assert.equal(mock.calls.v1Token + mock.calls.v2Token, 0);
  });

  test('the code may come in the query too; skipUserProfile skips user_info', async () => {
    const { agent } = miniProgramApp(mock.hosts, { skipUserProfile: true });
    mock.resetCalls();
    const res = await agent.post(`/auth/feishu/mini-program?code=${mock.issueCode()}`);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal((res.body as SignedIn).params.open_id, mock.users[0]!.open_id);
    assert.equal(mock.calls.userInfo, 0);
  });

  test('a request without a code is a 400 failure, and Feishu is not asked', async () => {
    const { agent } = miniProgramApp(mock.hosts);
    mock.resetCalls();
    const res = await agent.post('/auth/feishu/mini-program').send({});
    assert.equal(res.status, 400);
    assert.equal((res.body as { message: string }).message, 'No sign-in code in the request: post the code from tt.login as `code`.');
    assert.equal(mock.calls.minaLogin + mock.calls.appAccessToken, 0);
  });

  test('buildAuthorizationURL has no page to build: it rejects', async () => {
    const { strategy } = miniProgramApp(mock.hosts);
    await assert.rejects(strategy.buildAuthorizationURL({ query: {}, headers: { host: 'app.example.com' }, url: '/' } as never), /could not start/);
  });

  for (const [name, code] of [
    ['a used code', () => {
      const used = mock.issueCode();
      return { code: used, before: true };
    }],
    ['a code of another app', () => ({ code: mock.issueCode({ appId: OTHER_APP.appId }), before: false })],
    ['an expired code', () => ({ code: mock.issueCode({ ttlSeconds: 0 }), before: false })],
  ] as const) {
    test(`${name} is a 400 failure with Feishu's 10213`, async () => {
      const { agent } = miniProgramApp(mock.hosts);
      const { code: value, before: useFirst } = code();
      if (useFirst) assert.equal((await agent.post('/auth/feishu/mini-program').send({ code: value })).status, 200);
      const res = await agent.post('/auth/feishu/mini-program').send({ code: value });
      assert.equal(res.status, 400, JSON.stringify(res.body));
      assert.match((res.body as { message: string }).message, /code appid not match \(code 10213, log id /);
    });
  }

  test("a user who cannot see the app (Feishu's 10228) is a 400 failure", async () => {
    const { agent } = miniProgramApp(mock.hosts);
    mock.inject('minaLogin', { kind: 'error', code: 10228, msg: 'user to app has no visibility' });
    const res = await agent.post('/auth/feishu/mini-program').send({ code: mock.issueCode() });
    assert.equal(res.status, 400, JSON.stringify(res.body));
    assert.match((res.body as { message: string }).message, /no visibility \(code 10228/);
  });

  test('the refresh token refreshes like v1: one request to the v1 endpoint, a new pair', async () => {
    const { agent, strategy } = miniProgramApp(mock.hosts);
    const res = await agent.post('/auth/feishu/mini-program').send({ code: mock.issueCode() });
    const { refreshToken, accessToken } = res.body as SignedIn;
    mock.resetCalls();
    const set = await strategy.refreshAccessToken(refreshToken);
    assert.equal(mock.calls.v1Refresh, 1);
    assert.ok(set.accessToken !== accessToken && set.refreshToken && set.refreshToken !== refreshToken);
    assert.ok(set.expiresAt !== undefined && set.expiresAt > Date.now());
  });

  test('a revoked app token is fetched again once (Feishu answers 10202 here)', async () => {
    const { agent, strategy } = miniProgramApp(mock.hosts);
    assert.equal((await agent.post('/auth/feishu/mini-program').send({ code: mock.issueCode() })).status, 200);
    mock.revokeAppTokens();
    const fetches = strategy.appTokens.fetches;
    assert.equal((await agent.post('/auth/feishu/mini-program').send({ code: mock.issueCode() })).status, 200);
    assert.equal(strategy.appTokens.fetches, fetches + 1);
  });
});

describe("flow 'mini-program' against answers the mock never sends", () => {
  let server: AnswerServer;
  before(async () => {
    server = await new AnswerServer().listen();
  });
  after(() => server.close());

  test("a failing answer that quotes its own session_key and tokens: none of them reaches the failure's message", async () => {
    const sessionKey = 'e3aeb7df000c835365c630dac91bcf';
    const accessToken = 'u-tpwcnx2XzIcq8yHyJ6KLexample';
    server.reset();
    server.answer(
      { json: { code: 0, msg: 'ok', app_access_token: 't-app-token-0123456789', expire: 7200 } },
      { json: { code: 10213, msg: `code appid not match (session ${sessionKey}, token ${accessToken.slice(2)})`, data: { session_key: sessionKey, access_token: accessToken.slice(2) } } },
    );
    const { agent } = miniProgramApp(server.origin);
    const res = await agent.post('/auth/feishu/mini-program').send({ code: 'mini-program-code-0123' });
    assert.equal(res.status, 400);
    assert.match((res.body as { message: string }).message, /code appid not match/);
    const text = JSON.stringify(res.body);
    assert.ok(!text.includes(sessionKey) && !text.includes(accessToken.slice(2)), text);
    assert.equal(server.received[1]?.path, '/open-apis/mina/v2/tokenLoginValidate');
    assert.deepEqual(JSON.parse(server.received[1]?.body ?? '{}'), { code: 'mini-program-code-0123' }, 'the body is the code alone');
    assert.equal(server.received[1]?.headers.authorization, 'Bearer t-app-token-0123456789');
  });

  test('an expires_in that is an epoch time becomes the right expiresAt, in any answer', async () => {
    const epoch = Math.floor(Date.now() / 1000) + 3600;
    server.reset();
    server.answer(
      { json: { code: 0, msg: 'ok', app_access_token: 't-app-token-0123456789', expire: 7200 } },
      { json: { code: 0, msg: 'success', data: { access_token: 'u-new-0123456789', refresh_token: 'ur-new-0123456789', expires_in: epoch } } },
    );
    const { strategy } = miniProgramApp(server.origin);
    const set = await strategy.refreshAccessToken('ur-old-0123456789');
    assert.equal(set.expiresAt, epoch * 1000);
    assert.ok(set.expiresIn !== undefined && set.expiresIn > 3500 && set.expiresIn <= 3600);
  });
});
