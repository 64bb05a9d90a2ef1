import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MissingIdError } from '../lib/index.js';
import { narrowedScope } from '../lib/token-scope.js';

/** What an operator reads when an id is missing, and which tokenScope values are accepted. */

describe('MissingIdError tells the operator what to do', () => {
  test('open_id and union_id need no permission: the message says to check the answer came from Feishu', () => {
    for (const field of ['open_id', 'union_id'] as const) {
      const err = new MissingIdError(field);
      assert.equal(err.idField, field);
      assert.match(err.message, new RegExp(`${field} is always sent; check that the answer came from Feishu`));
    }
  });

  test('user_id names the permission to enable', () => {
    assert.match(new MissingIdError('user_id').message, /contact:user\.employee_id:readonly/);
  });
});

describe('narrowedScope', () => {
  test('repeated, leading and trailing spaces separate nothing', () => {
    assert.equal(narrowedScope('  contact:user.base:readonly   offline_access ', 'v2', 'tokenScope'), 'contact:user.base:readonly offline_access');
  });

  test('a list with any name that is no scope name is refused, not sent in part', () => {
    for (const list of [['offline_access', 42], ['offline_access', 'has space'], ['offline_access', '']]) {
      assert.throws(() => narrowedScope(list, 'v3', 'tokenScope'), TypeError, JSON.stringify(list));
    }
    assert.equal(narrowedScope(['offline_access', 'contact:user.base:readonly'], 'v3', 'tokenScope'), 'offline_access contact:user.base:readonly');
  });
});
