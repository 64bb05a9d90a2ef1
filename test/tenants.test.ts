import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { TenantNotAllowedError } from '../lib/index.js';
import { DEFAULT_USERS, startMockFeishu, type MockFeishu } from '../lib/testing/index.js';
import { buildApp, login } from './helpers/app.js';

/** The `tenants` allow-list keeps out users of other tenants, and users whose tenant Feishu did not name. */

describe('tenants', () => {
  let mock: MockFeishu;
  before(async () => {
    // The second user comes without a tenant_key, as an answer stripped by a proxy would.
    mock = await startMockFeishu({ users: [DEFAULT_USERS[0]!, { ...DEFAULT_USERS[0]!, open_id: 'ou_no_tenant', tenant_key: '' }] });
  });
  after(() => mock.close());

  test('a user without a tenant_key is kept out, and the message says Feishu sent none', async () => {
    const { agent } = buildApp(mock, { tenants: [DEFAULT_USERS[0]!.tenant_key] });
    const res = await login(agent, 'allow', 1);
    assert.equal(res.headers.location, '/failed');
    const [message] = ((await agent.get('/failed')).body as { messages: string[] }).messages;
    assert.match(message ?? '', /\btenant_key\b/);
  });

  test('the error names the tenant it refused, or says there was none', () => {
    const named = new TenantNotAllowedError('736588c92lxf175d');
    assert.equal(named.name, 'TenantNotAllowedError');
    assert.equal(named.tenantKey, '736588c92lxf175d');
    assert.match(named.message, /\b736588c92lxf175d\b/);
    const none = new TenantNotAllowedError(undefined);
    assert.equal(none.tenantKey, undefined);
    assert.match(none.message, /\btenant_key\b/);
    assert.doesNotMatch(none.message, /undefined/);
  });
});
