import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, beforeEach, describe, test } from 'node:test';
import supertest from 'supertest';
import { feishuEventHandler, MemoryCache, type FeishuCache, type FeishuStrategy, type TransportFailure } from '../lib/index.js';
import { DEFAULT_APP, startMockFeishu, type MockEndpoint, type MockFault, type MockFeishu } from '../lib/testing/index.js';
import { buildApp, consent, login, pathOf, type ErrorBody } from './helpers/app.js';
import { ConnectionCounter, watchUnhandledRejections } from './helpers/fault-proxy.js';

/**
 * Every fault the way to Feishu can show (hung and reset connections, timeouts, gateway
 * HTML, truncated JSON, throttling, 5xx system errors, an app token revoked between calls)
 * ends a login in a clean Passport failure or error within `timeout`; the next login
 * succeeds; no connection, in-flight fetch or per-login entry stays behind; nothing
 * becomes an unhandled rejection; and a code exchange that may have reached Feishu is
 * never sent twice (codes are single-use).
 */

const TIMEOUT_MS = 250;
/** Longer than TIMEOUT_MS: a slow answer that must count as a timeout. */
const SLOW_MS = TIMEOUT_MS * 4;
/** Each test is bounded: a hung login fails the test instead of stalling the run. */
const BOUND = { timeout: 15_000 };

const rejections = watchUnhandledRejections();
let mock: MockFeishu;
let proxy: ConnectionCounter;

before(async () => {
  // One origin behind a proxy that counts connections, as a private deployment serves Feishu.
  mock = await startMockFeishu({ consent: 'auto', singleOrigin: true });
  proxy = await new ConnectionCounter(Number(new URL(mock.origin).port)).listen();
});
after(async () => {
  await proxy.close();
  await mock.close();
  rejections.stop();
});
beforeEach(() => {
  mock.clearFaults();
  mock.latency = 0;
});

type Flow = 'v1' | 'v2' | 'suite';

/** What the faulted login must end in. */
type Outcome =
  | { readonly error: 'InternalOAuthError'; readonly kind: TransportFailure }
  | { readonly error: 'FeishuAPIError' | 'FeishuTokenError'; readonly feishuCode: number }
  /** Answers without a Feishu code (the suite flow's bare OAuth errors): the OAuth `error` string. */
  | { readonly error: 'FeishuTokenError'; readonly oauthError: string }
  | { readonly ok: true };

interface FaultCase {
  readonly name: string;
  readonly flow?: Flow;
  readonly endpoint: MockEndpoint;
  readonly fault: MockFault;
  readonly times?: number;
  /** Sign in once before the fault, so the app token is cached and only `endpoint` meets it. */
  readonly warm?: boolean;
  readonly alwaysFetchUserInfo?: boolean;
  readonly outcome: Outcome;
  /** Exact upstream calls made by the faulted login. */
  readonly calls: Partial<Record<MockEndpoint, number>>;
}

const hang: MockFault = { kind: 'hang' };
const slow: MockFault = { kind: 'delay', ms: SLOW_MS };
const reset: MockFault = { kind: 'reset' };
const html502: MockFault = { kind: 'html' };
const html503: MockFault = { kind: 'html', status: 503 };
const truncated: MockFault = { kind: 'truncated' };
const throttled: MockFault = { kind: 'error', code: 99991400, msg: 'request trigger frequency limit' };
const throttled429: MockFault = { kind: 'error', code: 99991400, msg: 'request trigger frequency limit', status: 429 };
const system500: MockFault = { kind: 'error', code: 20050, msg: 'System error', status: 500 };
const unavailable503: MockFault = { kind: 'error', code: 20072, msg: 'The server is temporarily unavailable. Please retry your request.', status: 503 };

const timeout = { error: 'InternalOAuthError', kind: 'timeout' } as const;
const network = { error: 'InternalOAuthError', kind: 'network' } as const;
const notJson = { error: 'InternalOAuthError', kind: 'not-json' } as const;
const apiError = (feishuCode: number) => ({ error: 'FeishuAPIError', feishuCode }) as const;
const tokenError = (feishuCode: number) => ({ error: 'FeishuTokenError', feishuCode }) as const;

const CASES: readonly FaultCase[] = [
  // The app_access_token fetch, cold cache: no exchange is attempted without a token.
  ...(
    [
      ['hangs', hang, timeout],
      ['answers after the timeout', slow, timeout],
      ['resets the connection', reset, network],
      ['answers a 502 HTML page', html502, notJson],
      ['answers a 503 HTML page', html503, notJson],
      ['sends half a JSON body', truncated, network],
      ['throttles (99991400, HTTP 200)', throttled, apiError(99991400)],
      ['throttles (99991400, HTTP 429)', throttled429, apiError(99991400)],
      ['has a system error (20050, HTTP 500)', system500, apiError(20050)],
      ['is unavailable (20072, HTTP 503)', unavailable503, apiError(20072)],
    ] as const
  ).map(([what, fault, outcome]): FaultCase => ({ name: `app-token endpoint ${what}`, endpoint: 'appAccessToken', fault, outcome, calls: { appAccessToken: 1, v1Token: 0 } })),

  // The v1 code exchange: whatever happened, the code is not sent a second time.
  ...(
    [
      ['hangs', hang, timeout],
      ['answers after the timeout', slow, timeout],
      ['resets the connection', reset, network],
      ['answers a 502 HTML page', html502, notJson],
      ['sends half a JSON body', truncated, network],
      ['throttles (99991400)', throttled, tokenError(99991400)],
      ['throttles (99991400, HTTP 429)', throttled429, tokenError(99991400)],
      ['has a system error (20050, HTTP 500)', system500, tokenError(20050)],
      ['is unavailable (20072, HTTP 503)', unavailable503, tokenError(20072)],
    ] as const
  ).map(([what, fault, outcome]): FaultCase => ({ name: `v1 code exchange ${what}`, endpoint: 'v1Token', fault, warm: true, outcome, calls: { appAccessToken: 0, v1Token: 1 } })),

  // Feishu refusing the app token is the one retry: the refusal comes before the code is read.
  ...([99991663, 99991664, 99991671, 20013, 20014] as const).map(
    (code): FaultCase => ({
      name: `v1 code exchange refuses the app token once (${code}): new token, one retry, success`,
      endpoint: 'v1Token',
      fault: { kind: 'error', code, msg: 'invalid app token' },
      warm: true,
      outcome: { ok: true },
      calls: { appAccessToken: 1, v1Token: 2 },
    }),
  ),
  {
    name: 'v1 code exchange refuses the app token twice: an error after exactly one retry',
    endpoint: 'v1Token',
    fault: { kind: 'error', code: 20014, msg: 'The app access token passed is invalid.' },
    times: 2,
    warm: true,
    outcome: tokenError(20014),
    calls: { appAccessToken: 1, v1Token: 2 },
  },

  // user_info (apps that ask for it every time).
  ...(
    [
      ['hangs', hang, timeout],
      ['resets the connection', reset, network],
      ['answers a 502 HTML page', html502, notJson],
      ['sends half a JSON body', truncated, network],
      ['throttles (99991400)', throttled, apiError(99991400)],
      ['has a system error (20050, HTTP 500)', system500, apiError(20050)],
    ] as const
  ).map(([what, fault, outcome]): FaultCase => ({ name: `user_info ${what}`, endpoint: 'userInfo', fault, warm: true, alwaysFetchUserInfo: true, outcome, calls: { v1Token: 1, userInfo: 1 } })),

  // v2 (client secret in the body, no app token): no retry at all.
  ...(
    [
      ['hangs', hang, timeout],
      ['resets the connection', reset, network],
      ['answers a 502 HTML page', html502, notJson],
      ['sends half a JSON body', truncated, network],
      ['throttles (99991400, HTTP 429)', throttled429, tokenError(99991400)],
      ['has a system error (20050, HTTP 500)', system500, tokenError(20050)],
      ['is unavailable (20072, HTTP 503)', unavailable503, tokenError(20072)],
    ] as const
  ).map(([what, fault, outcome]): FaultCase => ({ name: `v2 code exchange ${what}`, flow: 'v2', endpoint: 'v2Token', fault, outcome, calls: { v2Token: 1, userInfo: 0, appAccessToken: 0 } })),

  // The legacy suite flow (form body, bare OAuth answers).
  ...(
    [
      ['hangs', hang, timeout],
      ['answers a 502 HTML page', html502, notJson],
      ['has a system error (HTTP 500)', system500, { error: 'FeishuTokenError', oauthError: 'server_error' }],
    ] as const
  ).map(([what, fault, outcome]): FaultCase => ({ name: `suite code exchange ${what}`, flow: 'suite', endpoint: 'suiteToken', fault, outcome, calls: { suiteToken: 1, suiteUserInfo: 0 } })),
];

/** Private state of a strategy that must be empty between logins. */
function internals(strategy: FeishuStrategy): { handoff: number; inflight: boolean } {
  const handoff = (strategy as unknown as { handoff: Map<string, unknown> }).handoff;
  const inflight = (strategy.appTokens as unknown as { inflight: Promise<string> | undefined }).inflight;
  return { handoff: handoff.size, inflight: inflight !== undefined };
}

/** The faulted login may not leak the secret or any app token into what the browser sees. */
function assertNoSecrets(text: string): void {
  assert.ok(!text.includes(mock.app.appSecret), 'the app secret is in the response');
  // Not inside another token: a random base64url user token may itself contain "-a-…".
  assert.ok(!/(?<![\w-])(?:t-g1044[\w-]{8,}|a-[\w-]{20,})/.test(text), `an app token is in the response: ${text.slice(0, 300)}`);
}

function appFor(flow: Flow, extra: Record<string, unknown> = {}) {
  return buildApp(mock, { domain: proxy.origin, timeout: TIMEOUT_MS, flow, ...extra });
}

function callsDuring(before: Readonly<Record<MockEndpoint, number>>): Record<MockEndpoint, number> {
  return Object.fromEntries((Object.keys(mock.calls) as MockEndpoint[]).map((e) => [e, mock.calls[e] - before[e]])) as Record<MockEndpoint, number>;
}

describe('a login through each upstream fault', () => {
  for (const c of CASES) {
    test(c.name, BOUND, async () => {
      const { agent, strategy } = appFor(c.flow ?? 'v1', c.alwaysFetchUserInfo ? { alwaysFetchUserInfo: true } : {});
      if (c.warm) assert.equal((await login(agent)).status, 200, 'warm-up login');

      mock.inject(c.endpoint, c.fault, c.times ?? 1);
      const before = { ...mock.calls };
      const res = await login(agent);
      const during = callsDuring(before);
      const body = res.body as ErrorBody;

      if ('ok' in c.outcome) {
        assert.equal(res.status, 200, JSON.stringify(body));
      } else {
        assert.equal(res.status, 500, `status ${res.status}: ${JSON.stringify(body)}`);
        assert.equal(body.name, c.outcome.error, JSON.stringify(body));
        if ('kind' in c.outcome) assert.equal(body.oauthErrorKind, c.outcome.kind, JSON.stringify(body));
        else if ('oauthError' in c.outcome) assert.equal(body.code, c.outcome.oauthError, JSON.stringify(body));
        else assert.equal(body.feishuCode, c.outcome.feishuCode, JSON.stringify(body));
        assert.ok(body.message.length > 0);
      }
      for (const [endpoint, n] of Object.entries(c.calls)) assert.equal(during[endpoint as MockEndpoint], n, `calls to ${endpoint}`);
      assertNoSecrets(res.text);

      // Any fault the login did not reach is dropped; the next login succeeds.
      mock.clearFaults();
      const next = await login(agent);
      assert.equal(next.status, 200, `the next login: ${JSON.stringify(next.body)}`);
      assert.deepEqual(internals(strategy), { handoff: 0, inflight: false });
      await proxy.settle();
    });
  }
});

describe('refreshAccessToken under faults: a refresh token is single-use, so it is never sent twice', () => {
  interface RefreshCase {
    readonly name: string;
    readonly flow: 'v1' | 'v2';
    readonly endpoint: MockEndpoint;
    readonly fault: MockFault;
    readonly outcome: Outcome;
    readonly calls: Partial<Record<MockEndpoint, number>>;
  }
  const cases: readonly RefreshCase[] = [
    { name: 'v1 refresh hangs', flow: 'v1', endpoint: 'v1Refresh', fault: hang, outcome: timeout, calls: { v1Refresh: 1 } },
    { name: 'v1 refresh resets the connection', flow: 'v1', endpoint: 'v1Refresh', fault: reset, outcome: network, calls: { v1Refresh: 1 } },
    { name: 'v1 refresh sends half a JSON body', flow: 'v1', endpoint: 'v1Refresh', fault: truncated, outcome: network, calls: { v1Refresh: 1 } },
    { name: 'v1 refresh has a system error (20050)', flow: 'v1', endpoint: 'v1Refresh', fault: system500, outcome: tokenError(20050), calls: { v1Refresh: 1 } },
    { name: 'v1 refresh throttled (99991400)', flow: 'v1', endpoint: 'v1Refresh', fault: throttled, outcome: tokenError(99991400), calls: { v1Refresh: 1 } },
    {
      name: 'v1 refresh refuses the app token once: new token, one retry, success',
      flow: 'v1',
      endpoint: 'v1Refresh',
      fault: { kind: 'error', code: 99991664, msg: 'invalid app token' },
      outcome: { ok: true },
      calls: { v1Refresh: 2, appAccessToken: 1 },
    },
    { name: 'v2 refresh hangs', flow: 'v2', endpoint: 'v2Token', fault: hang, outcome: timeout, calls: { v2Token: 1 } },
    { name: 'v2 refresh resets the connection', flow: 'v2', endpoint: 'v2Token', fault: reset, outcome: network, calls: { v2Token: 1 } },
    { name: 'v2 refresh is unavailable (20072, HTTP 503)', flow: 'v2', endpoint: 'v2Token', fault: unavailable503, outcome: tokenError(20072), calls: { v2Token: 1 } },
  ];

  for (const c of cases) {
    test(c.name, BOUND, async () => {
      const { agent, strategy } = appFor(c.flow, c.flow === 'v2' ? { scope: 'offline_access' } : {});
      const signedIn = await login(agent);
      assert.equal(signedIn.status, 200);
      const refreshToken = (signedIn.body as { refreshToken?: string }).refreshToken ?? '';
      assert.ok(refreshToken, 'the login returned a refresh token');

      mock.inject(c.endpoint, c.fault);
      const before = { ...mock.calls };
      const outcome = await strategy.refreshAccessToken(refreshToken).then(
        (set) => ({ set }),
        (err: unknown) => ({ err }),
      );
      const during = callsDuring(before);
      for (const [endpoint, n] of Object.entries(c.calls)) assert.equal(during[endpoint as MockEndpoint], n, `calls to ${endpoint}`);
      if ('ok' in c.outcome) {
        assert.ok('set' in outcome, `refresh failed: ${'err' in outcome ? String(outcome.err) : ''}`);
        assert.ok(outcome.set.accessToken);
      } else {
        assert.ok('err' in outcome, 'the refresh resolved despite the fault');
        const err = outcome.err as Error & { feishuCode?: number; oauthError?: { kind?: string } };
        assert.equal(err.name, c.outcome.error, String(err));
        if ('kind' in c.outcome) assert.equal(err.oauthError?.kind, c.outcome.kind);
        else if ('feishuCode' in c.outcome) assert.equal(err.feishuCode, c.outcome.feishuCode);
        assert.ok(!err.message.includes(refreshToken) && !err.message.includes(mock.app.appSecret), 'no secret in the error');
      }
      assert.deepEqual(internals(strategy), { handoff: 0, inflight: false });
      await proxy.settle();
    });
  }
});

describe('an app token revoked between calls', () => {
  test('revoked after the sign-in redirect: dropped, fetched again, exchange retried once', BOUND, async () => {
    const { agent, strategy } = appFor('v1');
    assert.equal((await login(agent)).status, 200);
    const start = await agent.get('/login');
    const callback = await consent(start.headers.location ?? '');
    mock.revokeAppTokens();
    mock.resetCalls();
    const res = await agent.get(pathOf(callback));
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(mock.calls.appAccessToken, 1);
    assert.equal(mock.calls.v1Token, 2);
    assert.deepEqual(internals(strategy), { handoff: 0, inflight: false });
  });

  test('revoked, and the new token fetch hangs: an error within timeout, the code sent once', BOUND, async () => {
    const { agent, strategy } = appFor('v1');
    assert.equal((await login(agent)).status, 200);
    mock.revokeAppTokens();
    mock.inject('appAccessToken', hang);
    mock.resetCalls();
    const res = await login(agent);
    assert.equal(res.status, 500);
    assert.equal((res.body as ErrorBody).name, 'InternalOAuthError');
    assert.equal((res.body as ErrorBody).oauthErrorKind, 'timeout');
    assert.equal(mock.calls.v1Token, 1, 'the refused exchange is not sent again without a token');
    assert.equal((await login(agent)).status, 200);
    assert.deepEqual(internals(strategy), { handoff: 0, inflight: false });
    await proxy.settle();
  });

  test('revoked under 20 concurrent logins: every one succeeds, one new token', BOUND, async () => {
    // This test is about the retry, not the timeout: 250 ms is too tight for 40 calls at once on a loaded machine.
    const { app, strategy } = appFor('v1', { timeout: 10_000 });
    assert.equal((await login(supertest.agent(app))).status, 200);
    mock.revokeAppTokens();
    mock.resetCalls();
    const results = await Promise.all(Array.from({ length: 20 }, () => login(supertest.agent(app))));
    assert.deepEqual(
      results.map((r) => r.status),
      Array<number>(20).fill(200),
    );
    assert.equal(mock.calls.appAccessToken, 1);
    // Logins that read the cache after the replacement landed need no retry; none retries twice.
    assert.ok(mock.calls.v1Token > 20 && mock.calls.v1Token <= 40, `${mock.calls.v1Token} exchanges for 20 logins`);
    assert.deepEqual(internals(strategy), { handoff: 0, inflight: false });
  });
});

describe('faults under concurrency', () => {
  test('20 cold logins while the app-token endpoint hangs: all fail within timeout, one fetch, then recovery', BOUND, async () => {
    const { app, strategy } = appFor('v1');
    mock.inject('appAccessToken', hang);
    mock.resetCalls();
    const results = await Promise.all(Array.from({ length: 20 }, () => login(supertest.agent(app))));
    for (const res of results) {
      assert.equal(res.status, 500);
      assert.equal((res.body as ErrorBody).oauthErrorKind, 'timeout');
    }
    assert.equal(mock.calls.appAccessToken, 1, 'the waiting logins shared one fetch');
    assert.equal(mock.calls.v1Token, 0);
    assert.deepEqual(internals(strategy), { handoff: 0, inflight: false });
    // Recovery one login at a time: five at once against a 250 ms timeout is a load test, not this one.
    for (let i = 0; i < 5; i += 1) assert.equal((await login(supertest.agent(app))).status, 200);
    assert.equal(mock.calls.appAccessToken, 2, 'recovery fetched one new token and cached it');
    await proxy.settle();
  });

  test('10 exchanges hang at once: 10 timeouts, 10 exchanges, no replay, no socket left', BOUND, async () => {
    const { app, strategy } = appFor('v1');
    assert.equal((await login(supertest.agent(app))).status, 200);
    mock.inject('v1Token', hang, 10);
    mock.resetCalls();
    const results = await Promise.all(Array.from({ length: 10 }, () => login(supertest.agent(app))));
    assert.deepEqual(
      results.map((r) => (r.body as ErrorBody).oauthErrorKind),
      Array<string>(10).fill('timeout'),
    );
    assert.equal(mock.calls.v1Token, 10);
    await proxy.settle();
    assert.deepEqual(internals(strategy), { handoff: 0, inflight: false });
  });

  test('a delay under the timeout is no fault: the login succeeds', BOUND, async () => {
    const { agent } = appFor('v1');
    mock.inject('appAccessToken', { kind: 'delay', ms: TIMEOUT_MS / 5 });
    mock.inject('v1Token', { kind: 'delay', ms: TIMEOUT_MS / 5 });
    assert.equal((await login(agent)).status, 200);
  });
});

describe('store apps: the app_ticket path under faults', () => {
  const EVENT_KEY = 'faults-test-encrypt-key';
  let store: MockFeishu;
  let events: Server;
  /** The strategy whose tickets the event URL saves (each test builds its own app). */
  let current: FeishuStrategy | undefined;
  let onDelivered: (() => void) | undefined;

  before(async () => {
    store = await startMockFeishu({ consent: 'auto', apps: [{ ...DEFAULT_APP, type: 'store' }] });
    // The app's event URL, as subscribed in the console: Feishu pushes app_ticket here.
    events = createServer((req, res) => {
      res.on('finish', () => onDelivered?.());
      if (!current) {
        res.writeHead(503).end();
        return;
      }
      feishuEventHandler({ strategies: current, encryptKey: EVENT_KEY })(req, res);
    });
    await new Promise<void>((resolve) => events.listen(0, '127.0.0.1', () => resolve()));
    store.subscribeEvents({ url: `http://127.0.0.1:${(events.address() as AddressInfo).port}/feishu/events`, encryptKey: EVENT_KEY });
  });
  after(async () => {
    events.closeAllConnections();
    await new Promise((resolve) => events.close(resolve));
    await store.close();
  });

  function storeApp() {
    const built = buildApp(store, { appType: 'store', timeout: TIMEOUT_MS });
    current = built.strategy;
    return built;
  }

  /** Resolves when the event URL has answered Feishu's next delivery. */
  function nextDelivery(): Promise<void> {
    return new Promise((resolve) => (onDelivered = resolve));
  }

  test('a rejected ticket (10012): an error with the fix, a resend, and the pushed ticket heals the next login', BOUND, async () => {
    const { agent, strategy } = storeApp();
    await store.pushAppTicket();
    store.inject('storeAppAccessToken', { kind: 'error', code: 10012, msg: 'get app access token fail' });
    store.resetCalls();
    const delivered = nextDelivery();
    const res = await login(agent);
    assert.equal(res.status, 500);
    assert.equal((res.body as ErrorBody).feishuCode, 10012);
    assert.match((res.body as ErrorBody).message, /app_ticket/);
    assert.equal(store.calls.appTicketResend, 1, 'Feishu was asked to push the ticket again');
    await delivered;
    assert.equal((await login(agent)).status, 200, 'the resent ticket arrived through the event URL and works');
    assert.equal(store.calls.storeAppAccessToken, 2);
    assert.deepEqual(internals(strategy), { handoff: 0, inflight: false });
  });

  test('no ticket yet and the resend call hangs: an error within timeout, no token request', BOUND, async () => {
    const { agent, strategy } = storeApp();
    store.inject('appTicketResend', hang);
    store.resetCalls();
    const res = await login(agent);
    assert.equal(res.status, 500);
    assert.equal((res.body as ErrorBody).feishuCode, 10012);
    assert.equal(store.calls.storeAppAccessToken, 0, 'no token request without a ticket');
    const delivered = nextDelivery();
    await store.pushAppTicket();
    await delivered;
    assert.equal((await login(agent)).status, 200);
    assert.deepEqual(internals(strategy), { handoff: 0, inflight: false });
  });
});

describe('the cache itself fails (Redis down, a bad adapter)', () => {
  /** A `cache` that works, rejects every call (a fail-fast client) or never answers (an offline queue). */
  class FaultyCache implements FeishuCache {
    mode: 'ok' | 'reject' | 'hang' = 'ok';
    private readonly inner = new MemoryCache();
    private readonly pending: Array<(err: Error) => void> = [];

    get(key: string): Promise<unknown> {
      return this.run(() => this.inner.get(key));
    }
    set(key: string, value: unknown, ttl?: number): Promise<unknown> {
      return this.run(() => this.inner.set(key, value, ttl));
    }
    delete(key: string): Promise<unknown> {
      return this.run(() => this.inner.delete(key));
    }
    /** Fails every call still hanging, as a Redis client does when it is closed. */
    release(): void {
      for (const fail of this.pending.splice(0)) fail(new Error('cache connection closed'));
    }
    private run(op: () => Promise<unknown>): Promise<unknown> {
      if (this.mode === 'reject') return Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:6379'));
      if (this.mode === 'hang') return new Promise((_resolve, reject) => this.pending.push(reject));
      return op();
    }
  }

  test('every cache call rejects: the login ends cleanly, and works again once the cache is back', BOUND, async () => {
    const cache = new FaultyCache();
    const { agent, strategy } = buildApp(mock, { domain: proxy.origin, timeout: TIMEOUT_MS, cache });
    assert.equal((await login(agent)).status, 200);
    cache.mode = 'reject';
    const res = await login(agent);
    assert.ok(res.status === 200 || (res.status === 500 && typeof (res.body as ErrorBody).name === 'string'), `status ${res.status}: ${res.text.slice(0, 300)}`);
    assertNoSecrets(res.text);
    cache.mode = 'ok';
    assert.equal((await login(agent)).status, 200);
    assert.deepEqual(internals(strategy), { handoff: 0, inflight: false });
  });

  test('the cache never answers: the login still ends within timeout', BOUND, async () => {
    const cache = new FaultyCache();
    const { agent, strategy } = buildApp(mock, { domain: proxy.origin, timeout: TIMEOUT_MS, cache });
    assert.equal((await login(agent)).status, 200);
    cache.mode = 'hang';
    // A guard, not a speed check: ten times the timeout tells a bounded wait from a hang,
    // and releasing the cache afterwards lets a hung login unwind instead of stalling the run.
    let guard: NodeJS.Timeout | undefined;
    const hung = Symbol('hung');
    const pending = login(agent);
    const outcome = await Promise.race([pending, new Promise<typeof hung>((resolve) => (guard = setTimeout(resolve, TIMEOUT_MS * 10, hung)))]);
    clearTimeout(guard);
    cache.mode = 'ok';
    cache.release();
    await pending; // released: a login left waiting ends now, before the next one starts
    assert.notEqual(outcome, hung, `the login was still waiting on the cache after ${TIMEOUT_MS * 10} ms (timeout: ${TIMEOUT_MS} ms)`);
    if (outcome !== hung) assert.ok(outcome.status === 200 || outcome.status === 500, `status ${outcome.status}`);
    assert.equal((await login(agent)).status, 200);
    assert.deepEqual(internals(strategy), { handoff: 0, inflight: false });
  });
});

test('no unhandled rejection anywhere in the fault suite', async () => {
  // Let anything rejected in the last test's tail reach the process before counting.
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(rejections.seen, []);
});
