import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { readAnswer, type ReadAnswer } from '../lib/answers.js';

/**
 * How each wire shape (endpoints.ts) is read into success or Feishu's account of the failure.
 * Every byte is hostile: wrong types count as missing, and nothing here may throw.
 */

describe('envelope answers (OpenAPI: {code, msg, data})', () => {
  test('code 0: the fields are `data`, whatever the HTTP status says', () => {
    assert.deepEqual(readAnswer('envelope', { code: 0, msg: 'success', data: { open_id: 'ou_1' } }, 200), { ok: true, fields: { open_id: 'ou_1' } });
  });

  test('code 0 with no usable `data` has no fields', () => {
    for (const data of [undefined, null, 'text', ['ou_1']]) {
      assert.deepEqual(readAnswer('envelope', { code: 0, data }, 200), { ok: true, fields: {} }, JSON.stringify(data));
    }
  });

  test('anything but the number 0 is a failure: another code, "0" as a string, no code', () => {
    assert.equal(readAnswer('envelope', { code: 99991400, data: { open_id: 'ou_1' } }, 200).ok, false);
    assert.equal(readAnswer('envelope', { code: '0', data: { open_id: 'ou_1' } }, 200).ok, false);
    assert.deepEqual(readAnswer('envelope', { data: { open_id: 'ou_1' } }, 200), { ok: false, feishuCode: undefined, oauthError: undefined, msg: 'Feishu gave no reason' });
  });
});

for (const shape of ['oauth', 'bare'] as const) {
  describe(`${shape} answers (fields at top level)`, () => {
    test('a 2xx/3xx without error, with code 0 or none, is success with every field', () => {
      const body = { code: 0, access_token: 'u-1', expires_in: 7200 };
      assert.deepEqual(readAnswer(shape, body, 200, 'access_token'), { ok: true, fields: body });
      assert.deepEqual(readAnswer(shape, { access_token: 'u-1' }, 399, 'access_token'), { ok: true, fields: { access_token: 'u-1' } });
    });

    test('HTTP 400 and above is a failure even with code 0 and no error', () => {
      assert.deepEqual(readAnswer(shape, { code: 0, access_token: 'u-1' }, 400, 'access_token'), {
        ok: false,
        feishuCode: 0,
        oauthError: undefined,
        msg: 'Feishu gave no reason',
      });
    });

    test('an `error` is a failure even with HTTP 200 and code 0', () => {
      assert.deepEqual(readAnswer(shape, { code: 0, error: 'invalid_grant', access_token: 'u-1' }, 200, 'access_token'), {
        ok: false,
        feishuCode: 0,
        oauthError: 'invalid_grant',
        msg: 'invalid_grant',
      });
    });

    test('a code other than 0 is a failure even with HTTP 200 and no error', () => {
      const read = readAnswer(shape, { code: 20050, error_description: 'System error', access_token: 'u-1' }, 200, 'access_token');
      assert.deepEqual(read, { ok: false, feishuCode: 20050, oauthError: undefined, msg: 'System error' });
    });
  });
}

describe('what a failure carries', () => {
  const fail = (body: unknown) => readAnswer('envelope', body, 200);
  const readMsg = (read: ReadAnswer) => failed(read).msg;

  test('the reason: msg, else error_description, else message, else error, else a fixed text', () => {
    const all = { code: 1, msg: 'm', error_description: 'd', message: 'x', error: 'e' };
    assert.equal(readMsg(fail(all)), 'm');
    assert.equal(readMsg(fail({ ...all, msg: undefined })), 'd');
    assert.equal(readMsg(fail({ ...all, msg: undefined, error_description: undefined })), 'x');
    assert.equal(readMsg(fail({ code: 1, error: 'e' })), 'e');
    assert.equal(readMsg(fail({ code: 1 })), 'Feishu gave no reason');
  });

  test('empty or non-string reasons are passed over', () => {
    assert.equal(readMsg(fail({ code: 1, msg: '', error_description: 42, message: { text: 'x' }, error: 'e' })), 'e');
  });

  test('only a numeric code is Feishu\'s code, only a non-empty string error is the OAuth error', () => {
    assert.deepEqual(fail({ code: '20003', error: 7 }), { ok: false, feishuCode: undefined, oauthError: undefined, msg: 'Feishu gave no reason' });
    assert.deepEqual(readAnswer('bare', { error: '', error_description: 'd' }, 400), { ok: false, feishuCode: undefined, oauthError: undefined, msg: 'd' });
  });

  test('a body that is not a JSON object is a failure with no code', () => {
    for (const body of [null, undefined, 42, 'text', [{ code: 0 }]]) {
      for (const shape of ['envelope', 'oauth', 'bare'] as const) {
        assert.equal(failed(readAnswer(shape, body, 200, 'access_token')).feishuCode, undefined, `${shape} ${JSON.stringify(body)}`);
      }
    }
  });
});

describe('the required field', () => {
  test('a success without it, or with it empty or not a string, is a failure naming the field', () => {
    for (const value of [undefined, '', 42, { token: 'u-1' }]) {
      const read = failed(readAnswer('envelope', { code: 0, msg: 'success', data: { access_token: value } }, 200, 'access_token'));
      assert.equal(read.feishuCode, 0, 'the code Feishu sent');
      assert.equal(read.oauthError, undefined);
      assert.match(read.msg, /\baccess_token\b/);
    }
    assert.equal(failed(readAnswer('bare', { token_type: 'Bearer' }, 200, 'access_token')).feishuCode, undefined, 'no code sent, none made up');
  });

  test('a failure stays the failure Feishu reported, not a missing-field one', () => {
    assert.deepEqual(readAnswer('envelope', { code: 20003, msg: 'The code passed is invalid' }, 200, 'access_token'), {
      ok: false,
      feishuCode: 20003,
      oauthError: undefined,
      msg: 'The code passed is invalid',
    });
  });

  test('without a required field any success is success', () => {
    assert.deepEqual(readAnswer('bare', {}, 200), { ok: true, fields: {} });
  });
});

function failed(read: ReadAnswer): Extract<ReadAnswer, { ok: false }> {
  if (read.ok) assert.fail(`expected a failure, got success with ${JSON.stringify(read.fields)}`);
  return read;
}
