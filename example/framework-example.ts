/**
 * What the Fastify, Koa and NestJS examples share: their settings, read from the environment
 * (real Feishu when FEISHU_APP_ID and FEISHU_APP_SECRET are set, otherwise a mock Feishu on
 * loopback), and the user they keep in the session.
 */
import { randomBytes } from 'node:crypto';
import type { FeishuFlow, FeishuHosts, FeishuProfile } from 'passport-feishu-oauth2';
import { DEFAULT_APP, startMockFeishu } from 'passport-feishu-oauth2/testing';
import type { ExampleLogger } from './log.js';

/** What each example builds its FeishuStrategy from. */
export interface FeishuSettings {
  clientID: string;
  clientSecret: string;
  /** 'feishu', 'lark', the mock's `hosts`, or one origin serving every Feishu path. */
  domain: string | FeishuHosts;
  /** Default '/auth/feishu/callback', resolved against the host the browser used. */
  callbackURL?: string;
  /** Trust X-Forwarded-Proto and X-Forwarded-Host when resolving a relative callbackURL (behind a proxy). */
  proxy?: boolean;
  /** Login protocol; default 'v1'. */
  flow?: FeishuFlow;
}

export interface FrameworkAppOptions {
  feishu: FeishuSettings;
  /** At least 32 characters (@fastify/session's minimum). */
  sessionSecret: string;
  /** Where failed requests are logged, with their reference. Default: the console. */
  logger?: ExampleLogger;
}

/** What the examples keep in the session: the Feishu identity, keyed on provider + id, never on email. */
export interface SignedInUser {
  provider: string;
  id: string;
  name: string;
}

export function signedInUser(profile: FeishuProfile): SignedInUser {
  return { provider: profile.provider, id: profile.id, name: profile.displayName };
}

/** A running example: `close` stops the app (and the mock). */
export interface RunningApp {
  close(): Promise<void>;
}

/**
 * Starts an example on PORT (default 3000) the way `npm run start:<framework>` does, and
 * stops it and the mock on Ctrl-C.
 */
export function runExample(framework: string, start: (options: FrameworkAppOptions, port: number) => Promise<RunningApp>): void {
  void (async () => {
    const env = process.env;
    const port = Number(env.PORT ?? 3000);
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`PORT must be a port number, got ${JSON.stringify(env.PORT)}`);
    const sessionSecret = env.SESSION_SECRET || randomBytes(32).toString('hex');
    if (Boolean(env.FEISHU_APP_ID) !== Boolean(env.FEISHU_APP_SECRET)) throw new Error('Set both FEISHU_APP_ID and FEISHU_APP_SECRET (real Feishu), or neither (mock mode).');
    const real = env.FEISHU_APP_ID && env.FEISHU_APP_SECRET;
    // Like the console's Security Settings: the mock accepts exactly this example's callback.
    const redirectUris = ['localhost', '127.0.0.1'].map((host) => `http://${host}:${port}/auth/feishu/callback`);
    const mock = real ? undefined : await startMockFeishu({ apps: [{ ...DEFAULT_APP, redirectUris }] });
    const feishu: FeishuSettings = mock
      ? { clientID: mock.app.appId, clientSecret: mock.app.appSecret, domain: mock.hosts }
      : { clientID: env.FEISHU_APP_ID ?? '', clientSecret: env.FEISHU_APP_SECRET ?? '', domain: env.FEISHU_DOMAIN || 'feishu', callbackURL: env.FEISHU_CALLBACK_URL || undefined };
    const app = await start({ feishu, sessionSecret }, port);
    console.log(mock ? `Mock mode: mock Feishu at ${mock.origin}.` : `Feishu mode: app ${feishu.clientID} on ${typeof feishu.domain === 'string' ? feishu.domain : feishu.domain.open}.`);
    console.log(`${framework} example: open http://localhost:${port}/ (Ctrl-C to stop)`);
    process.once('SIGINT', () => {
      void Promise.all([app.close(), mock?.close()]).then(() => process.exit(0));
    });
  })().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
