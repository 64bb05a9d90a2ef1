import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Request } from 'express';
import { FeishuStrategy, FeishuTokenError, type FeishuAuthenticateOptions, type FeishuFlow, type FeishuStrategyOptions } from '../lib/index.js';
import { DEFAULT_USERS, startMockFeishu, type MockFeishu } from '../lib/testing/index.js';
import { buildApp, consent, login } from './helpers/app.js';

/**
 * What `authenticate` does with the requests frameworks hand it, called the way Passport calls
 * it: on a per-request object whose redirect/fail/error Passport supplies.
 */

type Outcome =
  | { kind: 'redirect'; url: string }
  | { kind: 'fail'; message: string | undefined; status: number | undefined }
  | { kind: 'error'; err: Error };

let mock: MockFeishu;
before(async () => {
  mock = await startMockFeishu({ users: [DEFAULT_USERS[0]!, { ...DEFAULT_USERS[0]!, open_id: 'ou_no_tenant', tenant_key: '' }] });
});
after(() => mock.close());

function strategyFor(options: Partial<FeishuStrategyOptions> = {}): FeishuStrategy {
  return new FeishuStrategy(
    {
      clientID: mock.app.appId,
      clientSecret: mock.app.appSecret,
      domain: mock.hosts,
      callbackURL: 'http://localhost:3000/auth/feishu/callback',
      ...options,
    } as FeishuStrategyOptions,
    (_accessToken, _refreshToken, profile, done) => done(null, profile),
  );
}

function run(strategy: FeishuStrategy, req: Partial<Request>, options?: FeishuAuthenticateOptions): Promise<Outcome> {
  return new Promise((resolve) => {
    const probe = Object.create(strategy) as FeishuStrategy;
    probe.redirect = (url: string) => resolve({ kind: 'redirect', url });
    probe.fail = (challenge?: { message?: string }, status?: number) => resolve({ kind: 'fail', message: challenge?.message, status });
    probe.error = (err: Error) => resolve({ kind: 'error', err });
    probe.authenticate(req as Request, options);
  });
}

const request = (fields: Record<string, unknown>): Partial<Request> => ({ headers: { host: 'localhost:3000' }, url: '/login', ...fields }) as Partial<Request>;

describe('the sign-in start', () => {
  test('authenticate(req) without options redirects to Feishu, with or without a body parser', async () => {
    const strategy = strategyFor();
    for (const body of [undefined, null, {}]) {
      const outcome = await run(strategy, request({ query: {}, body }));
      assert.equal(outcome.kind, 'redirect', `body ${JSON.stringify(body)}`);
      assert.ok(outcome.kind === 'redirect' && outcome.url.startsWith(strategy.endpoints.authorization));
    }
  });

  test('tokenScope in flow v1 is a TypeError naming the option, before any redirect', async () => {
    const outcome = await run(strategyFor(), request({ query: {} }), { tokenScope: 'offline_access' });
    assert.equal(outcome.kind, 'error');
    assert.ok(outcome.kind === 'error' && outcome.err instanceof TypeError);
    assert.match(outcome.err.message, /\btokenScope\b/);
  });

  test('a malformed tokenScope in flow v2 is a TypeError naming the option', async () => {
    const outcome = await run(strategyFor({ flow: 'v2' }), request({ query: {} }), { tokenScope: '' });
    assert.ok(outcome.kind === 'error' && outcome.err instanceof TypeError);
    assert.match(outcome.err.message, /\btokenScope\b/);
  });
});

describe('a bad callback request', () => {
  test('a posted code that is not a string is refused with the README message, whatever the query', async () => {
    for (const query of [undefined, {}]) {
      const outcome = await run(strategyFor(), request({ query, body: { code: { nested: 'x' } } }));
      assert.deepEqual(outcome, { kind: 'fail', message: 'Invalid authorization code in the callback request.', status: 400 });
    }
  });

  test('an empty code in the query is refused with the README message', async () => {
    const outcome = await run(strategyFor(), request({ query: { code: '' } }));
    assert.deepEqual(outcome, { kind: 'fail', message: 'Invalid authorization code in the callback request.', status: 400 });
  });

  test('an OAuth error name in the callback is named in the failure', async () => {
    const outcome = await run(strategyFor(), request({ query: { error: 'server_error', error_description: 'ignore me' } }));
    assert.deepEqual(outcome, { kind: 'fail', message: 'Feishu did not sign you in (server_error). Please try again.', status: 400 });
  });

  for (const error of ['<b>server_error', 'server_error<b>', 'Server_Error', 'x'.repeat(65), ['server_error']]) {
    test(`an error that is not an OAuth error name (${JSON.stringify(error).slice(0, 20)}) is not echoed`, async () => {
      const outcome = await run(strategyFor(), request({ query: { error } }));
      assert.deepEqual(outcome, { kind: 'fail', message: 'Feishu did not sign you in. Please try again.', status: 400 });
    });
  }
});

describe('buildAuthorizationURL settles whatever the sign-in does', () => {
  test('a relative callbackURL and no Host header rejects, saying the sign-in could not start', async () => {
    const strategy = strategyFor({ callbackURL: '/auth/feishu/callback' });
    await assert.rejects(strategy.buildAuthorizationURL(request({ headers: {} }) as Request), {
      message: 'FeishuStrategy.buildAuthorizationURL: the sign-in could not start',
    });
  });

  /** An app's own strategy that ends some requests itself, as apps do for signed-in users. */
  class Shortcut extends FeishuStrategy {
    constructor(private readonly ending: 'success' | 'pass') {
      super({ clientID: mock.app.appId, clientSecret: mock.app.appSecret, domain: mock.hosts }, (_a, _r, profile, done) => done(null, profile));
    }
    override authenticate(): void {
      if (this.ending === 'success') this.success({ id: 'already-signed-in' });
      else this.pass();
    }
  }

  test('a strategy that signs the user in at once rejects rather than hangs', async () => {
    await assert.rejects(new Shortcut('success').buildAuthorizationURL(request({}) as Request), {
      message: 'FeishuStrategy.buildAuthorizationURL: unexpected sign-in',
    });
  });

  test('a strategy that passes rejects rather than hangs', async () => {
    await assert.rejects(new Shortcut('pass').buildAuthorizationURL(request({}) as Request), {
      message: 'FeishuStrategy.buildAuthorizationURL: unexpected pass',
    });
  });
});

describe('refreshAccessToken before any request', () => {
  for (const refreshToken of ['', undefined, 42]) {
    test(`rejects ${JSON.stringify(refreshToken)} as a TypeError`, async () => {
      await assert.rejects(strategyFor().refreshAccessToken(refreshToken as string), {
        name: 'TypeError',
        message: 'refreshAccessToken requires a refresh token',
      });
    });
  }

  for (const flow of ['v1', 'suite'] as FeishuFlow[]) {
    test(`a scope in flow ${flow} is a TypeError naming refreshAccessToken's option`, async () => {
      await assert.rejects(strategyFor({ flow }).refreshAccessToken('ur-0123456789abcdef', { scope: 'offline_access' }), (err: Error) => {
        assert.ok(err instanceof TypeError);
        assert.match(err.message, /refreshAccessToken\(\{ scope \}\)/);
        return true;
      });
    });
  }
});

describe('tenants', () => {
  test('an unset entry in tenants (an env var not defined) lets no tenant-less user in', async () => {
    const { agent } = buildApp(mock, { tenants: [DEFAULT_USERS[0]!.tenant_key, process.env.FEISHU_TENANT_NEVER_SET as string] });
    const res = await login(agent, 'allow', 1);
    assert.equal(res.headers.location, '/failed');
    assert.equal((await login(agent, 'allow', 0)).status, 200);
  });
});

describe("the app's own errors", () => {
  test('an error from the verify callback reaches the app as it is, even one that carries a Feishu error', async () => {
    // An app that wraps a failed Feishu call in its own error, after passport-oauth2's `oauthError` convention.
    const refused = new FeishuTokenError('Failed to refresh the access token', 'invalid_grant', { feishuCode: 20003, msg: 'code used', logId: undefined, feishuStatus: 200 });
    const appError = Object.assign(new Error('the account could not be linked'), { oauthError: refused });
    const strategy = new FeishuStrategy({ clientID: mock.app.appId, clientSecret: mock.app.appSecret, domain: mock.hosts, callbackURL: 'http://localhost:3000/auth/feishu/callback' }, (_a, _r, _profile, done) =>
      done(appError),
    );
    mock.consent = 'auto';
    try {
      const start = await run(strategy, request({ query: {} }));
      assert.ok(start.kind === 'redirect');
      const code = new URL(await consent(start.url)).searchParams.get('code');
      assert.ok(code, 'Feishu answered with a code');
      const outcome = await run(strategy, request({ query: { code } }));
      assert.ok(outcome.kind === 'error', JSON.stringify(outcome));
      assert.equal(outcome.err, appError);
    } finally {
      mock.consent = 'page';
    }
  });
});
