import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { TokenError } from 'passport-oauth2';
import { FeishuAPIError, FeishuTokenError } from '../lib/index.js';
import { isLoginFailure } from '../lib/errors.js';

/**
 * README, Errors: messages read like `Failed to obtain access token: The code passed has expired.
 * (code 20004, log id 2026…)` and add the fix for the classic mistakes.
 */

const answer = { msg: 'refused', logId: '20261127214200ABCDEF', feishuStatus: 200 } as const;

/** For each code with a fix: what the fix must tell the developer to do. */
const FIXES: ReadonlyArray<readonly [number, readonly RegExp[]]> = [
  // README: redirect URL not registered, or another app's app token.
  [20029, [/callbackURL/, /Redirect URLs/, /another app/]],
  // README: a redirect URL different from the authorize one.
  [20071, [/same callbackURL to both steps/]],
  // README: the app disabled, unreleased, or its App ID or Secret wrong.
  [10014, [/disabled or not yet released/, /Version Management & Release/, /App ID or App Secret is wrong/, /domain: 'lark'/]],
  [20002, [/app secret is wrong/, /App Secret/, /Credentials & Basic Info/]],
  [20035, [/app id or secret is wrong/, /App ID and App Secret/, /Credentials & Basic Info/]],
  [10015, [/app secret is wrong/, /App Secret/, /Credentials & Basic Info/]],
  // README: a stale app_ticket of a store app.
  [10012, [/app_ticket/, /appType: 'store'/, /try again/]],
  // README: a Lark app on Feishu's domain.
  [20046, [/Lark app must use domain: 'lark'/]],
  [20048, [/clientID/, /domain: 'lark'/]],
  // README: a scope not enabled; refresh tokens need offline_access enabled too.
  [20027, [/Permissions & Scopes/, /offline_access/]],
  // README: refresh switched off.
  [20074, [/turn on "Refresh user_access_token"/, /Security Settings/]],
  [20010, [/Availability/, /publish a new version/]],
  [20009, [/not installed the app/]],
  [20049, [/code_verifier/, /code_challenge/]],
  [99991672, [/API permission/, /Permissions & Scopes/, /publish a new version/]],
  [99991679, [/add it to `scope`/, /sign in again/]],
];

describe('the fix for the classic mistakes', () => {
  for (const [code, fixes] of FIXES) {
    test(`${code}: both error classes carry the fix, in hint and at the end of the message`, () => {
      const api = new FeishuAPIError('Failed to obtain app_access_token', { ...answer, feishuCode: code });
      const token = new FeishuTokenError('Failed to obtain access token', 'invalid_grant', { ...answer, feishuCode: code });
      for (const err of [api, token]) {
        assert.ok(err.hint, `${code} has a hint`);
        for (const fix of fixes) assert.match(err.hint, fix);
        assert.ok(err.message.endsWith(`(code ${code}, log id ${answer.logId}). ${err.hint}`), err.message);
      }
    });
  }

  test('a code that is no setup mistake gets no hint, and the message ends at the parenthesis', () => {
    const err = new FeishuTokenError('Failed to obtain access token', 'invalid_grant', {
      feishuCode: 20004,
      msg: 'The code passed has expired.',
      logId: '20261127214200ABCDEF',
      feishuStatus: 400,
    });
    assert.equal(err.hint, undefined);
    assert.equal(err.message, 'Failed to obtain access token: The code passed has expired. (code 20004, log id 20261127214200ABCDEF)');
  });
});

describe('what the message says when the answer said little', () => {
  test('no log id header: the parenthesis holds the code alone', () => {
    const err = new FeishuAPIError('Failed to fetch user profile', { feishuCode: 20004, msg: 'expired', logId: undefined, feishuStatus: 200 });
    assert.equal(err.message, 'Failed to fetch user profile: expired (code 20004)');
  });

  test('no Feishu code (a proxy, an HTML page): the HTTP status stands in for it', () => {
    const err = new FeishuAPIError('Failed to fetch user profile', { feishuCode: undefined, msg: 'Bad Gateway', logId: undefined, feishuStatus: 502 });
    assert.equal(err.code, undefined);
    assert.equal(err.hint, undefined);
    assert.equal(err.message, 'Failed to fetch user profile: Bad Gateway (HTTP 502)');
  });

  test('an empty msg is said to be missing rather than left blank', () => {
    const err = new FeishuTokenError('Failed to obtain access token', 'invalid_grant', { feishuCode: undefined, msg: '', logId: 'L1', feishuStatus: 400 });
    assert.equal(err.message, 'Failed to obtain access token: no message (HTTP 400, log id L1)');
  });
});

describe('the HTTP status an error reports (README: `status` is 502/504, Feishu\'s own in `feishuStatus`)', () => {
  // Express's final handler, Koa's ctx.onerror and Fastify answer with err.status / err.statusCode.
  test('a refusal Feishu sent with any HTTP status is a 502 Bad Gateway for the app, with Feishu\'s status in feishuStatus', () => {
    for (const feishuStatus of [200, 204, 302, 400, 401, 500, 503]) {
      const token = new FeishuTokenError('Failed to obtain access token', 'invalid_client', { ...answer, feishuCode: 20002, feishuStatus });
      const api = new FeishuAPIError('Failed to obtain app_access_token', { ...answer, feishuCode: 10014, feishuStatus });
      for (const err of [token, api]) {
        assert.equal(err.status, 502, `${err.name} ${feishuStatus}`);
        assert.equal(err.statusCode, 502, `${err.name} ${feishuStatus}`);
        assert.equal(err.feishuStatus, feishuStatus);
      }
    }
  });
});

describe('only a Feishu token refusal is a login failure', () => {
  test('other errors, even a TokenError saying invalid_grant, stay errors', () => {
    const others: unknown[] = [
      new TokenError('bad code', 'invalid_grant'),
      Object.assign(new Error('x'), { code: 'invalid_grant', feishuCode: undefined }),
      { code: 'invalid_grant' },
      new FeishuAPIError('Failed to fetch user profile', { ...answer, feishuCode: 20003 }),
      undefined,
      null,
      'invalid_grant',
    ];
    for (const err of others) assert.equal(isLoginFailure(err), false, String(err));
  });
});
