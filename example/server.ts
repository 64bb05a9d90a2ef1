/**
 * `npm start`: the example app against real Feishu when FEISHU_APP_ID and FEISHU_APP_SECRET
 * are set, otherwise against the mock Feishu on loopback, so a login works with no account.
 */
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { BRAND_HOSTS, FLOWS, type FeishuFlow } from 'passport-feishu-oauth2';
import { DEFAULT_APP, startMockFeishu, type MockFeishu } from 'passport-feishu-oauth2/testing';
import { createExampleApp, type ExampleFeishuOptions } from './app.js';
import { redisBackends } from './redis.js';

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
  const lark = env.FEISHU_DOMAIN === 'lark';
  const { FEISHU_APP_ID: appId, FEISHU_APP_SECRET: appSecret, REDIS_URL: redisUrl } = env;
  if (Boolean(appId) !== Boolean(appSecret)) exit('Set both FEISHU_APP_ID and FEISHU_APP_SECRET (real Feishu), or neither (mock mode).');
  if (redisUrl && !env.SESSION_SECRET) exit('REDIS_URL is set: set SESSION_SECRET too, the same on every instance, so they accept each other’s sessions.');

  let mock: MockFeishu | undefined;
  let feishu: ExampleFeishuOptions;
  if (appId && appSecret) {
    feishu = { appId, appSecret, domain: env.FEISHU_DOMAIN || 'feishu', flow, callbackURL: env.FEISHU_CALLBACK_URL || undefined, jssdkURL: FEISHU_JSSDK_URL };
  } else {
    // A Lark app is refused by Feishu's hosts and the other way round; the mock plays the brand asked for.
    mock = await startMockFeishu(lark ? { brand: 'lark', apps: [{ ...DEFAULT_APP, brand: 'lark' }] } : {});
    feishu = { appId: mock.app.appId, appSecret: mock.app.appSecret, domain: mock.hosts, brand: lark ? 'lark' : 'feishu', flow, jssdkURL: `${mock.origin}/mock/h5sdk.js` };
  }

  const redis = redisUrl ? await redisBackends(redisUrl) : undefined;
  const app = createExampleApp({
    feishu,
    sessionSecret: env.SESSION_SECRET || randomBytes(32).toString('hex'),
    sessionStore: redis?.sessionStore,
    cache: redis?.cache,
    mockOrigin: mock?.origin,
  });

  const server = createServer(app);
  server.listen(port);
  try {
    await once(server, 'listening');
  } catch (err) {
    await Promise.all([mock?.close(), redis?.close()]);
    exit(`Cannot listen on port ${port}: ${err instanceof Error ? err.message : String(err)}. Set PORT to another port.`);
  }
  const url = `http://localhost:${(server.address() as AddressInfo).port}`;
  const brand = lark ? 'Lark' : 'Feishu';

  if (mock) {
    // Like the console's Security Settings: the mock accepts exactly this app's callback.
    mock.app.redirectUris = [`${url}/auth/feishu/callback`, `http://127.0.0.1:${(server.address() as AddressInfo).port}/auth/feishu/callback`];
    console.log(`Mock mode: no FEISHU_APP_ID set — mock ${brand} at ${mock.origin} (consent page with Allow / Deny, no account needed).`);
  } else {
    const host = feishu.domain === 'feishu' || feishu.domain === 'lark' ? BRAND_HOSTS[feishu.domain].open : typeof feishu.domain === 'string' ? feishu.domain : feishu.domain.open;
    console.log(`${brand} mode: app ${feishu.appId} on ${host}, flow ${flow ?? 'v1'}.`);
    console.log(`Redirect URL to register under Security Settings: ${feishu.callbackURL ?? `${url}/auth/feishu/callback`}`);
  }
  console.log(redisUrl ? `Sessions, tokens and accounts: Redis at ${redact(redisUrl)}` : 'Sessions, tokens and accounts: in memory (set REDIS_URL to share them between instances).');
  if (!env.SESSION_SECRET) console.log('SESSION_SECRET not set: using a random one, so sessions end when the server stops.');
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
