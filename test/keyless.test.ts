import assert from 'node:assert/strict';
import { fork } from 'node:child_process';
import type { KeyObject } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, test } from 'node:test';
import { inspect } from 'node:util';
import { ClientAssertionError, FeishuStrategy, FeishuTokenError, type ClientAssertionProvider, type FeishuStrategyOptions } from '../lib/index.js';
import { assertionProof, proxyURL } from '../lib/client-assertion.js';
import { DEFAULT_APP, startMockFeishu, type MockFeishu } from '../lib/testing/index.js';
import { buildApp, login, type ErrorBody } from './helpers/app.js';
import { ecKeys, rsaKeys, signJwt, validClaims, type Claims } from './helpers/assertions.js';
import type { RefreshJob, RefreshOutcome } from './helpers/keyless-refresh-child.js';
import { selfSignedCert } from './helpers/self-signed-cert.js';

/**
 * README "Keyless apps": with `clientAssertion` (flow v3) the app sends a signed RFC 7523
 * assertion instead of its App Secret; the mock checks it as an OAuth server would.
 */

const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
const APP_ID = DEFAULT_APP.appId;

const ec = ecKeys();
const rsa = rsaKeys();
const stranger = ecKeys();

let mock: MockFeishu;
let audience: string;

before(async () => {
  mock = await startMockFeishu({
    consent: 'auto',
    apps: [{ ...DEFAULT_APP, assertionKeys: [ec.publicKey, { ...rsa.publicKey.export({ format: 'jwk' }), kid: 'rsa-1' }] }],
  });
  audience = new URL(mock.hosts.accounts).host;
});
after(() => mock.close());
beforeEach(() => mock.clearFaults());

/** A provider that signs a fresh assertion for each audience it is asked for, and records the audiences. */
function provider(key: KeyObject = ec.privateKey, header: Claims = {}): ClientAssertionProvider & { audiences: string[] } {
  const audiences: string[] = [];
  const fn = (aud: string) => {
    audiences.push(aud);
    return signJwt(key, validClaims(APP_ID, aud), header);
  };
  return Object.assign(fn, { audiences });
}

function keylessApp(clientAssertion: ClientAssertionProvider, extra: Record<string, unknown> = {}) {
  // The App Secret is left out: only the assertion can authenticate the app.
  return buildApp(mock, { flow: 'v3', pkce: true, scope: 'offline_access', clientSecret: undefined, clientAssertion, ...extra });
}

describe('a keyless app signs in and refreshes with assertions (flow v3)', () => {
  test('sign-in and refresh succeed without the App Secret; each request gets a fresh assertion for the accounts host', async () => {
    const assert_ = provider();
    const { agent, strategy } = keylessApp(assert_);
    const res = await login(agent);
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.profile.id, 'ou_caecc734c2e3328a62489fe0648c4b98');
    const refreshed = await strategy.refreshAccessToken(res.body.refreshToken as string);
    assert.ok(refreshed.accessToken && refreshed.refreshToken);
    // One assertion for the exchange, one for the refresh; the audience is the host:port of mock.hosts.accounts.
    assert.deepEqual(assert_.audiences, [audience, audience]);
  });

  test('RS256 with a JWK selected by kid works too', async () => {
    const { agent } = keylessApp(provider(rsa.privateKey, { kid: 'rsa-1' }));
    const res = await login(agent);
    assert.equal(res.status, 200, res.text);
  });

  test('an async provider returning { value } works, and with clientSecret also set only the assertion is sent (the mock refuses both: 20070)', async () => {
    const sign = provider();
    const { agent } = buildApp(mock, { flow: 'v3', clientAssertion: async (aud: string) => ({ value: await Promise.resolve(sign(aud) as string) }) });
    const res = await login(agent);
    assert.equal(res.status, 200, res.text);
  });

  test('an assertion the mock refuses arrives as FeishuTokenError invalid_client (20002), without the assertion in the message', async () => {
    let sent = '';
    const { agent, errors } = keylessApp((aud) => (sent = signJwt(stranger.privateKey, validClaims(APP_ID, aud))));
    const res = await login(agent);
    assert.equal(res.status, 500);
    const body = res.body as ErrorBody;
    assert.deepEqual([body.name, body.code, body.feishuCode], ['FeishuTokenError', 'invalid_client', 20002]);
    assert.match(body.message, /client assertion is invalid: its signature does not verify/);
    assert.ok(errors[0] instanceof FeishuTokenError);
    assert.ok(sent && !inspect(errors[0], { depth: 6 }).includes(sent));
  });
});

describe('the mock refuses every broken assertion rule with invalid_client', () => {
  async function postToken(fields: Record<string, unknown>) {
    const res = await fetch(`${mock.hosts.accounts}/oauth/v3/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(fields) });
    return { status: res.status, json: (await res.json()) as { code: number; error?: string; error_description?: string; access_token?: string } };
  }
  const exchange = (assertion: string, extra: Record<string, unknown> = {}) =>
    postToken({ grant_type: 'authorization_code', client_id: APP_ID, code: mock.issueCode(), client_assertion_type: ASSERTION_TYPE, client_assertion: assertion, ...extra });
  const claims = (overrides: Claims = {}): Claims => ({ ...validClaims(APP_ID, audience), ...overrides });
  const now = () => Math.floor(Date.now() / 1000);
  const unsigned = (header: Claims, body: Claims) => `${Buffer.from(JSON.stringify(header)).toString('base64url')}.${Buffer.from(JSON.stringify(body)).toString('base64url')}.`;

  test('a valid assertion is accepted (the baseline each case below breaks one rule of)', async () => {
    const res = await exchange(signJwt(ec.privateKey, claims()));
    assert.equal(res.status, 200, JSON.stringify(res.json));
    assert.ok(res.json.access_token);
  });

  const cases: Array<[string, () => string, RegExp]> = [
    [
      'a bad signature',
      () => {
        const [header, , signature] = signJwt(ec.privateKey, claims()).split('.');
        return `${header}.${Buffer.from(JSON.stringify(claims({ sub: APP_ID, extra: 1 }))).toString('base64url')}.${signature}`;
      },
      /signature does not verify/,
    ],
    ['a wrong iss', () => signJwt(ec.privateKey, claims({ iss: 'cli_someone_else' })), /iss must be the client id/],
    ['a wrong sub', () => signJwt(ec.privateKey, claims({ sub: 'cli_someone_else' })), /sub must be the client id/],
    ['a wrong aud', () => signJwt(ec.privateKey, claims({ aud: 'accounts.feishu.cn' })), /aud must name/],
    ['an expired assertion', () => signJwt(ec.privateKey, claims({ iat: now() - 600, exp: now() - 10 })), /expired/],
    ['a too long-lived assertion (over an hour)', () => signJwt(ec.privateKey, claims({ exp: now() + 7200 })), /longer than an hour/],
    ['a missing jti', () => signJwt(ec.privateKey, claims({ jti: undefined })), /jti is missing/],
    ['alg none', () => unsigned({ alg: 'none', typ: 'JWT' }, claims()), /alg must be ES256 or RS256/],
    ['an HMAC alg', () => unsigned({ alg: 'HS256', typ: 'JWT' }, claims()) + 'c2ln', /alg must be ES256 or RS256/],
    ['an unknown key', () => signJwt(stranger.privateKey, claims()), /signature does not verify with any key registered/],
    ['an RSA key under an ES256 header', () => signJwt(rsa.privateKey, claims(), { alg: 'ES256' }), /signature does not verify/],
    ['not a JWT', () => 'not-a-jwt', /not a signed JWT/],
  ];
  for (const [name, make, reason] of cases) {
    test(`${name} is refused`, async () => {
      const res = await exchange(make());
      assert.deepEqual([res.status, res.json.code, res.json.error], [400, 20002, 'invalid_client']);
      assert.match(res.json.error_description ?? '', reason);
    });
  }

  test('a replayed jti is refused the second time', async () => {
    const assertion = signJwt(ec.privateKey, claims());
    assert.equal((await exchange(assertion)).status, 200);
    const replay = await exchange(assertion);
    assert.deepEqual([replay.status, replay.json.code, replay.json.error], [400, 20002, 'invalid_client']);
    assert.match(replay.json.error_description ?? '', /jti was used before/);
  });

  test('a wrong client_assertion_type is refused', async () => {
    const res = await exchange(signJwt(ec.privateKey, claims()), { client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:saml2-bearer' });
    assert.deepEqual([res.json.code, res.json.error], [20002, 'invalid_client']);
  });

  test('client_secret and client_assertion together are 20070', async () => {
    const res = await exchange(signJwt(ec.privateKey, claims()), { client_secret: DEFAULT_APP.appSecret });
    assert.deepEqual([res.status, res.json.code], [400, 20070]);
  });

  test('an app with no registered keys cannot use assertions', async () => {
    const plain = await startMockFeishu({ consent: 'auto' });
    try {
      const aud = new URL(plain.hosts.accounts).host;
      const res = await fetch(`${plain.hosts.accounts}/oauth/v3/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ grant_type: 'authorization_code', client_id: APP_ID, code: plain.issueCode(), client_assertion_type: ASSERTION_TYPE, client_assertion: signJwt(ec.privateKey, validClaims(APP_ID, aud)) }),
      });
      const json = (await res.json()) as { code: number; error_description: string };
      assert.equal(json.code, 20002);
      assert.match(json.error_description, /no registered assertion keys/);
    } finally {
      await plain.close();
    }
  });
});

describe('a provider that fails is a clear error, and nothing is sent', () => {
  const broken: Array<[string, ClientAssertionProvider, string]> = [
    [
      'throws',
      () => {
        throw new Error('signing service unreachable');
      },
      'provider_failed',
    ],
    ['rejects', () => Promise.reject(new Error('HSM says no')), 'provider_failed'],
    ["returns ''", () => '', 'empty_assertion'],
    ['returns { value: "" }', () => ({ value: '' }), 'empty_assertion'],
    ['returns nothing', (() => undefined) as unknown as ClientAssertionProvider, 'empty_assertion'],
    ['names an http:// proxy', () => ({ value: 'x.y.z', targetInfo: { targetService: 'http://proxy.example.com' } }), 'invalid_target'],
    // The strategy was not given allowLoopbackProxy: true.
    ['names a proxy on this machine', () => ({ value: 'x.y.z', targetInfo: { targetService: '127.0.0.1' } }), 'invalid_target'],
  ];
  for (const [name, fn, code] of broken) {
    test(`a provider that ${name}: sign-in is a ClientAssertionError (${code}), no request reached the token endpoint`, async () => {
      const { agent, errors } = keylessApp(fn);
      const before = mock.calls.v3Token;
      const res = await login(agent);
      assert.equal(res.status, 500);
      assert.equal(mock.calls.v3Token, before, 'no token request');
      assert.equal((res.body as ErrorBody).name, 'ClientAssertionError');
      const err = errors[0];
      assert.ok(err instanceof ClientAssertionError);
      assert.equal(err.code, code);
      assert.match(err.message, /no token request was sent|targetService must use https|targetService is a loopback or link-local address/);
    });
  }

  test('a failing refresh rejects with ClientAssertionError, and the provider\'s own message stays in `cause`', async () => {
    const { strategy } = keylessApp(() => {
      throw new Error('could not sign eyJsecret-ish.payload');
    });
    const before = mock.calls.v3Token;
    const err: unknown = await strategy.refreshAccessToken('some-refresh-token').catch((e: unknown) => e);
    assert.ok(err instanceof ClientAssertionError);
    assert.equal(err.code, 'provider_failed');
    assert.doesNotMatch(err.message, /eyJsecret/);
    assert.match(String((err.cause as Error).message), /could not sign/);
    assert.equal(mock.calls.v3Token, before);
  });
});

describe('the strategy refuses clientAssertion where Feishu does not take it', () => {
  const verify = () => undefined;
  const base = { clientID: APP_ID, clientAssertion: () => 'a.b.c' };
  for (const flow of [undefined, 'v1', 'v2', 'suite'] as const) {
    test(`flow ${flow ?? '(default v1)'} with clientAssertion is a TypeError`, () => {
      assert.throws(() => new FeishuStrategy({ ...base, flow } as unknown as FeishuStrategyOptions, verify), (err: unknown) => {
        assert.ok(err instanceof TypeError);
        assert.match(err.message, /clientAssertion works with flow 'v3' only/);
        return true;
      });
    });
  }
  test("appType 'store' with clientAssertion is a TypeError (keyless apps are self-built)", () => {
    assert.throws(() => new FeishuStrategy({ ...base, flow: 'v3', appType: 'store' } as unknown as FeishuStrategyOptions, verify), /self-built apps/);
  });
  test('a clientAssertion that is not a function is a TypeError', () => {
    assert.throws(() => new FeishuStrategy({ ...base, flow: 'v3', clientAssertion: 'a.b.c' } as unknown as FeishuStrategyOptions, verify), /must be a function/);
  });
  test('neither clientSecret nor clientAssertion is a TypeError naming both', () => {
    assert.throws(() => new FeishuStrategy({ clientID: APP_ID, flow: 'v3' } as unknown as FeishuStrategyOptions, verify), /clientSecret option .* or clientAssertion/);
  });
  test('flow v3 with clientAssertion and no secret constructs', () => {
    const strategy = new FeishuStrategy({ clientID: APP_ID, flow: 'v3', clientAssertion: () => 'a.b.c' }, verify);
    assert.equal(strategy.flow, 'v3');
  });
});

describe('the assertion never appears in an error', () => {
  function formsOf(secret: string): string[] {
    const json = (text: string) => JSON.stringify(text).slice(1, -1);
    return [secret, json(secret)].flatMap((sent) => [sent, encodeURIComponent(sent), new URLSearchParams({ s: sent }).toString().slice(2), json(sent)]);
  }
  function assertNoAssertion(where: string, text: string, assertions: readonly string[]): void {
    for (const secret of assertions) for (const form of formsOf(secret)) assert.ok(!text.includes(form), `${where} carries the assertion: …${form.slice(0, 8)}…`);
  }

  test('an upstream that echoes the exchange request: the error and the answer carry no assertion', async () => {
    const sent: string[] = [];
    const { agent, errors } = keylessApp((aud) => {
      const value = signJwt(ec.privateKey, validClaims(APP_ID, aud));
      sent.push(value);
      return value;
    });
    mock.inject('v3Token', { kind: 'echo' });
    const res = await login(agent);
    assert.equal(res.status, 500);
    assert.equal(sent.length, 1);
    assert.ok(mock.secrets().includes(sent[0] ?? ''), 'the mock saw the assertion');
    assert.match((res.body as ErrorBody).message, /\[redacted\]/);
    assertNoAssertion('the error', inspect(errors[0], { depth: 6 }), sent);
    assertNoAssertion("the app's answer", res.text, sent);
  });

  test('an upstream that echoes the refresh request: the rejection carries no assertion', async () => {
    const sent: string[] = [];
    const { agent, strategy } = keylessApp((aud) => {
      const value = signJwt(ec.privateKey, validClaims(APP_ID, aud));
      sent.push(value);
      return value;
    });
    const res = await login(agent);
    assert.equal(res.status, 200, res.text);
    mock.inject('v3Token', { kind: 'echo' });
    const err: unknown = await strategy.refreshAccessToken(res.body.refreshToken as string).catch((e: unknown) => e);
    assert.ok(err instanceof FeishuTokenError);
    assert.equal(sent.length, 2);
    assertNoAssertion('the refresh error', inspect(err, { depth: 6 }), sent);
  });
});

describe('GDPR proxy: where the request goes and what it carries (unit)', () => {
  test('targetService and targetPrefix give https://<service><prefix><token path>, slashes collapsed', () => {
    assert.equal(proxyURL({ targetService: 'proxy.example.org', targetPrefix: '/proxy/Lark' }, '/oauth/v3/token'), 'https://proxy.example.org/proxy/Lark/oauth/v3/token');
    assert.equal(proxyURL({ targetService: 'https://proxy.example.org:8443/', targetPrefix: '/p/' }, '/oauth/v3/token'), 'https://proxy.example.org:8443/p/oauth/v3/token');
    assert.equal(proxyURL({ targetService: 'https://proxy.example.org' }, '/oauth/v3/token'), 'https://proxy.example.org/oauth/v3/token');
  });

  const refused: Array<[string, { targetService: string; targetPrefix?: string }]> = [
    ['an http:// service', { targetService: 'http://proxy.example.org' }],
    ['another scheme', { targetService: 'ftp://proxy.example.org' }],
    ['user info', { targetService: 'https://user:pass@proxy.example.org' }],
    ['a path in the service', { targetService: 'https://proxy.example.org/gdpr' }],
    ['a query in the service', { targetService: 'https://proxy.example.org?x=1' }],
    ['an empty service', { targetService: '' }],
    ['a prefix without a leading /', { targetService: 'proxy.example.org', targetPrefix: 'gdpr' }],
    ['a prefix with ..', { targetService: 'proxy.example.org', targetPrefix: '/gdpr/../admin' }],
    ['a prefix with encoded ..', { targetService: 'proxy.example.org', targetPrefix: '/gdpr/%2E%2e' }],
    ['a prefix with a query', { targetService: 'proxy.example.org', targetPrefix: '/gdpr?x=' }],
  ];
  for (const [name, target] of refused) {
    test(`${name} is refused`, () => {
      assert.throws(() => proxyURL(target, '/oauth/v3/token'), (err: unknown) => err instanceof ClientAssertionError && err.code === 'invalid_target');
    });
  }

  test('X-Target-Service (the audience) is sent only through a proxy', async () => {
    const url = 'https://accounts.feishu.cn/oauth/v3/token';
    const direct = await assertionProof(() => 'a.b.c', APP_ID, url);
    assert.equal(direct.url, url);
    assert.equal(direct.headers, undefined);
    assert.deepEqual(direct.fields, { client_id: APP_ID, client_assertion_type: ASSERTION_TYPE, client_assertion: 'a.b.c' });
    const proxied = await assertionProof(() => ({ value: 'a.b.c', targetInfo: { targetService: 'gdpr.example.eu', targetPrefix: '/lark' } }), APP_ID, url);
    assert.equal(proxied.url, 'https://gdpr.example.eu/lark/oauth/v3/token');
    assert.deepEqual(proxied.headers, { 'X-Target-Service': 'accounts.feishu.cn' });
  });
});

describe('GDPR proxy over https: a loopback proxy with a certificate made at test time', () => {
  interface Seen {
    readonly url: string | undefined;
    readonly targetService: string | undefined;
    readonly body: Record<string, unknown>;
  }
  const cert = selfSignedCert('127.0.0.1');
  const seen: Seen[] = [];
  let proxyOrigin = '';
  let certFile = '';
  let dir = '';
  /** Forwards to the host named by X-Target-Service, as a GDPR proxy routes; anything else is 421. */
  const proxy = createHttpsServer({ key: cert.keyPem, cert: cert.certPem }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const target = req.headers['x-target-service'];
      seen.push({ url: req.url, targetService: typeof target === 'string' ? target : undefined, body: JSON.parse(body.toString('utf8') || '{}') as Record<string, unknown> });
      if (typeof target !== 'string' || !req.url?.startsWith('/gdpr/')) {
        res.writeHead(421, { 'content-type': 'application/json' }).end('{"error":"misdirected_request"}');
        return;
      }
      const upstream = httpRequest(
        new URL(req.url.slice('/gdpr'.length), `http://${target}`),
        { method: req.method, headers: { 'content-type': req.headers['content-type'] ?? '', 'content-length': body.length } },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      upstream.on('error', () => res.writeHead(502).end());
      upstream.end(body);
    });
  });

  before(async () => {
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    proxyOrigin = `https://127.0.0.1:${(proxy.address() as { port: number }).port}`;
    dir = await mkdtemp(join(tmpdir(), 'keyless-proxy-'));
    certFile = join(dir, 'proxy-ca.pem');
    await writeFile(certFile, cert.certPem);
  });
  after(async () => {
    proxy.closeAllConnections();
    await new Promise<void>((resolve) => proxy.close(() => resolve()));
    await rm(dir, { recursive: true, force: true });
  });
  beforeEach(() => {
    seen.length = 0;
  });

  /** Runs the refresh in a child process, trusting the proxy's certificate only when `trust` is set. */
  function refreshInChild(job: RefreshJob, trust: boolean): Promise<RefreshOutcome> {
    const env = { ...process.env };
    delete env.NODE_EXTRA_CA_CERTS;
    if (trust) env.NODE_EXTRA_CA_CERTS = certFile;
    const child = fork(join(__dirname, 'helpers', 'keyless-refresh-child.ts'), [], { execArgv: ['--import', 'tsx'], env, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    return new Promise<RefreshOutcome>((resolve, reject) => {
      child.once('message', (outcome: RefreshOutcome) => resolve(outcome));
      child.once('error', reject);
      child.once('exit', (code) => reject(new Error(`the child exited (${code}) without an answer`)));
      child.send(job);
    });
  }

  async function job(): Promise<RefreshJob> {
    const res = await login(keylessApp(provider()).agent);
    assert.equal(res.status, 200, res.text);
    return {
      hosts: mock.hosts,
      appId: APP_ID,
      keyPem: ec.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      targetService: proxyOrigin,
      targetPrefix: '/gdpr',
      refreshToken: res.body.refreshToken as string,
    };
  }

  test('the refresh goes to https://<targetService><targetPrefix>/oauth/v3/token with X-Target-Service: <audience>, and succeeds', async () => {
    const refresh = await job();
    const before = mock.calls.v3Token;
    const outcome = await refreshInChild(refresh, true);
    assert.deepEqual(outcome, { ok: true, scope: 'offline_access', audiences: [audience] });
    assert.equal(seen.length, 1);
    const [request] = seen;
    assert.equal(request?.url, '/gdpr/oauth/v3/token');
    assert.equal(request?.targetService, audience);
    assert.equal(typeof request?.body.client_assertion, 'string');
    assert.equal(request?.body.client_secret, undefined);
    assert.equal(mock.calls.v3Token, before + 1, 'the proxy delivered it to the accounts host');
  });

  test('a proxy whose certificate is not trusted gets nothing: the TLS handshake fails first', async () => {
    const outcome = await refreshInChild(await job(), false);
    assert.equal(outcome.ok, false);
    assert.deepEqual(outcome.ok ? [] : [outcome.name, outcome.cause], ['InternalOAuthError', 'network']);
    assert.equal(seen.length, 0);
  });
});
