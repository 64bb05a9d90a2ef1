import assert from 'node:assert/strict';
import { inspect } from 'node:util';
import { after, before, describe, test } from 'node:test';
import type { FeishuFlow } from '../lib/index.js';
import { DEFAULT_APP, startMockFeishu, type EchoEncoding, type MockEndpoint, type MockFeishu } from '../lib/testing/index.js';
import { buildApp, login } from './helpers/app.js';

/**
 * README: "never a secret in a message". An upstream that quotes the request back (the mock's
 * `echo` fault) puts every secret the request carried into Feishu's message, raw, URL-encoded
 * and JSON-escaped; none of them may reach an error, an HTTP answer or a failure message.
 */

/** Characters that each encoding writes differently, so every form of the secret is exercised. */
const APP_SECRET = 'Sec/ret+"quoted"&<b>~42=';

let mock: MockFeishu;

before(async () => {
  mock = await startMockFeishu({ consent: 'auto', apps: [{ ...DEFAULT_APP, appSecret: APP_SECRET }] });
});
after(() => mock.close());

/** The secret as sent (raw or inside JSON), then as quoted back (raw, URL-encoded, form-encoded, JSON-escaped). */
function formsOf(secret: string): string[] {
  const json = (text: string) => JSON.stringify(text).slice(1, -1);
  return [secret, json(secret)].flatMap((sent) => [sent, encodeURIComponent(sent), new URLSearchParams({ s: sent }).toString().slice(2), json(sent)]);
}

/**
 * `text` and what it says once decoded: HTML character references undone, and every base64 or
 * hex run read from each possible start, as someone reading a log could.
 */
function readings(text: string): string[] {
  const named: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
  const unescaped = text.replace(/&(?:#(\d+)|#x([0-9a-f]+)|(\w+));/gi, (entity, dec?: string, hex?: string, name?: string) =>
    name ? (named[name] ?? entity) : String.fromCodePoint(dec ? Number(dec) : parseInt(hex ?? '', 16)),
  );
  const out = [text, unescaped];
  for (const run of unescaped.match(/[A-Za-z0-9+/_-]{16,}/g) ?? []) {
    for (let skip = 0; skip < 4; skip += 1) out.push(Buffer.from(run.slice(skip), 'base64').toString('utf8'));
  }
  for (const run of unescaped.match(/[0-9a-f]{16,}/gi) ?? []) {
    for (let skip = 0; skip < 2; skip += 1) out.push(Buffer.from(run.slice(skip), 'hex').toString('utf8'));
  }
  return out;
}

function assertNoSecret(where: string, text: string): void {
  const decoded = readings(text);
  for (const secret of mock.secrets()) {
    for (const form of formsOf(secret)) {
      for (const reading of decoded) assert.ok(!reading.includes(form), `${where} carries a secret: …${form.slice(0, 6)}…`);
    }
  }
}

interface Case {
  flow: FeishuFlow;
  endpoint: MockEndpoint;
  /** The faulted call is the refresh, not the sign-in. */
  refresh?: boolean;
  alwaysFetchUserInfo?: boolean;
}

const CASES: readonly Case[] = [
  { flow: 'v1', endpoint: 'appAccessToken' },
  { flow: 'v1', endpoint: 'v1Token' },
  { flow: 'v1', endpoint: 'userInfo', alwaysFetchUserInfo: true },
  { flow: 'v1', endpoint: 'v1Refresh', refresh: true },
  { flow: 'v2', endpoint: 'v2Token' },
  { flow: 'v2', endpoint: 'userInfo' },
  { flow: 'v2', endpoint: 'v2Token', refresh: true },
  { flow: 'v3', endpoint: 'v3Token' },
  { flow: 'v3', endpoint: 'userInfo' },
  { flow: 'v3', endpoint: 'v3Token', refresh: true },
  { flow: 'suite', endpoint: 'suiteToken' },
  { flow: 'suite', endpoint: 'suiteUserInfo' },
  { flow: 'suite', endpoint: 'suiteToken', refresh: true },
];

function appFor(c: Case) {
  const oauth = c.flow === 'v2' || c.flow === 'v3';
  return buildApp(mock, { flow: c.flow, pkce: oauth, scope: oauth ? 'offline_access' : undefined, alwaysFetchUserInfo: c.alwaysFetchUserInfo });
}

describe('an upstream that echoes the request into its message', () => {
  for (const c of CASES.filter((x) => !x.refresh)) {
    test(`${c.flow} ${c.endpoint}: the error and the app's answer carry no secret`, async () => {
      const { agent, errors } = appFor(c);
      mock.inject(c.endpoint, { kind: 'echo' });
      const before = mock.calls[c.endpoint];
      const res = await login(agent);
      assert.equal(mock.calls[c.endpoint], before + 1, 'the faulted endpoint was called');
      assert.equal(res.status, 500);
      assert.equal(errors.length, 1);
      const shown = inspect(errors[0], { depth: 6 });
      // The echo reached the message and was cut out, rather than the message being dropped.
      assert.match(res.body.message as string, /\[redacted\]/);
      assertNoSecret('the error', shown);
      assertNoSecret("the app's answer", res.text);
    });
  }

  for (const c of CASES.filter((x) => !x.refresh && x.endpoint !== 'appAccessToken' && x.endpoint !== 'userInfo' && x.endpoint !== 'suiteUserInfo')) {
    test(`${c.flow} ${c.endpoint}: a used-code answer becomes a failure message without secrets`, async () => {
      const { agent } = appFor(c);
      mock.inject(c.endpoint, { kind: 'echo', code: 20003 });
      const res = await login(agent);
      assert.equal(res.status, 302);
      assert.equal(res.headers.location, '/failed');
      const failed = await agent.get('/failed');
      const [message] = failed.body.messages as string[];
      assert.match(message ?? '', /\[redacted\]/);
      assertNoSecret('the failure message', failed.text);
    });
  }

  for (const c of CASES.filter((x) => x.refresh)) {
    test(`${c.flow} refresh: the rejection carries no secret`, async () => {
      const { agent, strategy } = appFor(c);
      const res = await login(agent);
      assert.equal(res.status, 200);
      mock.inject(c.endpoint, { kind: 'echo' });
      const err = await strategy.refreshAccessToken(res.body.refreshToken as string).then(
        () => assert.fail('the refresh succeeded'),
        (e: unknown) => e,
      );
      assert.match((err as Error).message, /\[redacted\]/);
      assertNoSecret('the refresh error', inspect(err, { depth: 6 }));
    });
  }
});

const ENCODINGS: readonly EchoEncoding[] = ['base64', 'base64url', 'hex', 'html', 'decimal-entities', 'hex-entities'];

describe('an upstream that echoes the request base64-, hex- or HTML-encoded', () => {
  for (const encoding of ENCODINGS) {
    for (const c of CASES) {
      test(`${encoding}: ${c.flow} ${c.endpoint}${c.refresh ? ' refresh' : ''}: what the app sees carries no secret`, async () => {
        const { agent, errors, strategy } = appFor(c);
        let shown: string;
        if (c.refresh) {
          const res = await login(agent);
          assert.equal(res.status, 200);
          mock.inject(c.endpoint, { kind: 'echo', encoding });
          const err = await strategy.refreshAccessToken(res.body.refreshToken as string).then(
            () => assert.fail('the refresh succeeded'),
            (e: unknown) => e,
          );
          shown = inspect(err, { depth: 6 });
        } else {
          mock.inject(c.endpoint, { kind: 'echo', encoding });
          const res = await login(agent);
          assert.equal(res.status, 500);
          assert.equal(errors.length, 1);
          shown = inspect(errors[0], { depth: 6 }) + res.text;
        }
        assertNoSecret('the error', shown);
      });
    }
  }
});

describe('a store app whose app-token request is echoed', () => {
  test('neither the app_ticket nor the secret reaches the error', async () => {
    const store = await startMockFeishu({ consent: 'auto', apps: [{ ...DEFAULT_APP, appSecret: APP_SECRET, type: 'store' }] });
    try {
      const ticket = store.issueAppTicket(store.app.appId);
      const { agent, errors } = buildApp(store, { appType: 'store', appTicket: ticket });
      store.inject('storeAppAccessToken', { kind: 'echo' });
      const res = await login(agent);
      assert.equal(res.status, 500);
      assert.match(res.body.message as string, /\[redacted\]/);
      const shown = inspect(errors[0], { depth: 6 }) + res.text;
      for (const secret of [ticket, APP_SECRET]) for (const form of formsOf(secret)) assert.ok(!shown.includes(form), `a form of ${secret.slice(0, 4)}… leaked`);
    } finally {
      await store.close();
    }
  });
});

describe('headers of an answer', () => {
  test('a log id header that is not a log id never reaches the error', async () => {
    const { createServer } = await import('node:http');
    const server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'x-tt-logid': `Bearer ${APP_SECRET.replace(/[^ -~]/g, '')} <script>` });
      res.end(JSON.stringify({ code: 99991400, msg: 'request trigger frequency limit' }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as import('node:net').AddressInfo;
    try {
      const { strategy } = buildApp(mock, { appAccessTokenURL: `http://127.0.0.1:${port}/open-apis/auth/v3/app_access_token/internal` });
      const err = (await strategy.appTokens.get().catch((e: unknown) => e)) as { logId?: string; message: string };
      assert.equal(err.logId, undefined);
      assert.doesNotMatch(err.message, /log id|script|Bearer/);
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  test('a log id that quotes the app secret, whole or in part, is dropped; X-Request-Id is never read', async () => {
    const { createServer } = await import('node:http');
    // Shaped like a log id (letters and digits), so only redaction by value can tell.
    const secret = 'AlnumAppSecret0123456789';
    const headers: Array<Record<string, string>> = [
      { 'x-tt-logid': secret },
      { 'x-tt-logid': `2026${secret}` },
      { 'x-request-id': secret },
    ];
    let next = 0;
    const server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', ...headers[next++] });
      res.end(JSON.stringify({ code: 10014, msg: 'app secret invalid' }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as import('node:net').AddressInfo;
    try {
      const { strategy } = buildApp(mock, { clientSecret: secret, appAccessTokenURL: `http://127.0.0.1:${port}/open-apis/auth/v3/app_access_token/internal` });
      for (const header of headers) {
        const err = (await strategy.appTokens.get().catch((e: unknown) => e)) as { logId?: string; message: string };
        assert.equal(err.logId, undefined, JSON.stringify(Object.keys(header)));
        assert.ok(!err.message.includes(secret), err.message);
        assert.doesNotMatch(err.message, /log id/);
      }
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
