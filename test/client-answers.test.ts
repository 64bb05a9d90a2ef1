import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import { InternalOAuthError } from 'passport-oauth2';
import { AppTokenManager } from '../lib/app-token.js';
import { MemoryCache } from '../lib/cache.js';
import { FeishuClient } from '../lib/client.js';
import { FLOWS, type FeishuFlow } from '../lib/endpoints.js';
import { FeishuAPIError, FeishuTokenError } from '../lib/errors.js';
import { HeldSecrets } from '../lib/secrets.js';
import { AnswerServer } from './helpers/answer-server.js';

/**
 * FeishuClient against scripted answers: which token answers become which token set, which
 * refusals become which `err.code`, and what each flow's token request carries (README "Errors").
 */

let server: AnswerServer;
before(async () => {
  server = await new AnswerServer().listen();
});
after(() => server.close());
beforeEach(() => server.reset());

function client(flow: FeishuFlow): FeishuClient {
  const secrets = new HeldSecrets('the-app-secret');
  const appTokens = new AppTokenManager({
    source: { url: `${server.origin}/app-token`, body: () => Promise.resolve({ app_id: 'cli_app', app_secret: 'the-app-secret' }) },
    cache: new MemoryCache(),
    cacheKey: 'app-token',
    timeout: 5000,
    secrets,
  });
  return new FeishuClient({
    flow: FLOWS[flow],
    tokenURL: `${server.origin}/token`,
    refreshURL: `${server.origin}/refresh`,
    userInfoURL: `${server.origin}/user-info`,
    clientID: 'cli_app',
    clientSecret: 'the-app-secret',
    timeout: 5000,
    appTokens,
    secrets,
  });
}

const APP_TOKEN_ANSWER = { json: { code: 0, msg: 'ok', app_access_token: 't-app-token-value', expire: 7200 } };

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  assert.fail('expected a rejection');
}

describe('a token answer becomes a token set', () => {
  test('lifetimes, refresh token and scope are taken when Feishu sends them with the right types', async () => {
    server.answer({ json: { code: 0, access_token: 'u-access', refresh_token: 'ur-refresh', expires_in: 7200, refresh_token_expires_in: 604800, scope: 'offline_access' } });
    const set = await client('v2').exchangeCode('the-code', {});
    assert.equal(set.accessToken, 'u-access');
    assert.equal(set.refreshToken, 'ur-refresh');
    assert.equal(set.expiresIn, 7200);
    assert.equal(set.refreshExpiresIn, 604800);
    assert.equal(set.scope, 'offline_access');
  });

  test('fields of the wrong type are left out rather than passed on', async () => {
    server.answer({ json: { code: 0, access_token: 'u-access', refresh_token: 12345, expires_in: '7200', refresh_token_expires_in: '604800', scope: 5 } });
    const set = await client('v2').exchangeCode('the-code', {});
    assert.equal(set.refreshToken, undefined);
    assert.equal(set.expiresIn, undefined);
    assert.equal(set.refreshExpiresIn, undefined);
    assert.equal(set.scope, undefined);
    // What Feishu sent stays readable in params.
    assert.equal(set.params.refresh_token, 12345);
  });

  test('an empty refresh token is no refresh token', async () => {
    server.answer({ json: { code: 0, access_token: 'u-access', refresh_token: '' } });
    const set = await client('v2').exchangeCode('the-code', {});
    assert.equal(set.refreshToken, undefined);
  });

  test("v1's name for the refresh lifetime is read too", async () => {
    server.answer({ json: { code: 0, access_token: 'u-access', refresh_expires_in: 2592000 } });
    const set = await client('v2').exchangeCode('the-code', {});
    assert.equal(set.refreshExpiresIn, 2592000);
  });

  test('an answer without an access token is a refusal, not a token set', async () => {
    server.answer({ json: { code: 0, refresh_token: 'ur-refresh' } });
    const err = await rejection(client('v2').exchangeCode('the-code', {}));
    assert.ok(err instanceof FeishuTokenError);
    assert.match(err.message, /^Failed to obtain access token: /);
  });

  test('only v1 takes the user from the token answer, and only when it names an open_id', async () => {
    server.answer({ json: { code: 0, access_token: 'u-access', open_id: 'ou_someone', name: 'Someone' } });
    assert.equal((await client('v2').exchangeCode('the-code', {})).user, undefined);

    server.answer(APP_TOKEN_ANSWER, { json: { code: 0, data: { access_token: 'u-access', open_id: 'ou_someone', name: 'Someone' } } });
    assert.deepEqual((await client('v1').exchangeCode('the-code', {})).user, { open_id: 'ou_someone', name: 'Someone' });

    server.reset();
    server.answer(APP_TOKEN_ANSWER, { json: { code: 0, data: { access_token: 'u-access', name: 'Someone' } } });
    assert.equal((await client('v1').exchangeCode('the-code', {})).user, undefined);
  });
});

describe('a refused token request becomes a FeishuTokenError whose code is an OAuth error name', () => {
  test("Feishu's OAuth error name is passed on", async () => {
    server.answer({ status: 400, json: { code: 20068, error: 'invalid_scope', error_description: 'scope not allowed' } });
    const err = await rejection(client('v2').exchangeCode('the-code', {}));
    assert.ok(err instanceof FeishuTokenError);
    assert.equal(err.code, 'invalid_scope');
  });

  for (const error of ['invalid_grant; and more', 'Evil invalid_grant', 'a'.repeat(65)]) {
    test(`an error that is not an OAuth name (${JSON.stringify(error.slice(0, 24))}) gives way to the name of Feishu's code`, async () => {
      server.answer({ status: 400, json: { code: 20050, error, error_description: 'internal error' } });
      const err = await rejection(client('v2').exchangeCode('the-code', {}));
      assert.ok(err instanceof FeishuTokenError);
      assert.equal(err.code, 'server_error');
    });
  }

  test('without an error name the code is named from Feishu\'s code', async () => {
    server.answer({ json: { code: 20002, error_description: 'client secret wrong' } });
    const err = await rejection(client('v2').exchangeCode('the-code', {}));
    assert.ok(err instanceof FeishuTokenError);
    assert.equal(err.code, 'invalid_client');
    assert.equal(err.feishuCode, 20002);
  });

  test('a refused refresh says so in its message', async () => {
    server.answer({ json: { code: 20037, error: 'invalid_grant', error_description: 'refresh token expired' } });
    const err = await rejection(client('v2').refresh('ur-refresh'));
    assert.ok(err instanceof FeishuTokenError);
    assert.match(err.message, /^Failed to refresh access token: refresh token expired \(code 20037\)/);
  });

  test('a refresh answered with no JSON is an InternalOAuthError about the refresh', async () => {
    server.answer({ status: 502, text: '<html>bad gateway</html>', headers: { 'content-type': 'text/html' } });
    const err = await rejection(client('v2').refresh('ur-refresh'));
    assert.ok(err instanceof InternalOAuthError);
    assert.equal(err.message, 'Failed to refresh access token');
  });
});

describe('user_info', () => {
  test('an answer that is not JSON is an InternalOAuthError about the profile', async () => {
    server.answer({ status: 502, text: '<html>bad gateway</html>', headers: { 'content-type': 'text/html' } });
    const err = await rejection(client('v2').userInfo('u-access'));
    assert.ok(err instanceof InternalOAuthError);
    assert.equal(err.message, 'Failed to fetch user profile');
  });

  test('a refusal is a FeishuAPIError about the profile', async () => {
    server.answer({ json: { code: 99991668, msg: 'invalid access token' } });
    const err = await rejection(client('v2').userInfo('u-access'));
    assert.ok(err instanceof FeishuAPIError);
    assert.match(err.message, /^Failed to fetch user profile: invalid access token \(code 99991668\)/);
    assert.equal(server.received[0]?.method, 'GET');
  });
});

describe('a narrower scope reaches Feishu (v2/v3)', () => {
  test('in the code exchange and in the refresh', async () => {
    server.answer({ json: { code: 0, access_token: 'u-access' } }, { json: { code: 0, access_token: 'u-access' } });
    await client('v2').exchangeCode('the-code', { scope: 'contact:user.base:readonly' });
    await client('v2').refresh('ur-refresh', 'offline_access');
    assert.deepEqual(server.received.map((request) => (JSON.parse(request.body) as { scope?: string }).scope), ['contact:user.base:readonly', 'offline_access']);
  });
});

describe('the suite flow sends the secret in a form and nothing it was not given', () => {
  test('the code exchange is one form request, without an app token and without a scope', async () => {
    server.answer({ json: { access_token: 'u-access', token_type: 'Bearer' } });
    await client('suite').exchangeCode('the-code', {});
    assert.deepEqual(server.received.map((request) => request.path), ['/token']);
    const [request] = server.received;
    assert.equal(request?.headers.authorization, undefined);
    assert.match(String(request?.headers['content-type']), /^application\/x-www-form-urlencoded/);
    const form = new URLSearchParams(request?.body);
    assert.deepEqual([...form.keys()].sort(), ['client_id', 'client_secret', 'code', 'grant_type']);
  });

  test('a refresh without a narrower scope sends no scope', async () => {
    server.answer({ json: { access_token: 'u-access' } });
    await client('suite').refresh('ur-refresh');
    const form = new URLSearchParams(server.received[0]?.body);
    assert.equal(form.has('scope'), false);
    assert.equal(form.get('refresh_token'), 'ur-refresh');
  });
});
