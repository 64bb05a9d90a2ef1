/**
 * `npm start`: the example app against real Feishu when FEISHU_APP_ID and FEISHU_APP_SECRET
 * are set, otherwise against the mock Feishu on loopback, so a login works with no account.
 */
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type RequestListener } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { BRAND_HOSTS, FLOWS, type FeishuFlow } from 'passport-feishu-oauth2';
import { DEFAULT_APP, QR_SDK_PATH, startMockFeishu, type MockFeishu } from 'passport-feishu-oauth2/testing';
import { createExampleApp, type ExampleFeishuOptions } from './app.js';
import { eventSecretsFromEnv } from './revocation.js';
import { redisBackends } from './redis.js';
import { createStatelessApp } from './stateless.js';

/**
 * The H5 JSSDK URL from Feishu's web-app guide (open.feishu.cn/document/client-docs/h5/);
 * newer 1.5.x builds are also served from lf-scm-cn.feishucdn.com/lark/op/.
 */
const FEISHU_JSSDK_URL = 'https://lf1-cdn-tos.bytegoofy.com/goofy/lark/op/h5-js-sdk-1.5.23.js';

function exit(message: string): never {
  console.error(message);
  process.exit(1);
}

function readPort(value: string | undefined): number {
  const port = Number(value ?? 3000);
  if (!Number.isInteger(port) || port < 0 || port > 65535) exit(`PORT must be a port number, got ${JSON.stringify(value)}`);
  return port;
}

function readFlow(value: string | undefined): FeishuFlow | undefined {
  if (value === undefined || value === '') return undefined;
  if (!Object.hasOwn(FLOWS, value)) exit(`FEISHU_FLOW must be one of ${Object.keys(FLOWS).join(', ')}, got ${JSON.stringify(value)}`);
  return value as FeishuFlow;
}

/**
 * TRUST_PROXY: how many proxies stand in front of the app (`1`), or their addresses
 * (`loopback`, `10.0.0.0/8`, comma-separated), in Express's `trust proxy` syntax.
 */
function readTrustProxy(value: string | undefined): number | string | undefined {
  if (value === undefined || value === '') return undefined;
  const setting = /^\d+$/.test(value) ? Number(value) : value;
  try {
    // Express checks the addresses when the setting is made; a throwaway app asks it now.
    express().set('trust proxy', setting);
  } catch {
    exit(`TRUST_PROXY must be the number of proxies in front of the app (e.g. 1) or their addresses (e.g. loopback or 10.0.0.0/8), got ${JSON.stringify(value)}`);
  }
  return setting;
}

/** Hides the password of a redis://user:password@host URL in the console. */
function redact(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(unparsable REDIS_URL)';
  }
}

async function main(): Promise<void> {
  const env = process.env;
  const port = readPort(env.PORT);
  const flow = readFlow(env.FEISHU_FLOW);
  const trustProxy = readTrustProxy(env.TRUST_PROXY);
  const lark = env.FEISHU_DOMAIN === 'lark';
  const { FEISHU_APP_ID: appId, FEISHU_APP_SECRET: appSecret, REDIS_URL: redisUrl } = env;
  if (Boolean(appId) !== Boolean(appSecret)) exit('Set both FEISHU_APP_ID and FEISHU_APP_SECRET (real Feishu), or neither (mock mode).');
  const stateless = env.STATE_STORE === 'cookie';
  if (env.STATE_STORE !== undefined && env.STATE_STORE !== '' && !stateless) exit(`STATE_STORE must be 'cookie' (no server session) or unset, got ${JSON.stringify(env.STATE_STORE)}`);
  if (redisUrl && !env.SESSION_SECRET) exit('REDIS_URL is set: set SESSION_SECRET too, the same on every instance, so they accept each other’s sessions.');

  // Listen first: the mock registers the callback URLs exactly, so it needs the port.
  // Until the app is ready (a moment later), requests get a 503 rather than no answer.
  const ready: { app?: RequestListener } = {};
  const server = createServer((req, res) => {
    if (ready.app) ready.app(req, res);
    else res.writeHead(503, { 'retry-after': '1' }).end('Starting');
  });
  server.listen(port);
  try {
    await once(server, 'listening');
  } catch (err) {
    exit(`Cannot listen on port ${port}: ${err instanceof Error ? err.message : String(err)}. Set PORT to another port.`);
  }
  const actualPort = (server.address() as AddressInfo).port;
  const url = `http://localhost:${actualPort}`;

  let mock: MockFeishu | undefined;
  let feishu: ExampleFeishuOptions;
  if (appId && appSecret) {
    feishu = { appId, appSecret, domain: env.FEISHU_DOMAIN || 'feishu', flow, callbackURL: env.FEISHU_CALLBACK_URL || undefined, qrCallbackURL: env.FEISHU_QR_CALLBACK_URL || undefined, jssdkURL: FEISHU_JSSDK_URL, qrSdkIntegrity: env.FEISHU_QR_SDK_INTEGRITY || undefined };
  } else {
    // Like Feishu's console, the mock accepts only the redirect URLs registered for the app.
    const redirectUris = ['localhost', '127.0.0.1'].flatMap((host) => ['feishu', 'feishu-qr'].map((name) => `http://${host}:${actualPort}/auth/${name}/callback`));
    // A Lark app is refused by Feishu's hosts and the other way round; the mock plays the brand asked for.
    const brand = lark ? 'lark' : 'feishu';
    mock = await startMockFeishu({ brand, apps: [{ ...DEFAULT_APP, brand, redirectUris }] });
    // The mock's stand-in for the QR SDK frames the mock's QR page, approved on its "phone" page.
    feishu = { appId: mock.app.appId, appSecret: mock.app.appSecret, domain: mock.hosts, brand, flow, jssdkURL: `${mock.hosts.open}/mock/h5sdk.js`, qrSdkURL: `${mock.hosts.open}${QR_SDK_PATH}` };
  }

  const redis = redisUrl && !stateless ? await redisBackends(redisUrl) : undefined;
  const sessionSecret = env.SESSION_SECRET || randomBytes(32).toString('hex');
  ready.app = stateless ? createStatelessApp({ feishu, sessionSecret }) : createExampleApp({
    feishu,
    sessionSecret,
    sessionStore: redis?.sessionStore,
    cache: redis?.cache,
    demoCache: redis?.demoCache,
    rateLimitStore: redis?.rateLimitStore,
    mockOrigin: mock?.origin,
    trustProxy,
    events: eventSecretsFromEnv(env),
  });
  const brand = lark ? 'Lark' : 'Feishu';

  if (mock) {
    console.log(`Mock mode: no FEISHU_APP_ID set — mock ${brand} at ${mock.hosts.open} (accounts host ${mock.hosts.accounts}, passport host ${mock.hosts.passport}); consent page with Allow / Deny, no account needed.`);
    console.log(`The mock accepts exactly these redirect URLs: ${mock.app.redirectUris.join(', ')}`);
  } else {
    const host = feishu.domain === 'feishu' || feishu.domain === 'lark' ? BRAND_HOSTS[feishu.domain].open : typeof feishu.domain === 'string' ? feishu.domain : feishu.domain.open;
    console.log(`${brand} mode: app ${feishu.appId} on ${host}, flow ${flow ?? 'v1'}.`);
    console.log(`Redirect URL to register under Security Settings: ${feishu.callbackURL ?? `${url}/auth/feishu/callback`}`);
    console.log(`For the QR code (scan-to-sign-in), also register: ${feishu.qrCallbackURL ?? `${url}/auth/feishu-qr/callback`}`);
  }
  if (stateless) console.log('STATE_STORE=cookie: no server session. The sign-in state is an encrypted cookie, the session a signed JWT cookie; instances share only SESSION_SECRET.');
  else console.log(redisUrl ? `Sessions, tokens, accounts and rate-limit counts: Redis at ${redact(redisUrl)}` : 'Sessions, tokens, accounts and rate-limit counts: in memory (set REDIS_URL to share them between instances).');
  if (!env.SESSION_SECRET) console.log('SESSION_SECRET not set: using a random one, so sessions end when the server stops.');
  if (trustProxy !== undefined) {
    // Express's `trust proxy fn` decides, for req.secure as for the redirect_uri (example/public-url.ts).
    const who = typeof trustProxy === 'number' ? `from the ${trustProxy} hop(s) in front of the app, whoever they are` : `only when the peer that sent them is in ${trustProxy}`;
    console.log(`TRUST_PROXY=${String(trustProxy)}: X-Forwarded-Proto/-Host are believed ${who}; a client that reaches the app directly cannot set them. The session cookie is Secure when the proxy says https.`);
  }
  else if (!mock) console.log('TRUST_PROXY not set: X-Forwarded-* headers are ignored. Behind a TLS proxy, set it so the session cookie gets Secure.');
  console.log(`\nOpen ${url}   (Ctrl-C to stop)`);

  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    console.log(`\n${signal}: stopping the app${mock ? ' and the mock' : ''}.`);
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    // Keep-alive connections from the browser would otherwise hold close() open.
    server.closeAllConnections();
    Promise.all([closed, mock?.close(), redis?.close()]).then(
      () => process.exit(0),
      (err: unknown) => {
        console.error(err);
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
