import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, beforeEach, describe, test } from 'node:test';
import { AppTokenManager } from '../lib/app-token.js';
import { MemoryCache } from '../lib/cache.js';
import { FeishuClient } from '../lib/client.js';
import { FLOWS, resolveHosts, type FlowSpec } from '../lib/endpoints.js';
import { requestFeishu } from '../lib/http.js';
import { FeishuAPIError, FeishuStrategy } from '../lib/index.js';
import { HeldSecrets } from '../lib/secrets.js';

/**
 * Where the flows differ on the wire, against a bare loopback server that answers each path
 * with a fixed body and records what it was sent: which token answers count as the user,
 * which token requests carry redirect_uri, and what the app-token manager does with odd answers.
 */

interface Seen {
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

let server: Server;
let origin: string;
let seen: Seen[] = [];
/** Path → [status, JSON body, extra headers]. */
let answers: Record<string, [number, unknown, Record<string, string>?]> = {};

before(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const path = new URL(req.url ?? '/', 'http://x').pathname;
      seen.push({ path, headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      const [status, body, headers] = answers[path] ?? [404, { code: 404, msg: 'not found' }];
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(JSON.stringify(body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => new Promise<void>((resolve) => server.close(() => resolve())));
beforeEach(() => {
  seen = [];
  answers = {};
});

const APP_TOKEN_PATH = '/open-apis/auth/v3/app_access_token/internal';

function manager(secrets = new HeldSecrets('app-secret-value'), cache = new MemoryCache()): AppTokenManager {
  return new AppTokenManager({
    source: { url: origin + APP_TOKEN_PATH, body: () => Promise.resolve({ app_id: 'cli_1', app_secret: 'app-secret-value' }) },
    cache,
    cacheKey: 'app-token',
    timeout: 2000,
    secrets,
  });
}

function client(flow: FlowSpec): FeishuClient {
  const hosts = resolveHosts(origin);
  const secrets = new HeldSecrets('app-secret-value');
  return new FeishuClient({
    flow,
    tokenURL: hosts[flow.token.host] + flow.token.path,
    refreshURL: hosts[flow.refresh.host] + flow.refresh.path,
    userInfoURL: hosts[flow.userInfo.host] + flow.userInfo.path,
    clientID: 'cli_1',
    clientSecret: 'app-secret-value',
    timeout: 2000,
    appTokens: manager(secrets),
    secrets,
  });
}

/** A token answer that also carries the user's fields, in each flow's own shape. */
const user = { open_id: 'ou_from_token', name: 'From the token answer' };

describe('the user in the token answer counts only in v1', () => {
  test('v1: the classic token answer is the user', async () => {
    answers[APP_TOKEN_PATH] = [200, { code: 0, app_access_token: 'a-token-1', expire: 7200 }];
    answers[FLOWS.v1.token.path] = [200, { code: 0, data: { access_token: 'u-1', ...user } }];
    const result = await client(FLOWS.v1).exchangeCode('code-1', { redirectUri: 'https://app.example/cb' });
    assert.equal(result.user?.open_id, 'ou_from_token');
  });

  test('v2 and suite: fields beside the token are not the user; user_info is', async () => {
    answers[FLOWS.v2.token.path] = [200, { code: 0, access_token: 'u-2', expires_in: 7200, ...user }];
    answers[FLOWS.suite.token.path] = [200, { access_token: 'u-3', expires_in: 7200, ...user }];
    assert.equal((await client(FLOWS.v2).exchangeCode('code-2', {})).user, undefined);
    assert.equal((await client(FLOWS.suite).exchangeCode('code-3', {})).user, undefined);
  });
});

describe('redirect_uri on the token request', () => {
  test('v1 binds no redirect to the code and sends none; v2 and suite send it', async () => {
    answers[APP_TOKEN_PATH] = [200, { code: 0, app_access_token: 'a-token-1', expire: 7200 }];
    answers[FLOWS.v1.token.path] = [200, { code: 0, data: { access_token: 'u-1', ...user } }];
    answers[FLOWS.v2.token.path] = [200, { code: 0, access_token: 'u-2', expires_in: 7200 }];
    answers[FLOWS.suite.token.path] = [200, { access_token: 'u-3', expires_in: 7200 }];
    for (const flow of [FLOWS.v1, FLOWS.v2, FLOWS.suite]) await client(flow).exchangeCode('code-1', { redirectUri: 'https://app.example/cb' });
    const sent = (path: string) => seen.find((s) => s.path === path)?.body ?? '';
    assert.doesNotMatch(sent(FLOWS.v1.token.path), /redirect_uri/);
    assert.match(sent(FLOWS.v2.token.path), /redirect_uri/);
    assert.match(sent(FLOWS.suite.token.path), /redirect_uri/);
  });
});

describe('options a flow does not have', () => {
  test('pkce is refused in the suite flow, as Feishu does not check it there', () => {
    // With state on, so that only the flow can be what refuses it.
    assert.throws(() => new FeishuStrategy({ flow: 'suite', pkce: true, state: true, clientID: 'cli_1', clientSecret: 's' }, () => undefined), /PKCE only in flows v2 and v3, not suite/);
    assert.doesNotThrow(() => new FeishuStrategy({ flow: 'suite', clientID: 'cli_1', clientSecret: 's' }, () => undefined));
  });
});

describe('domain', () => {
  test('null is refused with a TypeError that names the option', () => {
    assert.throws(() => resolveHosts(null as unknown as string), (err: unknown) => err instanceof TypeError && /domain/.test(err.message));
  });

  test('a bad origin in the per-host form names its field', () => {
    const good = 'https://open.example';
    assert.throws(() => resolveHosts({ open: 'nope', accounts: good, passport: good }), /domain\.open/);
    assert.throws(() => resolveHosts({ open: good, accounts: 'nope', passport: good }), /domain\.accounts/);
    assert.throws(() => resolveHosts({ open: good, accounts: good, passport: 'nope' }), /domain\.passport/);
  });
});

describe('the app-token manager', () => {
  test('an error answer for a self-built app is a FeishuAPIError with its message', async () => {
    answers[APP_TOKEN_PATH] = [200, { code: 10003, msg: 'invalid app_id' }];
    await assert.rejects(manager().get(), (err: unknown) => err instanceof FeishuAPIError && err.feishuCode === 10003 && err.msg === 'invalid app_id');
  });

  test('an app-token URL that is no URL is a TypeError (configuration), not an upstream failure', async () => {
    const tokens = new AppTokenManager({
      source: { url: 'not a url', body: () => Promise.resolve({ app_id: 'cli_1', app_secret: 'app-secret-value' }) },
      cache: new MemoryCache(),
      cacheKey: 'app-token',
      timeout: 2000,
      secrets: new HeldSecrets('app-secret-value'),
    });
    await assert.rejects(tokens.get(), TypeError);
  });

  test('a token another instance cached is scrubbed from messages like a fetched one', async () => {
    const secrets = new HeldSecrets('app-secret-value');
    const cache = new MemoryCache();
    await cache.set('app-token', { token: 'a-shared-token-0123456789', expiresAt: Date.now() + 3_600_000 });
    assert.equal(await manager(secrets, cache).get(), 'a-shared-token-0123456789');
    assert.doesNotMatch(secrets.scrub('quoted back: a-shared-token-0123456789'), /a-shared-token/);
  });

  test('what a token call throws, even a non-Error, passes through untouched', async () => {
    const cache = new MemoryCache();
    await cache.set('app-token', { token: 'a-cached-token', expiresAt: Date.now() + 3_600_000 });
    const tokens = manager(undefined, cache);
    for (const thrown of ['boom', undefined, null, 42]) {
      await assert.rejects(
        // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- a non-Error rejection is what this test is about
        tokens.use(() => Promise.reject(thrown)),
        (err: unknown) => err === thrown,
      );
    }
  });
});

describe('requestFeishu', () => {
  test("a caller's header replaces the default of the same name, whatever its case", async () => {
    answers['/h'] = [200, { code: 0 }];
    await requestFeishu({ url: `${origin}/h`, method: 'GET', headers: { 'User-Agent': 'custom-agent/1', Accept: 'application/x-custom' } }, 2000);
    assert.equal(seen[0]?.headers['user-agent'], 'custom-agent/1');
    assert.equal(seen[0]?.headers.accept, 'application/x-custom');
  });

  test('no log id header, no log id', async () => {
    answers['/h'] = [200, { code: 0 }];
    assert.equal((await requestFeishu({ url: `${origin}/h`, method: 'GET' }, 2000)).logId, undefined);
    answers['/h'] = [200, { code: 0 }, { 'x-tt-logid': '20260101-abc' }];
    assert.equal((await requestFeishu({ url: `${origin}/h`, method: 'GET' }, 2000)).logId, '20260101-abc');
  });
});
