import { once } from 'node:events';
import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Store } from 'express-session';
import supertest from 'supertest';
import type { FeishuFlow } from 'passport-feishu-oauth2';
import { DEFAULT_APP, QR_SDK_PATH, startMockFeishu, type MockFeishu } from 'passport-feishu-oauth2/testing';
import { createExampleApp, type ExampleAppOptions, type ExampleFeishuOptions } from '../../example/app.js';
import { consent, pathOf } from './app.js';

export interface RunningExample {
  readonly mock: MockFeishu;
  /** `http://127.0.0.1:<port>` of the example app. */
  readonly base: string;
  /** Every line the example logged, prefixed with its level ('info ' or 'error '). */
  readonly logs: string[];
  /** A new visitor: a cookie jar of its own, over real HTTP. */
  visitor(): supertest.Agent;
  close(): Promise<void>;
}

export interface ExampleSetup {
  flow?: FeishuFlow;
  trustProxy?: number | string;
  appSecret?: string;
  /** What the example uses as `domain`; default the mock itself. A recording proxy goes here. */
  domain?: (mock: MockFeishu) => ExampleFeishuOptions['domain'] | Promise<ExampleFeishuOptions['domain']>;
  /** Show the QR panel (the mock's QR SDK stand-in) and register the QR callback too. */
  qr?: boolean;
  /** The session store; default express-session's memory store. */
  sessionStore?: Store;
  /** Rate limits; default limits high enough that no test meets them by accident. */
  rateLimits?: ExampleAppOptions['rateLimits'];
  /** Anything else the example takes (a rate-limit store, a demo-account store). */
  extra?: Partial<ExampleAppOptions>;
}

/** Limits no test reaches by accident: a test of the limiter sets its own. */
const GENEROUS_LIMITS = { password: 100_000, auth: 100_000, events: 100_000 } as const;

/**
 * The example app on 127.0.0.1 against a mock Feishu that knows only the example's exact
 * callback URL, with the example's log captured.
 */
export async function startExample(setup: ExampleSetup = {}): Promise<RunningExample> {
  const ready: { app?: RequestListener } = {};
  const server: Server = createServer((req, res) => ready.app?.(req, res));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const appSecret = setup.appSecret ?? DEFAULT_APP.appSecret;
  const mock = await startMockFeishu({ apps: [{ ...DEFAULT_APP, appSecret, redirectUris: [`${base}/auth/feishu/callback`, ...(setup.qr ? [`${base}/auth/feishu-qr/callback`] : [])] }] });
  const logs: string[] = [];
  const domain = setup.domain ? await setup.domain(mock) : mock.hosts;
  ready.app = createExampleApp({
    feishu: { appId: mock.app.appId, appSecret, domain, brand: 'feishu', flow: setup.flow, jssdkURL: `${mock.hosts.open}/mock/h5sdk.js`, qrSdkURL: setup.qr ? `${mock.hosts.open}${QR_SDK_PATH}` : undefined },
    sessionSecret: 'example-test-session-secret',
    mockOrigin: mock.origin,
    trustProxy: setup.trustProxy,
    sessionStore: setup.sessionStore,
    rateLimits: { ...GENEROUS_LIMITS, ...setup.rateLimits },
    ...setup.extra,
    logger: { info: (line) => logs.push(`info ${line}`), error: (line) => logs.push(`error ${line}`) },
  });
  return {
    mock,
    base,
    logs,
    visitor: () => supertest.agent(base),
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await mock.close();
    },
  };
}

/** What the example's own pages send on a POST: the browser marks it same-origin. */
export const SAME_ORIGIN = { 'sec-fetch-site': 'same-origin' } as const;

/**
 * A web sign-in as the browser makes it: /auth/feishu, the mock's consent page, the
 * callback. Resolves to the callback's answer (not followed).
 */
export async function feishuSignIn(agent: supertest.Agent, options: { user?: number; decision?: 'allow' | 'deny' } = {}) {
  const start = await agent.get('/auth/feishu');
  if (start.status !== 302) throw new Error(`/auth/feishu answered ${start.status}`);
  const callback = await consent(start.headers.location ?? '', options.decision ?? 'allow', options.user ?? 0);
  if (!callback) throw new Error('the mock did not redirect back');
  return agent.get(pathOf(callback));
}

/** A code as tt.requestAccess gets it inside the Feishu client. */
export async function inAppCode(mock: MockFeishu, origin = mock.origin): Promise<string> {
  const answer = (await (await fetch(`${origin}/mock/jsapi/code?app_id=${mock.app.appId}`)).json()) as { code?: unknown };
  if (typeof answer.code !== 'string') throw new Error('the mock gave no in-app code');
  return answer.code;
}
