import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import supertest from 'supertest';
import { resolveCallbackURL } from '../lib/callback-url.js';
import { FeishuStrategy } from '../lib/index.js';
import { startMockFeishu, type MockFeishu } from '../lib/testing/index.js';
import { buildApp } from './helpers/app.js';
import { run } from './helpers/harness.js';

const CALLBACK = '/auth/feishu/callback';

describe('resolveCallbackURL: where the browser sent the request', () => {
  const plain = { headers: { host: 'app.example.com' }, url: '/auth/feishu' };

  test('plain HTTP: http, the Host header, the callback path', () => {
    assert.equal(resolveCallbackURL(plain, CALLBACK, false), 'http://app.example.com/auth/feishu/callback');
  });

  test('a TLS socket means https, wherever the framework keeps it', () => {
    const tls = { encrypted: true };
    assert.equal(resolveCallbackURL({ ...plain, socket: tls }, CALLBACK, false), 'https://app.example.com/auth/feishu/callback', 'Node, Express, Koa');
    assert.equal(resolveCallbackURL({ ...plain, connection: tls }, CALLBACK, false), 'https://app.example.com/auth/feishu/callback', 'req.connection');
    assert.equal(resolveCallbackURL({ ...plain, raw: { socket: tls } }, CALLBACK, false), 'https://app.example.com/auth/feishu/callback', 'Fastify');
  });

  test('X-Forwarded-Proto and -Host count only when the proxy is trusted', () => {
    const forwarded = { ...plain, headers: { host: '10.0.0.5:3000', 'x-forwarded-proto': 'https', 'x-forwarded-host': 'app.example.com' } };
    assert.equal(resolveCallbackURL(forwarded, CALLBACK, false), 'http://10.0.0.5:3000/auth/feishu/callback');
    assert.equal(resolveCallbackURL(forwarded, CALLBACK, true), 'https://app.example.com/auth/feishu/callback');
  });

  test("Express's trust proxy (and koa-passport's stand-in for app.proxy) trusts the proxy too", () => {
    const headers = { host: '10.0.0.5:3000', 'x-forwarded-proto': 'https', 'x-forwarded-host': 'app.example.com' };
    const app = (trust: unknown) => ({ get: (setting: string) => (setting === 'trust proxy' ? trust : undefined) });
    assert.equal(resolveCallbackURL({ ...plain, headers, app: app(true) }, CALLBACK, false), 'https://app.example.com/auth/feishu/callback');
    assert.equal(resolveCallbackURL({ ...plain, headers, app: app(false) }, CALLBACK, false), 'http://10.0.0.5:3000/auth/feishu/callback');
  });

  test('with several proxies, the first (client-side) value of each list is used', () => {
    const headers = { host: 'internal', 'x-forwarded-proto': 'HTTPS, http', 'x-forwarded-host': 'app.example.com, lb.internal' };
    assert.equal(resolveCallbackURL({ ...plain, headers }, CALLBACK, true), 'https://app.example.com/auth/feishu/callback');
  });

  test('an http X-Forwarded-Proto does not downgrade a TLS socket', () => {
    const req = { ...plain, socket: { encrypted: true }, headers: { host: 'app.example.com', 'x-forwarded-proto': 'http' } };
    assert.equal(resolveCallbackURL(req, CALLBACK, true), 'https://app.example.com/auth/feishu/callback');
  });

  test('HTTP/2 names the host in :authority', () => {
    assert.equal(resolveCallbackURL({ headers: { ':authority': 'app.example.com:8443' }, socket: { encrypted: true } }, CALLBACK, false), 'https://app.example.com:8443/auth/feishu/callback');
  });

  test('a path-relative callback resolves against the URL before a router cut it (originalUrl)', () => {
    assert.equal(resolveCallbackURL({ ...plain, originalUrl: '/auth/feishu?next=/x', url: '/feishu' }, 'feishu/callback', false), 'http://app.example.com/auth/feishu/callback');
    assert.equal(resolveCallbackURL({ ...plain, url: '/auth/feishu' }, 'feishu/callback', false), 'http://app.example.com/auth/feishu/callback');
  });

  test('no Host, or one that is not a host, resolves to nothing', () => {
    for (const host of [undefined, '', 'evil.example/x?', 'user@evil.example', 'a b', 'app.example.com:port', 'app.example.com\r\nx: y']) {
      assert.equal(resolveCallbackURL({ headers: host === undefined ? {} : { host } }, CALLBACK, false), null, JSON.stringify(host));
    }
    assert.equal(resolveCallbackURL({ headers: { host: 'internal', 'x-forwarded-host': 'evil.example/x' } }, CALLBACK, true), null, 'a trusted but malformed X-Forwarded-Host');
  });

  test('IPv6 and ports are hosts', () => {
    assert.equal(resolveCallbackURL({ headers: { host: '[::1]:3000' } }, CALLBACK, false), 'http://[::1]:3000/auth/feishu/callback');
  });
});

describe('the strategy with a relative callbackURL', () => {
  const credentials = { clientID: 'cli_x', clientSecret: 'secret' };
  const verify = () => undefined;
  const redirectURI = (outcome: Awaited<ReturnType<typeof run>>) => (outcome.kind === 'redirect' ? new URL(outcome.url).searchParams.get('redirect_uri') : outcome.kind);

  test('signs in from a request without req.connection (Fastify 5)', async () => {
    const strategy = new FeishuStrategy({ ...credentials, callbackURL: CALLBACK }, verify);
    const fastifyLike = { query: {}, headers: { host: 'app.example.com' }, url: '/auth/feishu', connection: undefined, raw: { socket: { encrypted: true } } };
    assert.equal(redirectURI(await run(strategy, fastifyLike)), 'https://app.example.com/auth/feishu/callback');
  });

  test('a relative callbackURL in the authenticate options is resolved too', async () => {
    const strategy = new FeishuStrategy({ ...credentials, callbackURL: 'https://ignored.example/cb' }, verify);
    assert.equal(redirectURI(await run(strategy, { connection: undefined } as never, { callbackURL: '/other/callback' })), 'http://app.example.com/other/callback');
  });

  test('an absolute callbackURL is sent as it is', async () => {
    const strategy = new FeishuStrategy({ ...credentials, callbackURL: 'https://app.example.com:443/cb' }, verify);
    assert.equal(redirectURI(await run(strategy, {})), 'https://app.example.com:443/cb');
  });

  test('a request without a Host is a 400 failure, not a crash', async () => {
    const strategy = new FeishuStrategy({ ...credentials, callbackURL: CALLBACK }, verify);
    const outcome = await run(strategy, { headers: {} });
    assert.equal(outcome.kind, 'fail');
    assert.equal(outcome.kind === 'fail' && outcome.status, 400);
    assert.match(JSON.stringify(outcome.kind === 'fail' && outcome.challenge), /Host/);
  });
});

describe('Express with a relative callbackURL', () => {
  let mock: MockFeishu;
  before(async () => {
    mock = await startMockFeishu();
  });
  after(() => mock.close());

  const redirectURI = async (agent: supertest.Agent, headers: Record<string, string> = {}) => {
    const start = await agent.get('/login').set(headers);
    assert.equal(start.status, 302);
    return new URL(start.headers.location ?? '').searchParams.get('redirect_uri');
  };
  const forwarded = { 'x-forwarded-proto': 'https', 'x-forwarded-host': 'app.example.com' };

  test('resolves against the Host the request came to', async () => {
    const { agent } = buildApp(mock, { callbackURL: CALLBACK });
    assert.match((await redirectURI(agent, forwarded)) ?? '', /^http:\/\/127\.0\.0\.1:\d+\/auth\/feishu\/callback$/);
  });

  test("honours app.set('trust proxy') as passport-oauth2 does", async () => {
    const { app, agent } = buildApp(mock, { callbackURL: CALLBACK });
    app.set('trust proxy', true);
    assert.equal(await redirectURI(agent, forwarded), 'https://app.example.com/auth/feishu/callback');
  });
});
