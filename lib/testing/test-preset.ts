/** Settings for tests of an app's own login routes against the mock Feishu. */
import type { FeishuHosts } from '../endpoints.js';
import { DEFAULT_APP } from './fixtures.js';
import { MockFeishu, type MockFeishuOptions } from './mock-feishu.js';

/**
 * The strategy's `timeout` in tests: 2 s, so a `hang` fault fails the sign-in well inside
 * Vitest's and Jest's 5 s test timeout, while a loaded CI machine still answers in time.
 */
export const TEST_TIMEOUT_MS = 2000;

/** `testMockOptions`' own option, beside the mock's. */
export interface TestMockOptions extends MockFeishuOptions {
  /** The path of your app's callback route. Default `/auth/feishu/callback`. */
  callbackPath?: string;
}

/** What `testStrategyOptions` gives: spread it into `new FeishuStrategy({ … })`. */
export interface TestStrategyOptions {
  /** The mock's three origins. */
  readonly domain: FeishuHosts;
  /** The mock's brand, so `profile.provider` is what it would be on Feishu or Lark. */
  readonly brand: 'feishu' | 'lark';
  /** The mock's first app. */
  readonly clientID: string;
  /** The mock's first app's secret. */
  readonly clientSecret: string;
  /** `TEST_TIMEOUT_MS`. */
  readonly timeout: number;
}

/**
 * Mock options for testing your own routes: the consent page (so Deny can be pressed), and
 * every app accepting your callback path on any port of `127.0.0.1` and `localhost`
 * (`http://127.0.0.1:*` + path), so an app listening on port 0 (as supertest does) can sign in.
 * Anything you pass is kept; your apps' own redirect URLs stay registered.
 */
export function testMockOptions(options: TestMockOptions = {}): MockFeishuOptions {
  const { callbackPath = '/auth/feishu/callback', ...mock } = options;
  if (!callbackPath.startsWith('/') || callbackPath.includes('*')) throw new TypeError(`testMockOptions: callbackPath must be a path starting with /, got ${JSON.stringify(callbackPath)}`);
  const loopback = [`http://127.0.0.1:*${callbackPath}`, `http://localhost:*${callbackPath}`];
  const apps = (mock.apps ?? [DEFAULT_APP]).map((app) => ({ ...app, redirectUris: [...app.redirectUris, ...loopback] }));
  return { consent: 'page', ...mock, apps };
}

/** Starts a mock Feishu with `testMockOptions(options)`. Close it with `mock.close()`. */
export function startTestFeishu(options: TestMockOptions = {}): Promise<MockFeishu> {
  const settings = testMockOptions(options);
  return new MockFeishu(settings).listen(settings.port ?? 0);
}

/**
 * The strategy options that point a `FeishuStrategy` at `mock` with its first app and
 * `TEST_TIMEOUT_MS`. Add your own `callbackURL` (a relative one is resolved from each request's
 * Host, so any port works), `flow`, `state`, and the rest.
 */
export function testStrategyOptions(mock: MockFeishu): TestStrategyOptions {
  return { domain: mock.hosts, brand: mock.brand, clientID: mock.app.appId, clientSecret: mock.app.appSecret, timeout: TEST_TIMEOUT_MS };
}
