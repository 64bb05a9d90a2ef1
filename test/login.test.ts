import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import supertest from 'supertest';
import { startMockFeishu, type MockFeishu } from '../lib/testing/index.js';
import { buildApp, consent, login, pathOf, startState, type ErrorBody } from './helpers/app.js';

let mock: MockFeishu;

before(async () => {
  mock = await startMockFeishu();
});
after(() => mock.close());
beforeEach(() => {
  mock.clearFaults();
  mock.consent = 'page';
  mock.latency = 0;
});

describe('a v1 login through an Express app', () => {
  test('lands on the callback with the mapped profile after Allow', async () => {
    const { agent } = buildApp(mock);
    const res = await login(agent);
    assert.equal(res.status, 200);
    const user = mock.users[0]!;
    assert.equal(res.body.profile.provider, 'feishu');
    assert.equal(res.body.profile.id, user.open_id);
    assert.equal(res.body.profile.displayName, user.name);
    assert.equal(res.body.profile.unionId, user.union_id);
    assert.equal(res.body.profile.tenantKey, user.tenant_key);
    assert.deepEqual(res.body.profile.emails, [
      { value: user.email, type: 'work' },
      { value: user.enterprise_email, type: 'enterprise' },
    ]);
    assert.match(res.body.accessToken, /^u-/);
    assert.match(res.body.refreshToken, /^ur-/);
    assert.ok(!JSON.stringify(res.body.profile._json).includes(res.body.accessToken), '_json holds no token');
  });

  test('the user picked on the consent page is the one signed in', async () => {
    const { agent } = buildApp(mock);
    const res = await login(agent, 'allow', 1);
    assert.equal(res.body.profile.id, mock.users[1]!.open_id);
  });

  test('costs one upstream call at steady state: the token answer carries the user', async () => {
    const { agent } = buildApp(mock);
    await login(agent); // warms the app_access_token cache
    mock.resetCalls();
    const res = await login(agent);
    assert.equal(res.status, 200);
    assert.equal(mock.serverCalls, 1);
    assert.equal(mock.calls.v1Token, 1);
  });

  test('alwaysFetchUserInfo calls user_info as well', async () => {
    const { agent } = buildApp(mock, { alwaysFetchUserInfo: true });
    await login(agent);
    mock.resetCalls();
    const res = await login(agent);
    assert.equal(res.status, 200);
    assert.equal(mock.calls.userInfo, 1);
    assert.equal(res.body.profile.id, mock.users[0]!.open_id);
  });

  test('Deny ends on the failure route, not an error', async () => {
    const { agent } = buildApp(mock);
    const res = await login(agent, 'deny');
    assert.equal(res.status, 302);
    assert.equal(res.headers.location, '/failed');
    const failed = await agent.get('/failed');
    assert.deepEqual(failed.body.messages, ["The sign-in was declined on Feishu's consent page (access_denied)."]);
  });

  test('40 concurrent cold logins make one app-token request', async () => {
    const { app } = buildApp(mock);
    mock.consent = 'auto';
    mock.latency = 20; // keeps the first app-token fetch in flight while the others arrive
    mock.resetCalls();
    const agents = Array.from({ length: 40 }, () => supertest.agent(app));
    const callbacks = await Promise.all(
      agents.map(async (agent) => {
        const start = await agent.get('/login');
        return consent(start.headers.location ?? '');
      }),
    );
    const results = await Promise.all(agents.map((agent, i) => agent.get(pathOf(callbacks[i]!))));
    assert.deepEqual(results.map((r) => r.status), Array(40).fill(200));
    assert.equal(mock.calls.appAccessToken, 1);
    assert.equal(mock.calls.v1Token, 40);
  });
});

describe('state and codes', () => {
  test('a forged state is a 403 failure', async () => {
    const { agent } = buildApp(mock);
    const start = await agent.get('/login');
    const callback = new URL(await consent(start.headers.location ?? ''));
    callback.searchParams.set('state', 'forged');
    const res = await agent.get(pathOf(callback.href));
    assert.equal(res.status, 302);
    assert.equal(res.headers.location, '/failed');
    const failed = await agent.get('/failed');
    assert.deepEqual(failed.body.messages, ['Invalid authorization request state.']);
  });

  test('a used code is a failure the app can redirect on', async () => {
    const { agent } = buildApp(mock, { state: false });
    mock.consent = 'auto';
    const start = await agent.get('/login');
    const callback = pathOf(await consent(start.headers.location ?? ''));
    assert.equal((await agent.get(callback)).status, 200);
    const again = await agent.get(callback);
    assert.equal(again.status, 302);
    assert.equal(again.headers.location, '/failed');
    const failed = await agent.get('/failed');
    assert.match(failed.body.messages[0], /code 20003/);
  });

  test('an expired code is a failure', async () => {
    const { agent } = buildApp(mock, { state: false });
    const code = mock.issueCode();
    mock.advance(6 * 60 * 1000);
    try {
      const res = await agent.get(`/auth/feishu/callback?code=${code}`);
      assert.equal(res.headers.location, '/failed');
      assert.match((await agent.get('/failed')).body.messages[0], /code 20004/);
    } finally {
      mock.advance(-6 * 60 * 1000);
    }
  });
});

describe('the app_access_token', () => {
  test('a revoked cached token is dropped, fetched again and the exchange retried once', async () => {
    const { agent, strategy } = buildApp(mock);
    await login(agent);
    mock.revokeAppTokens();
    mock.resetCalls();
    const res = await login(agent);
    assert.equal(res.status, 200);
    assert.equal(mock.calls.v1Token, 2);
    assert.equal(mock.calls.appAccessToken, 1);
    assert.ok(strategy.appTokens.fetches >= 2);
  });

  test('a wrong secret fails with the fix and without the secret', async () => {
    const secret = 'wrong-secret-value-123';
    const { agent } = buildApp(mock, { clientSecret: secret });
    const res = await login(agent);
    assert.equal(res.status, 500);
    const body = res.body as ErrorBody;
    assert.equal(body.name, 'FeishuAPIError');
    assert.equal(body.feishuCode, 10014);
    assert.match(body.message, /App Secret/);
    assert.match(body.logId ?? '', /^2026/);
    assert.ok(!body.message.includes(secret));
  });
});

describe('upstream faults', () => {
  test('a hung token endpoint fails within timeout as an InternalOAuthError', async () => {
    const { agent } = buildApp(mock, { timeout: 300 });
    await login(agent);
    mock.inject('v1Token', { kind: 'hang' });
    const res = await login(agent);
    assert.equal(res.status, 500);
    assert.equal(res.body.name, 'InternalOAuthError');
    assert.equal(res.body.oauthErrorKind, 'timeout');
    mock.clearFaults();
    assert.equal((await login(agent)).status, 200, 'the next login succeeds');
  });

  test('an HTML 502 from user_info is an InternalOAuthError naming the status', async () => {
    const { agent } = buildApp(mock, { alwaysFetchUserInfo: true });
    mock.inject('userInfo', { kind: 'html' });
    const res = await login(agent);
    assert.equal(res.body.name, 'InternalOAuthError');
    assert.equal(res.body.oauthErrorKind, 'not-json');
  });

  test('an answer larger than any Feishu answer is refused, not buffered', async () => {
    const { agent } = buildApp(mock, { alwaysFetchUserInfo: true });
    mock.inject('userInfo', { kind: 'oversized' });
    const res = await login(agent);
    assert.equal(res.body.name, 'InternalOAuthError');
    assert.equal(res.body.oauthErrorKind, 'too-large');
  });

  test('a user_info error with HTTP 200 is a FeishuAPIError carrying code and log id', async () => {
    const { agent } = buildApp(mock, { alwaysFetchUserInfo: true });
    mock.inject('userInfo', { kind: 'error', code: 99991668, msg: 'Invalid access token for authorization' });
    const res = await login(agent);
    assert.equal(res.body.name, 'FeishuAPIError');
    assert.equal(res.body.feishuCode, 99991668);
    assert.ok(res.body.logId);
  });
});

describe('hostile callback input', () => {
  // README: "bad callback input is a 400 failure". Each request carries the state the session
  // expects, so the code rule alone decides; without it the code would reach Feishu.
  const cases: Array<[string, (state: string) => string]> = [
    ['a repeated code', (state) => `?code=a&code=b&state=${state}`],
    ['an empty code', (state) => `?code=&state=${state}`],
    ['a code longer than any Feishu code', (state) => `?code=${'x'.repeat(2049)}&state=${state}`],
  ];
  for (const [name, query] of cases) {
    test(`${name} is a 400 failure, and nothing is sent to Feishu`, async () => {
      const { agent } = buildApp(mock);
      const state = await startState(agent);
      mock.resetCalls();
      const res = await agent.get(`/auth/feishu/callback-bare${query(state)}`);
      assert.equal(res.status, 400);
      assert.equal(mock.serverCalls, 0);
    });
  }

  test('a code of the longest allowed length still reaches Feishu', async () => {
    const { agent } = buildApp(mock);
    const state = await startState(agent);
    mock.resetCalls();
    const res = await agent.get(`/auth/feishu/callback?code=${'x'.repeat(2048)}&state=${state}`);
    assert.equal(mock.calls.v1Token, 1);
    assert.equal(res.headers.location, '/failed', 'an unknown code is a failure');
  });

  test('an error in the callback other than a Deny is a 400 failure with a fixed text', async () => {
    const { agent } = buildApp(mock);
    const state = await startState(agent);
    const res = await agent.get(`/auth/feishu/callback-bare?error=server_error&error_description=${encodeURIComponent('<b>Call +1 555</b>')}&state=${state}`);
    assert.equal(res.status, 400);
    const redirected = await agent.get(`/auth/feishu/callback?error=server_error&error_description=${encodeURIComponent('<b>Call +1 555</b>')}&state=${state}`);
    assert.equal(redirected.headers.location, '/failed');
    const failed = await agent.get('/failed');
    assert.deepEqual(failed.body.messages, ['Feishu did not sign you in (server_error). Please try again.']);
  });

  test("a Deny's error_description from the query is never shown", async () => {
    const { agent } = buildApp(mock);
    const state = await startState(agent);
    await agent.get(`/auth/feishu/callback?error=access_denied&error_description=${encodeURIComponent('Your account is locked, call +1 555')}&state=${state}`);
    const failed = await agent.get('/failed');
    assert.deepEqual(failed.body.messages, ["The sign-in was declined on Feishu's consent page (access_denied)."]);
  });
});
