import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { FeishuTokenError, ReauthorizationRequiredError, REAUTHORIZATION_REASONS, TokenError, type FeishuFlow, type FeishuStrategy, type ReauthorizationReason } from '../lib/index.js';
import { DEFAULT_APP, startMockFeishu, type MockEndpoint, type MockFeishu } from '../lib/testing/index.js';
import { buildApp, login } from './helpers/app.js';
import { InspectableCache } from './helpers/inspectable-cache.js';

/** Refresh endpoint of each flow that sends Feishu's codes (the suite flow sends none). */
const REFRESH: ReadonlyArray<{ flow: FeishuFlow; endpoint: MockEndpoint; usedCode: number }> = [
  { flow: 'v1', endpoint: 'v1Refresh', usedCode: 20038 },
  { flow: 'v2', endpoint: 'v2Token', usedCode: 20073 },
  { flow: 'v3', endpoint: 'v3Token', usedCode: 20073 },
];

const DAY_MS = 24 * 60 * 60 * 1000;

let mock: MockFeishu;
before(async () => {
  mock = await startMockFeishu({ consent: 'auto', apps: [{ ...DEFAULT_APP }, { ...DEFAULT_APP, appId: 'cli_refresh_switch_off', refreshEnabled: false }] });
});
after(() => mock.close());

/** A signed-in user's tokens, for a strategy of `flow` (on the mock's app `appId`). */
async function signedIn(flow: FeishuFlow, appId = DEFAULT_APP.appId) {
  const cache = new InspectableCache();
  const { agent, strategy } = buildApp(mock, { flow, scope: flow === 'v1' ? undefined : 'offline_access', cache, clientID: appId });
  const res = await login(agent);
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return { strategy, cache, refreshToken: res.body.refreshToken as string, accessToken: res.body.accessToken as string };
}

async function refusal(strategy: FeishuStrategy, refreshToken: string, options: { refreshExpiresAt?: number } = {}): Promise<ReauthorizationRequiredError> {
  try {
    await strategy.refreshAccessToken(refreshToken, options);
  } catch (err) {
    assert.ok(err instanceof ReauthorizationRequiredError, `expected ReauthorizationRequiredError, got ${String(err)}`);
    return err;
  }
  assert.fail('the refresh was not refused');
}

function assertReason(err: ReauthorizationRequiredError, reason: ReauthorizationReason, feishuCode: number): void {
  assert.equal(err.reason, reason);
  assert.equal(err.feishuCode, feishuCode);
  assert.equal(err.name, 'ReauthorizationRequiredError');
  // Existing `instanceof` checks keep catching it.
  assert.ok(err instanceof FeishuTokenError && err instanceof TokenError);
  assert.match(err.message, new RegExp(`\\(${reason === 'disabled' ? 'refreshing is off for this app' : 'the user must sign in again'}: ${reason}\\)$`));
  assert.match(err.message, new RegExp(`code ${feishuCode}`));
  assert.ok(err.logId, 'carries the log id');
}

describe('ReauthorizationRequiredError: each reason through the mock, in every flow that has it', () => {
  for (const { flow, endpoint, usedCode } of REFRESH) {
    test(`${flow}: a token already exchanged, once the window is over, is 'used' (${usedCode})`, async () => {
      const { strategy, cache, refreshToken } = await signedIn(flow);
      await strategy.refreshAccessToken(refreshToken);
      cache.expire('passport-feishu:refresh');
      const calls = mock.calls[endpoint];
      assertReason(await refusal(strategy, refreshToken), 'used', usedCode);
      assert.equal(mock.calls[endpoint], calls + 1, 'Feishu was asked, and refused');
    });

    test(`${flow}: a token past its own lifetime is 'expired' (20037)`, async () => {
      const { strategy, refreshToken } = await signedIn(flow);
      mock.advance(31 * DAY_MS); // past v1's 30 days and v2's 7
      try {
        assertReason(await refusal(strategy, refreshToken), 'expired', 20037);
      } finally {
        mock.advance(-31 * DAY_MS);
      }
    });

    test(`${flow}: 20037 while the token's own lifetime still runs is the 365-day consent limit: 'consent-expired'`, async () => {
      const { strategy, refreshToken } = await signedIn(flow);
      mock.inject(endpoint, { kind: 'error', code: 20037, msg: 'The refresh token passed has expired. Please generate a new one.' });
      assertReason(await refusal(strategy, refreshToken, { refreshExpiresAt: Date.now() + 5 * DAY_MS }), 'consent-expired', 20037);
    });

    test(`${flow}: 20037 with refreshExpiresAt already passed stays 'expired'`, async () => {
      const { strategy, refreshToken } = await signedIn(flow);
      mock.inject(endpoint, { kind: 'error', code: 20037 });
      assertReason(await refusal(strategy, refreshToken, { refreshExpiresAt: Date.now() - 1000 }), 'expired', 20037);
    });

    test(`${flow}: a revoked token is 'revoked' (20064)`, async () => {
      const { strategy, refreshToken } = await signedIn(flow);
      mock.inject(endpoint, { kind: 'error', code: 20064, msg: 'The refresh token has been revoked. Please note that a refresh token can only be used once.' });
      assertReason(await refusal(strategy, refreshToken), 'revoked', 20064);
    });

    test(`${flow}: a server error (20050) is no reason to sign in again: a plain FeishuTokenError, and the token still works`, async () => {
      const { strategy, refreshToken } = await signedIn(flow);
      mock.inject(endpoint, { kind: 'error', code: 20050, msg: 'System error' });
      await assert.rejects(strategy.refreshAccessToken(refreshToken), (err: Error) => {
        assert.ok(err instanceof FeishuTokenError);
        assert.ok(!(err instanceof ReauthorizationRequiredError));
        return true;
      });
      assert.ok((await strategy.refreshAccessToken(refreshToken)).accessToken);
    });

    test(`${flow}: the refusal's message quotes no token, however Feishu echoes the request`, async () => {
      const { strategy, refreshToken } = await signedIn(flow);
      mock.inject(endpoint, { kind: 'echo', code: 20073 });
      const err = await refusal(strategy, refreshToken);
      assert.equal(err.reason, 'used');
      for (const secret of [refreshToken, ...mock.secrets()]) {
        assert.ok(!err.message.includes(secret) && !err.msg.includes(secret), 'no secret in the message');
        assert.ok(!err.message.includes(encodeURIComponent(secret)), 'nor URL-encoded');
      }
    });
  }

  for (const flow of ['v2', 'v3'] as const) {
    test(`${flow}: the console's refresh switch off is 'disabled' (20074), with the fix`, async () => {
      const { strategy, refreshToken } = await signedIn(flow, 'cli_refresh_switch_off');
      const err = await refusal(strategy, refreshToken);
      assertReason(err, 'disabled', 20074);
      assert.match(err.hint ?? '', /Refresh user_access_token/);
    });
  }

  test('the suite flow sends no code: its refusal of a used token stays a plain FeishuTokenError', async () => {
    const { strategy, cache, refreshToken } = await signedIn('suite');
    await strategy.refreshAccessToken(refreshToken);
    cache.expire('passport-feishu:refresh');
    await assert.rejects(strategy.refreshAccessToken(refreshToken), (err: Error) => err instanceof FeishuTokenError && !(err instanceof ReauthorizationRequiredError));
  });

  test('the code-to-reason table is data, and exported', () => {
    assert.deepEqual({ ...REAUTHORIZATION_REASONS }, { 20037: 'expired', 20038: 'used', 20064: 'revoked', 20073: 'used', 20074: 'disabled' });
  });
});

describe('token sets carry absolute expiry times', () => {
  for (const flow of ['v1', 'v2'] as const) {
    test(`${flow}: expiresAt and refreshExpiresAt are the answer's arrival plus the lifetimes, in epoch ms`, async () => {
      const { strategy, refreshToken } = await signedIn(flow);
      const before = Date.now();
      const set = await strategy.refreshAccessToken(refreshToken);
      const after = Date.now();
      assert.ok(set.expiresIn !== undefined && set.refreshExpiresIn !== undefined && set.expiresAt !== undefined && set.refreshExpiresAt !== undefined);
      assert.ok(set.expiresAt >= before + set.expiresIn * 1000 && set.expiresAt <= after + set.expiresIn * 1000);
      assert.ok(set.refreshExpiresAt >= before + set.refreshExpiresIn * 1000 && set.refreshExpiresAt <= after + set.refreshExpiresIn * 1000);
    });
  }
});
