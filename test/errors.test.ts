import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { readAnswer } from '../lib/answers.js';
import { FeishuAPIError, FeishuTokenError, TokenError } from '../lib/index.js';
import { isLoginFailure, oauthErrorFor } from '../lib/errors.js';
import { redact } from '../lib/redaction.js';

describe('reading answers: a 200 is never success without reading code', () => {
  test('envelope: code 0 is success, data is the payload', () => {
    assert.deepEqual(readAnswer('envelope', { code: 0, msg: 'success', data: { access_token: 'u-x' } }, 200, 'access_token'), {
      ok: true,
      fields: { access_token: 'u-x' },
    });
  });

  test('envelope: HTTP 200 with code ≠ 0 is a failure carrying code and msg', () => {
    assert.deepEqual(readAnswer('envelope', { code: 20003, msg: 'The code passed is invalid' }, 200, 'access_token'), {
      ok: false,
      feishuCode: 20003,
      oauthError: undefined,
      msg: 'The code passed is invalid',
    });
  });

  test('envelope: code 0 without the required field is a failure', () => {
    const read = readAnswer('envelope', { code: 0, msg: 'success', data: {} }, 200, 'access_token');
    assert.equal(read.ok, false);
  });

  test('oauth (v2/v3): HTTP 400 with {code, error, error_description}', () => {
    const read = readAnswer('oauth', { code: 20064, error: 'invalid_grant', error_description: 'The refresh token has been revoked.' }, 400, 'access_token');
    assert.deepEqual(read, { ok: false, feishuCode: 20064, oauthError: 'invalid_grant', msg: 'The refresh token has been revoked.' });
  });

  test('oauth: a v2 error sent with HTTP 200 is still an error', () => {
    assert.equal(readAnswer('oauth', { code: 20050, error: 'server_error', error_description: 'retry' }, 200, 'access_token').ok, false);
  });

  test('bare (suite): {error, error_description} with HTTP 400', () => {
    assert.deepEqual(readAnswer('bare', { error: 'invalid_grant', error_description: 'invalid code' }, 400, 'access_token'), {
      ok: false,
      feishuCode: undefined,
      oauthError: 'invalid_grant',
      msg: 'invalid code',
    });
  });

  test('non-object bodies are failures, not crashes', () => {
    for (const body of [null, 42, 'text', [1, 2]]) assert.equal(readAnswer('envelope', body, 200, 'access_token').ok, false);
  });
});

describe('error classes', () => {
  const details = { feishuCode: 20029, msg: 'Invalid redirect uri', logId: '2026ABC', feishuStatus: 200 };

  test('FeishuAPIError carries code, msg, log id, and the fix', () => {
    const err = new FeishuAPIError('Failed to fetch user profile', details);
    assert.equal(err.name, 'FeishuAPIError');
    assert.equal(err.code, 20029);
    assert.equal(err.logId, '2026ABC');
    assert.match(err.message, /^Failed to fetch user profile: Invalid redirect uri \(code 20029, log id 2026ABC\)\. The redirect URL is not registered/);
    assert.match(err.message, /Security Settings/);
  });

  test('FeishuTokenError is a passport-oauth2 TokenError', () => {
    const err = new FeishuTokenError('Failed to obtain access token', 'invalid_grant', { ...details, feishuCode: 20003, feishuStatus: 400 });
    assert.ok(err instanceof TokenError);
    assert.equal(err.name, 'FeishuTokenError');
    assert.equal(err.code, 'invalid_grant');
    assert.equal(err.feishuCode, 20003);
    assert.equal(err.feishuStatus, 400);
    assert.equal(err.status, 502);
  });

  test('used, expired and user-state codes are login failures; config errors are not', () => {
    const token = (feishuCode: number | undefined, oauth = 'invalid_grant') => new FeishuTokenError('x', oauth, { ...details, feishuCode });
    for (const code of [20003, 20004, 20065, 20010, 20022]) assert.ok(isLoginFailure(token(code)), String(code));
    for (const code of [20002, 20071, 20050, 20014]) assert.ok(!isLoginFailure(token(code)), String(code));
    assert.ok(isLoginFailure(token(undefined)), 'suite invalid_grant');
    assert.ok(!isLoginFailure(token(undefined, 'invalid_client')));
  });
});

describe("err.code of a v1 refusal, which carries only Feishu's number", () => {
  // feishu-api.md §3.4: the OAuth name v2/v3 answers the same code with, so an app compares one
  // `err.code` whatever the flow. Codes v2 does not name (used or expired codes …) are invalid_grant.
  const V2_NAMES: ReadonlyArray<readonly [number, string]> = [
    [20050, 'server_error'],
    [20072, 'temporarily_unavailable'],
    [20036, 'unsupported_grant_type'],
    [20001, 'invalid_request'],
    [20063, 'invalid_request'],
    [20002, 'invalid_client'],
    [20013, 'invalid_client'],
    [20014, 'invalid_client'],
    [20035, 'invalid_client'],
    [20048, 'invalid_client'],
  ];
  for (const [code, name] of V2_NAMES) {
    test(`${code} is ${name}`, () => assert.equal(oauthErrorFor(code), name));
  }
  test('a used, expired or unknown code, an unlisted number or none is invalid_grant', () => {
    for (const code of [20003, 20004, 20065, 99999, undefined]) assert.equal(oauthErrorFor(code), 'invalid_grant');
  });
});

describe('redact', () => {
  test('removes token-shaped strings and secrets from messages', () => {
    const text = redact('bad token u-6U1SbDiM6XIH2DcTCPyeub and t-g1044ghJRUIJJ5ZPPZMOHKWZISL33E4QSS3abcef, jwt eyJhbGciOiJFUzI1NiIs.x.y, secret hunter22', ['hunter22']);
    assert.equal(text, 'bad token [redacted] and [redacted], jwt [redacted], secret [redacted]');
  });

  test('caps messages at 500 characters and says it did', () => {
    assert.equal(redact('x'.repeat(500), []), 'x'.repeat(500));
    assert.equal(redact('x'.repeat(501), []), `${'x'.repeat(500)}…`);
  });

  const secret = 'p@ss/w rd+"q"&<>~1';
  const json = (text: string) => JSON.stringify(text).slice(1, -1);
  const forms: Array<[string, string]> = [
    ['raw', secret],
    ['URL-encoded', encodeURIComponent(secret)],
    ['URL-encoded in lower case', encodeURIComponent(secret).toLowerCase()],
    ['form-encoded', new URLSearchParams({ s: secret }).toString().slice(2)],
    ['JSON-escaped', json(secret)],
    ['JSON-escaped with \\/', json(secret).replace(/\//g, '\\/')],
    ['JSON-escaped with \\u003c', json(secret).replace(/[<>&]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)],
    ['sent in JSON, quoted URL-encoded', encodeURIComponent(json(secret))],
    ['sent in JSON, quoted JSON-escaped', json(json(secret))],
    ['sent form-encoded, quoted JSON-escaped', json(new URLSearchParams({ s: secret }).toString().slice(2))],
  ];
  for (const [name, form] of forms) {
    test(`cuts a secret out ${name}`, () => {
      assert.equal(redact(`before ${form} after`, [secret]), 'before [redacted] after');
    });
  }

  test('leaves values shorter than 4 characters alone, so ordinary words survive', () => {
    assert.equal(redact('an abc here', ['abc', '']), 'an abc here');
    assert.equal(redact('an abcd here', ['abcd']), 'an [redacted] here');
  });

  test('a longer secret that contains a shorter one is cut out whole', () => {
    assert.equal(redact('x secret-long-value y', ['secret', 'secret-long-value']), 'x [redacted] y');
  });
});
