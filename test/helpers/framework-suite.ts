import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import supertest from 'supertest';
import type { FeishuSettings, FrameworkAppOptions } from '../../example/framework-example.js';
import { DEFAULT_APP, startMockFeishu, type MockFeishu } from '../../lib/testing/index.js';
import { consent, pathOf } from './app.js';

/** An example app listening on 127.0.0.1 (a real HTTP server, a stable port). */
export interface RunningExample {
  readonly origin: string;
  close(): Promise<void>;
}

export interface FrameworkSuite {
  /** Builds the framework's example app with these options and listens on 127.0.0.1:0. */
  start: (options: FrameworkAppOptions) => Promise<RunningExample>;
  /**
   * The reason a failed sign-in shows the user, read from the callback's answer. Default:
   * a redirect to /login/failed, which lists Passport's `failureMessage`s.
   */
  /** Like `start`, with the framework's own trust-proxy setting on (Express `trust proxy`, Koa `app.proxy`), if it has one the strategy honours. */
  startTrustingProxy?: (options: FrameworkAppOptions) => Promise<RunningExample>;
  failureMessage?: (callback: supertest.Response, agent: supertest.Agent) => Promise<string>;
  /** The example answers errors itself (framework-errors.ts): a generic 5xx with a reference, details in its log. */
  answersErrors?: boolean;
}

/** The public origin of the app behind a TLS-terminating proxy, registered with the mock. */
const PUBLIC_ORIGIN = 'https://app.example.com';
const FORWARDED = { 'x-forwarded-proto': 'https', 'x-forwarded-host': 'app.example.com' };

const ACCESS_DENIED = "The sign-in was declined on Feishu's consent page (access_denied).";

async function failedRedirectMessage(callback: supertest.Response, agent: supertest.Agent): Promise<string> {
  assert.equal(callback.status, 302, `callback answered ${callback.status}: ${callback.text}`);
  assert.equal(callback.headers.location, '/login/failed');
  const failed = await agent.get('/login/failed');
  assert.equal(failed.status, 401);
  const messages = failed.body.messages as string[];
  return messages[messages.length - 1] ?? '';
}

/**
 * The sign-in tests every framework example passes, over real HTTP through the mock Feishu:
 * Allow, Deny, a forged state, a used code, and a relative callbackURL, directly and behind
 * a proxy (`proxy: true` with X-Forwarded-Proto/Host).
 */
export function frameworkSignInSuite(framework: string, suite: FrameworkSuite): void {
  const failureMessage = suite.failureMessage ?? failedRedirectMessage;
  let mock: MockFeishu;
  let running: RunningExample | undefined;
  /** What the running example logged, each line prefixed with its level. */
  const logs: string[] = [];

  before(async () => {
    // Each app listens on a free port: its callback is registered with a wildcard port.
    mock = await startMockFeishu({ apps: [{ ...DEFAULT_APP, redirectUris: ['http://127.0.0.1:*/auth/feishu/callback', `${PUBLIC_ORIGIN}/*`] }] });
  });
  after(async () => {
    await running?.close();
    await mock.close();
  });

  /** The one place that points the strategy at the mock Feishu. */
  function feishu(extra: Partial<FeishuSettings> = {}): FeishuSettings {
    return { clientID: mock.app.appId, clientSecret: mock.app.appSecret, domain: mock.hosts, ...extra };
  }

  /** A fresh app (and cookie jar) per test; the previous one is closed first. */
  async function app(extra: Partial<FeishuSettings> = {}, start = suite.start): Promise<{ origin: string; agent: supertest.Agent }> {
    await running?.close();
    running = undefined;
    logs.length = 0;
    const logger = { info: (line: string) => logs.push(`info ${line}`), error: (line: string) => logs.push(`error ${line}`) };
    running = await start({ feishu: feishu(extra), sessionSecret: 'a test session secret of at least 32 characters', logger });
    return { origin: running.origin, agent: supertest.agent(running.origin) };
  }

  /** Sign-in route → Feishu's page → Allow or Deny; returns the authorize URL and the callback URL Feishu sends the browser to. */
  async function toFeishuAndBack(agent: supertest.Agent, decision: 'allow' | 'deny' = 'allow', headers: Record<string, string> = {}) {
    const start = await agent.get('/auth/feishu').set(headers);
    assert.equal(start.status, 302, `sign-in answered ${start.status}: ${start.text}`);
    const authorize = new URL(start.headers.location ?? '');
    assert.ok(Object.values(mock.hosts).includes(authorize.origin), `authorize page at ${authorize.origin}`);
    return { authorize, callback: await consent(authorize.href, decision) };
  }

  describe(`${framework}: Feishu sign-in through the mock`, () => {
    test('Allow signs the user in, with the redirect URL resolved against the app own origin', async () => {
      const { origin, agent } = await app();
      assert.equal((await agent.get('/profile')).status, 401, 'nobody is signed in yet');
      const { authorize, callback } = await toFeishuAndBack(agent);
      assert.equal(authorize.searchParams.get('redirect_uri'), `${origin}/auth/feishu/callback`);
      assert.ok(authorize.searchParams.get('state'), 'state is on');
      const res = await agent.get(pathOf(callback));
      assert.equal(res.status, 302, `callback answered ${res.status}: ${res.text}`);
      assert.equal(res.headers.location, '/profile');
      const profile = await agent.get('/profile');
      assert.equal(profile.status, 200);
      const user = mock.users[0]!;
      assert.deepEqual(profile.body, { provider: 'feishu', id: user.open_id, name: user.name });
    });

    test('Deny ends in a failure with the reason, and nobody signed in', async () => {
      const { agent } = await app();
      const { callback } = await toFeishuAndBack(agent, 'deny');
      assert.equal(await failureMessage(await agent.get(pathOf(callback)), agent), ACCESS_DENIED);
      assert.equal((await agent.get('/profile')).status, 401);
    });

    test('a forged state is refused', async () => {
      const { agent } = await app();
      const { callback } = await toFeishuAndBack(agent);
      const forged = new URL(callback);
      forged.searchParams.set('state', 'forged');
      assert.equal(await failureMessage(await agent.get(pathOf(forged.href)), agent), 'Invalid authorization request state.');
      assert.equal((await agent.get('/profile')).status, 401);
    });

    test('a used code is a failure, even with a valid state', async () => {
      const { agent } = await app();
      const first = await toFeishuAndBack(agent);
      const used = new URL(first.callback).searchParams.get('code') ?? '';
      assert.equal((await agent.get(pathOf(first.callback))).status, 302);
      // A second sign-in puts a fresh state in the session; the callback replays the first code with it.
      const second = await toFeishuAndBack(agent);
      const replay = new URL(second.callback);
      replay.searchParams.set('code', used);
      assert.match(await failureMessage(await agent.get(pathOf(replay.href)), agent), /code 20003/);
    });

    test('a relative callbackURL is resolved the same on the callback (flow v2 checks the redirect_uri repeats)', async () => {
      const { origin, agent } = await app({ flow: 'v2' });
      const { authorize, callback } = await toFeishuAndBack(agent);
      assert.equal(authorize.searchParams.get('redirect_uri'), `${origin}/auth/feishu/callback`);
      const res = await agent.get(pathOf(callback));
      assert.equal(res.headers.location, '/profile', `callback answered ${res.status}: ${res.text}`);
      assert.equal((await agent.get('/profile')).body.id, mock.users[0]!.open_id);
    });

    test('behind a proxy, proxy: true builds the redirect URL from X-Forwarded-Proto and -Host', async () => {
      const { agent } = await app({ proxy: true, flow: 'v2' });
      const { authorize, callback } = await toFeishuAndBack(agent, 'allow', FORWARDED);
      assert.equal(authorize.searchParams.get('redirect_uri'), `${PUBLIC_ORIGIN}/auth/feishu/callback`);
      assert.ok(callback.startsWith(`${PUBLIC_ORIGIN}/auth/feishu/callback?`), callback);
      // The proxy hands the browser's callback to the app with the same headers.
      const res = await agent.get(pathOf(callback)).set(FORWARDED);
      assert.equal(res.headers.location, '/profile', `callback answered ${res.status}: ${res.text}`);
      assert.equal((await agent.get('/profile')).body.id, mock.users[0]!.open_id);
    });

    test('without proxy: true, X-Forwarded-* headers are ignored', async () => {
      const { origin, agent } = await app();
      const { authorize } = await toFeishuAndBack(agent, 'allow', FORWARDED);
      assert.equal(authorize.searchParams.get('redirect_uri'), `${origin}/auth/feishu/callback`);
    });

    if (suite.answersErrors) {
      const MSG = 'FEISHU-MSG-MARKER-7c3e';
      test('Feishu refusing the app: a 502 with a fixed text and a reference; message, code and setup hint only in the log', async () => {
        const { agent } = await app();
        mock.inject('v1Token', { kind: 'error', code: 20029, msg: MSG });
        const { callback } = await toFeishuAndBack(agent);
        const res = await agent.get(pathOf(callback));
        assert.equal(res.status, 502, `callback answered ${res.status}: ${res.text}`);
        assert.match(String(res.body.error), /We could not sign you in/);
        assert.match(String(res.body.reference), /^[0-9a-f]{12}$/);
        assert.match(String(res.body.feishuLogId), /^[0-9A-Za-z]{20,64}$/, "Feishu's log id, for support");
        assert.ok(!res.text.includes(MSG), "Feishu's message is not shown");
        assert.doesNotMatch(res.text, /20029|Security Settings|redirect URL|FeishuTokenError|stack/i);
        const line = logs.find((l) => l.includes(String(res.body.reference))) ?? '';
        assert.ok(line.startsWith('error '), 'logged as an error under the reference');
        assert.ok(line.includes(MSG) && line.includes('"feishuCode":20029'), line);
        assert.ok(!line.includes(mock.app.appSecret), 'the app secret is cut out of the log');
      });

      test("Feishu refusing the app's own credentials (HTTP 200, code 10014): a 502, not the 200 of Feishu's answer", async () => {
        const { agent } = await app();
        mock.inject('appAccessToken', { kind: 'error', code: 10014, msg: MSG });
        const { callback } = await toFeishuAndBack(agent);
        const res = await agent.get(pathOf(callback));
        assert.equal(res.status, 502, `callback answered ${res.status}: ${res.text}`);
        assert.ok(!res.text.includes(MSG));
        assert.ok(logs.some((l) => l.includes(String(res.body.reference)) && l.includes(MSG)));
      });

      test('an HTML page instead of Feishu JSON: still a 502 with a reference, never 200', async () => {
        const { agent } = await app();
        mock.inject('v1Token', { kind: 'html' });
        const { callback } = await toFeishuAndBack(agent);
        const res = await agent.get(pathOf(callback));
        assert.equal(res.status, 502, `callback answered ${res.status}: ${res.text}`);
        assert.deepEqual(Object.keys(res.body as object).sort(), ['error', 'feishuLogId', 'reference']);
      });
    }

    const { startTrustingProxy } = suite;
    if (startTrustingProxy) {
      test("the framework's own trust-proxy setting counts as proxy: true", async () => {
        const { origin } = await app({ flow: 'v2' }, startTrustingProxy);
        // Seeing HTTPS through the proxy, a framework may mark the session cookie Secure (Koa does),
        // which a cookie jar would not send back over this test's plain HTTP: carry it by hand.
        const start = await supertest(origin).get('/auth/feishu').set(FORWARDED);
        const authorize = new URL(start.headers.location ?? '');
        assert.equal(authorize.searchParams.get('redirect_uri'), `${PUBLIC_ORIGIN}/auth/feishu/callback`);
        const cookies = ([] as string[]).concat(start.headers['set-cookie'] ?? []);
        const cookie = cookies.map((c) => c.split(';', 1)[0]).join('; ');
        const callback = await consent(authorize.href);
        const res = await supertest(origin).get(pathOf(callback)).set(FORWARDED).set('cookie', cookie);
        assert.equal(res.headers.location, '/profile', `callback answered ${res.status}: ${res.text}`);
      });
    }
  });
}
