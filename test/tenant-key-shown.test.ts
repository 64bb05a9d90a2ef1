import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { TenantNotAllowedError } from '../lib/index.js';

/**
 * The refused tenant_key comes from Feishu's answer and ends up on failure pages: it is quoted
 * only when it looks like a tenant key, whole, and otherwise left out of the message.
 */

describe('the tenant key a refusal quotes', () => {
  test('a key-shaped tenant key, up to 64 characters, is named', () => {
    for (const key of ['736588c92lxf175d', 'a', 'x'.repeat(64), 'tenant_key-1']) {
      assert.match(new TenantNotAllowedError(key).message, new RegExp(`tenant ${key} is not allowed`));
    }
  });

  test('anything else is not shown, whether the junk comes first, last or it is too long', () => {
    for (const key of ['<script>alert(1)</script>abc', 'abc<script>alert(1)</script>', 'abc def', 'x'.repeat(65), 'tenant\nforged line']) {
      const err = new TenantNotAllowedError(key);
      assert.equal(err.tenantKey, key, 'the key itself stays on the error for the app');
      assert.match(err.message, /tenant \(not shown\) is not allowed/);
      assert.ok(!err.message.includes('script') && !err.message.includes('x'.repeat(65)) && !err.message.includes('forged'), err.message);
    }
  });
});
