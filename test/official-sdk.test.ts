/**
 * The official SDK still agrees: `@larksuiteoapi/node-sdk`, Feishu's own Node client, runs against the
 * mock Feishu. Where the SDK sends or reads something the mock did not serve, the SDK is the better
 * witness of real Feishu, and the mock follows it (each such change is commented in lib/testing).
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, beforeEach, describe, test } from 'node:test';
import * as lark from '@larksuiteoapi/node-sdk';
import { decryptEvent } from '../lib/events/handler.js';
import { appTicketEvent, DEFAULT_APP, DEFAULT_USERS, encryptEvent, MOCK_TENANT_KEY, startMockFeishu, type MockFeishu } from '../lib/testing/index.js';

const REDIRECT_URI = 'http://127.0.0.1:3000/auth/feishu/callback';
const ENCRYPT_KEY = 'sdk-encrypt-key-for-tests';
const VERIFICATION_TOKEN = 'sdk-verification-token';
const [LILEI] = DEFAULT_USERS;

// Every request the SDK makes goes through its default axios instance (token manager, app-ticket
// resend, generated API calls, the v3 OAuth client). Nothing may leave 127.0.0.1: a proxy from the
// environment is switched off, and any other host is refused before a socket opens.
const requested: URL[] = [];
/** The origins of every mock the file starts: the only places the SDK may reach. */
const mockOrigins = new Set<string>();
lark.defaultHttpInstance.defaults.proxy = false;
lark.defaultHttpInstance.interceptors.request.use((config) => {
  const url = new URL(config.url ?? '', config.baseURL);
  if (url.hostname !== '127.0.0.1') throw new Error(`the SDK tried to reach ${url.origin}; only the mock on 127.0.0.1 is allowed`);
  requested.push(url);
  return config;
});

/** The SDK's log lines, kept out of the test output; a warning or error in a happy path is a disagreement. */
class QuietLogger implements lark.Logger {
  readonly complaints: string[] = [];
  error = (...msg: unknown[]): void => void this.complaints.push(`error: ${String(msg)}`);
  warn = (...msg: unknown[]): void => void this.complaints.push(`warn: ${String(msg)}`);
  info = (): void => undefined;
  debug = (): void => undefined;
  trace = (): void => undefined;
}

let mock: MockFeishu;
before(async () => {
  mock = await startMockFeishu();
  for (const origin of Object.values(mock.hosts)) mockOrigins.add(origin);
});
after(async () => {
  await mock.close();
  // Runs after every suite in the file: each request the SDK made went to a mock.
  assert.ok(requested.length > 0);
  for (const url of requested) assert.ok(mockOrigins.has(url.origin), `unexpected origin ${url.origin}`);
});
beforeEach(() => mock.resetCalls());

/** A self-built app's client, with its own token cache (the SDK's default cache is shared process-wide). */
function selfBuiltClient(logger = new QuietLogger(), extra: Partial<ConstructorParameters<typeof lark.Client>[0]> = {}): lark.Client {
  return new lark.Client({
    appId: mock.app.appId,
    appSecret: mock.app.appSecret,
    domain: mock.hosts.open,
    oauthBaseUrl: mock.hosts.accounts,
    cache: new lark.DefaultCache(),
    logger,
    ...extra,
  });
}

describe('official node-sdk: app tokens', () => {
  test('the token manager fetches a tenant_access_token once, and authen v1 takes it as the Bearer', async () => {
    const logger = new QuietLogger();
    const client = selfBuiltClient(logger);
    const first = await client.authen.accessToken.create({ data: { grant_type: 'authorization_code', code: mock.issueCode() } });
    const second = await client.authen.accessToken.create({ data: { grant_type: 'authorization_code', code: mock.issueCode() } });
    assert.equal(first.code, 0, first.msg);
    assert.equal(second.code, 0, second.msg);
    assert.equal(mock.calls.tenantAccessToken, 1, 'the cached tenant token is reused');
    assert.equal(mock.calls.v1Token, 2);
    assert.deepEqual(logger.complaints, []);
  });

  test('app_access_token/internal answers at top level, the same token as the tenant token of a self-built app', async () => {
    // node-sdk's typings put the token under `data`; Feishu (and the SDK's own token manager) read it at top level.
    const client = selfBuiltClient(undefined, { disableTokenCache: true });
    const app = (await client.auth.appAccessToken.internal({ data: { app_id: mock.app.appId, app_secret: mock.app.appSecret } })) as Record<string, unknown>;
    const tenant = (await client.auth.tenantAccessToken.internal({ data: { app_id: mock.app.appId, app_secret: mock.app.appSecret } })) as Record<string, unknown>;
    assert.equal(app.code, 0);
    assert.match(String(app.app_access_token), /^t-/);
    assert.equal(tenant.tenant_access_token, app.app_access_token);
    assert.ok(typeof tenant.expire === 'number' && tenant.expire > 1800);
    assert.equal(mock.calls.appAccessToken, 1);
    assert.equal(mock.calls.tenantAccessToken, 1);
  });

  test('a wrong app secret gives no token, and the SDK says why without the secret', async () => {
    const client = selfBuiltClient(undefined, { appSecret: 'not-the-secret-5Lq2' });
    await assert.rejects(client.authen.accessToken.create({ data: { grant_type: 'authorization_code', code: mock.issueCode() } }), (err: Error) => {
      assert.match(err.message, /failed to get tenant_access_token, code: 10014/);
      assert.doesNotMatch(err.message, /not-the-secret/);
      return true;
    });
    assert.equal(mock.calls.v1Token, 0);
  });
});

describe('official node-sdk: authen v1 (app-token Bearer)', () => {
  test('exchanges a code, reads the user, refreshes, and the refreshed token reads the same user', async () => {
    const client = selfBuiltClient();
    const exchanged = await client.authen.accessToken.create({ data: { grant_type: 'authorization_code', code: mock.issueCode({ redirectUri: REDIRECT_URI }) } });
    assert.equal(exchanged.code, 0, exchanged.msg);
    const data = exchanged.data;
    assert.ok(data?.access_token && data.refresh_token);
    assert.match(data.access_token, /^u-/);
    assert.equal(data.token_type, 'Bearer');
    assert.equal(data.open_id, LILEI?.open_id);
    assert.equal(data.tenant_key, MOCK_TENANT_KEY);

    const me = await client.authen.userInfo.get(undefined, lark.withUserAccessToken(data.access_token));
    assert.equal(me.code, 0, me.msg);
    assert.equal(me.data?.open_id, LILEI?.open_id);
    assert.equal(me.data?.union_id, LILEI?.union_id);
    assert.equal(me.data?.name, LILEI?.name);
    assert.equal(me.data?.email, LILEI?.email);

    const refreshed = await client.authen.refreshAccessToken.create({ data: { grant_type: 'refresh_token', refresh_token: data.refresh_token } });
    assert.equal(refreshed.code, 0, refreshed.msg);
    assert.ok(refreshed.data?.access_token && refreshed.data.refresh_token);
    assert.notEqual(refreshed.data.access_token, data.access_token);
    assert.notEqual(refreshed.data.refresh_token, data.refresh_token);
    const again = await client.authen.userInfo.get(undefined, lark.withUserAccessToken(refreshed.data.access_token));
    assert.equal(again.data?.open_id, LILEI?.open_id);

    assert.equal(mock.calls.v1Token, 1);
    assert.equal(mock.calls.v1Refresh, 1);
    assert.equal(mock.calls.userInfo, 2);
    assert.equal(mock.calls.tenantAccessToken, 1, 'user_info went with the user token, not a tenant token');
  });

  test('a used code is refused with 20003 in the v1 envelope; a used refresh token with 20038', async () => {
    const client = selfBuiltClient();
    const code = mock.issueCode();
    const first = await client.authen.accessToken.create({ data: { grant_type: 'authorization_code', code } });
    assert.equal(first.code, 0, first.msg);
    const replay = await client.authen.accessToken.create({ data: { grant_type: 'authorization_code', code } });
    assert.equal(replay.code, 20003);
    assert.equal(replay.data, undefined);

    const refreshToken = first.data?.refresh_token ?? '';
    const refreshed = await client.authen.refreshAccessToken.create({ data: { grant_type: 'refresh_token', refresh_token: refreshToken } });
    assert.equal(refreshed.code, 0, refreshed.msg);
    const reused = await client.authen.refreshAccessToken.create({ data: { grant_type: 'refresh_token', refresh_token: refreshToken } });
    assert.equal(reused.code, 20038);
  });

  test('a bad user token on user_info is refused with 99991668', async () => {
    const client = selfBuiltClient();
    // The mock answers it with HTTP 200, as every v1 error (feishu-api.md §2.5), so the code is in the body.
    const res = await client.authen.userInfo.get(undefined, lark.withUserAccessToken('u-not-a-real-token'));
    assert.equal(res.code, 99991668);
  });
});

describe('official node-sdk: OAuth v3 (/oauth/v3/token on the accounts host)', () => {
  test('exchanges a code with its redirect_uri, reads the user, and refreshes', async () => {
    const client = selfBuiltClient();
    const code = mock.issueCode({ redirectUri: REDIRECT_URI, scope: 'offline_access contact:user.email:readonly' });
    const tokens = await client.accessToken.retrieveByAuthorizationCode({ code, redirectUri: REDIRECT_URI });
    assert.equal(tokens.tokenType, 'Bearer');
    assert.equal(tokens.scope, 'offline_access contact:user.email:readonly');
    assert.ok(tokens.refreshToken && tokens.refreshTokenExpiresIn);
    assert.ok(tokens.expiresIn && tokens.expiresIn > 0);

    const me = await client.authen.userInfo.get(undefined, lark.withUserAccessToken(tokens.accessToken));
    assert.equal(me.data?.open_id, LILEI?.open_id);

    const refreshed = await client.accessToken.refresh({ refreshToken: tokens.refreshToken, scope: 'offline_access' });
    assert.notEqual(refreshed.accessToken, tokens.accessToken);
    assert.equal(refreshed.scope, 'offline_access', 'scope narrows on refresh');
    assert.equal(mock.calls.v3Token, 2);
    assert.equal(mock.calls.tenantAccessToken, 0, 'v3 authenticates with client_id and client_secret, no app token');
  });

  test("a used code is refused as the SDK's AccessTokenError: HTTP 400, 20065, invalid_grant", async () => {
    const client = selfBuiltClient();
    const code = mock.issueCode({ redirectUri: REDIRECT_URI });
    await client.accessToken.retrieveByAuthorizationCode({ code, redirectUri: REDIRECT_URI });
    await assert.rejects(client.accessToken.retrieveByAuthorizationCode({ code, redirectUri: REDIRECT_URI }), (err: unknown) => {
      assert.ok(err instanceof lark.AccessTokenError);
      assert.equal(err.statusCode, 400);
      assert.equal(err.code, 20065);
      assert.equal(err.error, 'invalid_grant');
      assert.doesNotMatch(`${err.message} ${err.errorDescription}`, new RegExp(mock.app.appSecret));
      return true;
    });
  });

  test('a code without its redirect_uri is refused (20071)', async () => {
    const client = selfBuiltClient();
    await assert.rejects(client.accessToken.retrieveByAuthorizationCode({ code: mock.issueCode({ redirectUri: REDIRECT_URI }) }), (err: unknown) => {
      assert.ok(err instanceof lark.AccessTokenError);
      assert.equal(err.code, 20071);
      return true;
    });
  });

  test('without oauthBaseUrl the SDK refuses to guess the accounts host of a custom domain, and sends nothing', async () => {
    const client = selfBuiltClient(undefined, { oauthBaseUrl: undefined });
    const before = requested.length;
    await assert.rejects(client.accessToken.retrieveByAuthorizationCode({ code: mock.issueCode() }), /oauthBaseUrl is not configured/);
    assert.equal(requested.length, before);
    assert.equal(mock.serverCalls, 0);
  });
});

describe('official node-sdk: event encryption', () => {
  test("the SDK's AESCipher decrypts an event the mock encrypts", () => {
    const event = appTicketEvent(mock.app.appId, 'ticket-abc', { url: 'http://127.0.0.1/', verificationToken: VERIFICATION_TOKEN, schema: '2.0' });
    const { encrypt } = encryptEvent(event, ENCRYPT_KEY);
    assert.deepEqual(JSON.parse(new lark.AESCipher(ENCRYPT_KEY).decrypt(encrypt)), event);
    assert.deepEqual(decryptEvent(encrypt, ENCRYPT_KEY), event);
  });

  test("the doc's test vector: the SDK reads 'hello world', and our decryptEvent reads the same cipher block", () => {
    // node-sdk's AESCipher has no encrypt method, so the other direction uses the sample in Feishu's
    // event-encryption doc (feishu-api.md §10.2): key "test key", an IV and one block, "hello world".
    const vector = 'P37w+VZImNgPEO1RBhJ6RtKl7n6zymIbEG1pReEzghk=';
    assert.equal(new lark.AESCipher('test key').decrypt(vector), 'hello world');
    // decryptEvent only returns JSON objects, and "hello world" is not one. In CBC the first block's
    // plaintext is D(C1) XOR IV, so XOR-ing the IV with "hello world" and a JSON text of the same
    // block (valid padding included) makes the doc's untouched cipher block decrypt to that JSON,
    // without the key: decryptEvent must derive the doc's key and read the IV as the doc says.
    const pad = (text: string): Buffer => Buffer.concat([Buffer.from(text), Buffer.alloc(16 - text.length, 16 - text.length)]);
    const json = '{"vector":"ok"}';
    const [known, wanted] = [pad('hello world'), pad(json)];
    const raw = Buffer.from(vector, 'base64');
    const iv = raw.subarray(0, 16).map((byte, i) => byte ^ (known[i] ?? 0) ^ (wanted[i] ?? 0));
    const edited = Buffer.concat([iv, raw.subarray(16)]).toString('base64');
    assert.equal(new lark.AESCipher('test key').decrypt(edited), json);
    assert.deepEqual(decryptEvent(edited, 'test key'), JSON.parse(json));
    assert.throws(() => decryptEvent(edited, 'another key'), /cannot decrypt/);
  });
});

/** The SDK's in-memory cache, telling when an app_ticket lands in it. */
class TicketWatchingCache extends lark.DefaultCache {
  private arrived: () => void = () => undefined;
  readonly ticketArrived = new Promise<void>((resolve) => (this.arrived = resolve));
  override async set(...args: Parameters<lark.DefaultCache['set']>): Promise<boolean> {
    const stored = await super.set(...args);
    if (args[0] === lark.CAppTicket) this.arrived();
    return stored;
  }
}

describe('official node-sdk: a store app, its app_ticket pushed to the SDK and spent by the SDK', () => {
  let store: MockFeishu;
  let events: Server;
  const cache = new TicketWatchingCache();
  const logger = new QuietLogger();
  let client: lark.Client;

  before(async () => {
    store = await startMockFeishu({ apps: [{ ...DEFAULT_APP, type: 'store' }] });
    for (const origin of Object.values(store.hosts)) mockOrigins.add(origin);
    // The app's event URL is served by the SDK's own EventDispatcher, which caches app_tickets.
    const dispatcher = new lark.EventDispatcher({ encryptKey: ENCRYPT_KEY, verificationToken: VERIFICATION_TOKEN, cache, logger });
    const handle = lark.adaptDefault('/feishu/events', dispatcher);
    events = createServer((req, res) => void handle(req, res).catch(() => res.destroy())).listen(0, '127.0.0.1');
    await new Promise((resolve) => events.once('listening', resolve));
    const url = `http://127.0.0.1:${(events.address() as AddressInfo).port}/feishu/events`;
    store.subscribeEvents({ url, encryptKey: ENCRYPT_KEY, verificationToken: VERIFICATION_TOKEN });
  });
  after(async () => {
    await store.close();
    await new Promise((resolve) => events.close(resolve));
  });

  test("a new client without a ticket asks for a resend, and the mock's encrypted, signed event reaches the SDK's dispatcher", { timeout: 10_000 }, async () => {
    client = new lark.Client({ appId: store.app.appId, appSecret: store.app.appSecret, appType: lark.AppType.ISV, domain: store.hosts.open, cache, logger });
    await cache.ticketArrived;
    assert.equal(store.calls.appTicketResend, 1);
    assert.match(String(await cache.get(lark.CAppTicket, { namespace: store.app.appId })), /^mock-ticket-/);
    assert.deepEqual(logger.complaints, []);
  });

  test('the SDK trades the ticket for app_access_token, then a tenant token, and signs a user in with it', async () => {
    store.resetCalls();
    const res = await client.authen.accessToken.create({ data: { grant_type: 'authorization_code', code: store.issueCode() } }, lark.withTenantKey(MOCK_TENANT_KEY));
    assert.equal(res.code, 0, res.msg);
    assert.equal(res.data?.open_id, LILEI?.open_id);
    assert.equal(store.calls.appTicketResend, 0, 'the ticket was in the cache');
    assert.equal(store.calls.storeAppAccessToken, 1);
    assert.equal(store.calls.storeTenantAccessToken, 1);
    assert.equal(store.calls.v1Token, 1);
    assert.deepEqual(logger.complaints, []);
  });

  test('a tenant that has not installed the app gets no tenant token, and the SDK says so with the code', async () => {
    store.resetCalls();
    await assert.rejects(
      client.authen.accessToken.create({ data: { grant_type: 'authorization_code', code: store.issueCode() } }, lark.withTenantKey('not-a-tenant-key')),
      /failed to get tenant_access_token, code: 10013/,
    );
    assert.equal(store.calls.storeTenantAccessToken, 1);
    assert.equal(store.calls.v1Token, 0);
  });

  test("the hourly push replaces the SDK's ticket", async () => {
    const ticket = await store.pushAppTicket();
    assert.equal(await cache.get(lark.CAppTicket, { namespace: store.app.appId }), ticket);
  });
});
