import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import { FeishuAPIError, FeishuStrategy, MemoryCache, type FeishuStrategyOptions } from '../lib/index.js';
import { DEFAULT_APP, startMockFeishu, type MockFeishu } from '../lib/testing/index.js';

/**
 * Where a store app's app_ticket comes from (the `appTicket` option, or the cache the event
 * handler fills), and when Feishu is asked to push a new one. Against the mock, which checks
 * the ticket of every store app_access_token request.
 */

let mock: MockFeishu;
before(async () => {
  mock = await startMockFeishu({ apps: [{ ...DEFAULT_APP, type: 'store' }] });
});
after(() => mock.close());
beforeEach(() => {
  mock.clearFaults();
  mock.revokeAppTokens();
  mock.resetCalls();
});

function store(extra: Partial<FeishuStrategyOptions> = {}): FeishuStrategy {
  return new FeishuStrategy({ domain: mock.origin, clientID: mock.app.appId, clientSecret: mock.app.appSecret, appType: 'store', ...extra } as FeishuStrategyOptions, () => undefined);
}

/** The store app_access_token request fails with Feishu code 10012, as it must without a good ticket. */
const ticketRefused = (err: unknown) => err instanceof FeishuAPIError && err.feishuCode === 10012;

describe('appTicket as an option', () => {
  test('a string is sent as the app_ticket', async () => {
    const ticket = mock.issueAppTicket(mock.app.appId);
    assert.match(await store({ appTicket: ticket }).appTokens.get(), /^a-/);
    assert.equal(mock.calls.storeAppAccessToken, 1);
    assert.equal(mock.calls.appTicketResend, 0);
  });

  test('a function is asked at each fetch, sync or async', async () => {
    let current = mock.issueAppTicket(mock.app.appId);
    let asked = 0;
    const sync = store({
      appTicket: () => {
        asked += 1;
        return current;
      },
    });
    const first = await sync.appTokens.get();
    await sync.appTokens.invalidate(first);
    mock.revokeAppTokens();
    current = mock.issueAppTicket(mock.app.appId); // the first ticket is no longer valid
    assert.notEqual(await sync.appTokens.get(), first);
    assert.equal(asked, 2);
    mock.revokeAppTokens();
    assert.match(await store({ appTicket: () => Promise.resolve(current) }).appTokens.get(), /^a-/);
    assert.equal(mock.calls.storeAppAccessToken, 3);
  });

  test('a function with no ticket yet (undefined or empty): no token request, Feishu is asked to resend', async () => {
    for (const none of [undefined, '']) {
      mock.resetCalls();
      await assert.rejects(store({ appTicket: () => none }).appTokens.get(), (err: unknown) => ticketRefused(err) && /app_ticket/.test((err as Error).message));
      assert.equal(mock.calls.storeAppAccessToken, 0, JSON.stringify(none));
      assert.equal(mock.calls.appTicketResend, 1, JSON.stringify(none));
    }
  });

  test('a ticket Feishu refuses (10012) makes one resend request', async () => {
    mock.issueAppTicket(mock.app.appId);
    await assert.rejects(store({ appTicket: 'a-stale-ticket' }).appTokens.get(), ticketRefused);
    assert.equal(mock.calls.storeAppAccessToken, 1);
    assert.equal(mock.calls.appTicketResend, 1);
  });

  test('other refusals ask for no resend', async () => {
    const ticket = mock.issueAppTicket(mock.app.appId);
    await assert.rejects(store({ appTicket: ticket, clientSecret: 'a-wrong-secret' }).appTokens.get(), (err: unknown) => err instanceof FeishuAPIError && err.feishuCode !== 10012);
    assert.equal(mock.calls.appTicketResend, 0);
  });

  test('a resend that fails changes nothing: the login still fails with 10012', async () => {
    mock.inject('appTicketResend', { kind: 'reset' });
    await assert.rejects(store({ appTicket: () => undefined }).appTokens.get(), ticketRefused);
    mock.inject('appTicketResend', { kind: 'html' });
    await assert.rejects(store({ appTicket: 'a-stale-ticket' }).appTokens.get(), ticketRefused);
    assert.equal(mock.calls.appTicketResend, 2);
  });
});

describe('appTicket from the cache', () => {
  test('without the option, the ticket saveAppTicket stored is used', async () => {
    const cache = new MemoryCache();
    const strategy = store({ cache });
    await assert.rejects(strategy.appTokens.get(), ticketRefused);
    await strategy.saveAppTicket(mock.issueAppTicket(mock.app.appId));
    assert.match(await strategy.appTokens.get(), /^a-/);
  });

  test('a ticket stored for another app or another domain is not read', async () => {
    const cache = new MemoryCache();
    const other = new FeishuStrategy({ domain: mock.origin, clientID: 'cli_another_app', clientSecret: 'x', appType: 'store', cache }, () => undefined);
    await other.saveAppTicket(mock.issueAppTicket(mock.app.appId));
    const elsewhere = new FeishuStrategy({ domain: 'http://127.0.0.2:1', clientID: mock.app.appId, clientSecret: 'x', appType: 'store', cache }, () => undefined);
    await elsewhere.saveAppTicket(mock.issueAppTicket(mock.app.appId));
    await assert.rejects(store({ cache }).appTokens.get(), ticketRefused);
    assert.equal(mock.calls.storeAppAccessToken, 0);
  });

  test('an option given wins over the cache', async () => {
    const cache = new MemoryCache();
    const strategy = store({ cache, appTicket: 'a-stale-ticket' });
    await strategy.saveAppTicket(mock.issueAppTicket(mock.app.appId));
    await assert.rejects(strategy.appTokens.get(), ticketRefused);
  });
});

describe('self-built apps', () => {
  test('need no ticket, and a refusal asks for no resend', async () => {
    const internal = await startMockFeishu();
    try {
      const strategy = () => new FeishuStrategy({ domain: internal.origin, clientID: internal.app.appId, clientSecret: internal.app.appSecret }, () => undefined);
      assert.match(await strategy().appTokens.get(), /^t-/);
      internal.inject('appAccessToken', { kind: 'error', code: 10012, msg: 'get app access token fail' });
      await assert.rejects(strategy().appTokens.get(), ticketRefused);
      assert.equal(internal.calls.appTicketResend, 0);
    } finally {
      await internal.close();
    }
  });
});
