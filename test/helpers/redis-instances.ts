import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import KeyvRedis from '@keyv/redis';
import { RedisStore } from 'connect-redis';
import express, { type ErrorRequestHandler, type RequestHandler } from 'express';
import session from 'express-session';
import Keyv from 'keyv';
import { Passport } from 'passport';
import { createClient } from 'redis';
import { feishuEventHandler, FeishuStrategy, type FeishuProfile, type FeishuStrategyOptions } from '../../lib/index.js';
import type { MockFeishu } from '../../lib/testing/index.js';

export interface InstanceOptions {
  /** 1, 2…: answered in the `x-instance` header so a test can tell who served a request. */
  readonly id: number;
  readonly mock: MockFeishu;
  readonly redisUrl: string;
  readonly appType?: 'internal' | 'store';
  /** Mount `POST /feishu/events` (feishuEventHandler) on this instance. */
  readonly events?: { encryptKey?: string; verificationToken?: string };
  readonly timeout?: number;
  /**
   * Redis clients that fail commands at once while disconnected (`disableOfflineQueue`)
   * instead of queueing them until Redis is back, which leaves requests hanging.
   */
  readonly failFast?: boolean;
  /** 'memory' keeps sessions in this instance only, so a test can take Redis away from the cache alone. */
  readonly sessions?: 'redis' | 'memory';
}

/** One app server as it would run in its own process: own Redis connections, own strategy, own port. */
export interface Instance {
  readonly id: number;
  readonly url: string;
  readonly strategy: FeishuStrategy;
  /** The strategy's `cache`: Keyv over @keyv/redis, exactly as the README tells users to write it. */
  readonly cache: Keyv;
  /** Whether both Redis connections (sessions, cache) are up. */
  ready(): boolean;
  close(): Promise<void>;
}

export const SESSION_SECRET = 'redis-test-session-secret';

export async function startInstance(options: InstanceOptions): Promise<Instance> {
  const { id, mock } = options;
  let closed = false;
  const clientOptions = {
    url: options.redisUrl,
    ...(options.failFast ? { disableOfflineQueue: true } : {}),
    // Reconnect while the instance runs (Redis may be restarted under it), never after close:
    // a client retrying forever would keep the test process alive.
    socket: { reconnectStrategy: (retries: number) => (closed ? new Error('instance closed') : Math.min(50 * (retries + 1), 500)) },
  };
  const keyvRedis = new KeyvRedis(clientOptions);
  const cache = new Keyv(keyvRedis);
  // Sessions in memory need no Redis connection, so such an instance can start while Redis is down.
  const sessionClient = options.sessions === 'memory' ? undefined : createClient(clientOptions);
  sessionClient?.on('error', () => undefined); // reconnects are reported through failed commands
  await sessionClient?.connect();

  const strategy = new FeishuStrategy(
    {
      clientID: mock.app.appId,
      clientSecret: mock.app.appSecret,
      domain: mock.hosts,
      callbackURL: '/auth/feishu/callback',
      state: true,
      appType: options.appType ?? 'internal',
      cache,
      timeout: options.timeout ?? 5000,
    } satisfies FeishuStrategyOptions,
    (_accessToken: string, _refreshToken: string, profile: FeishuProfile, done: (err: unknown, user?: Express.User) => void) => {
      done(null, { id: profile.id, name: profile.displayName });
    },
  );
  const passport = new Passport();
  passport.use(strategy);
  passport.serializeUser((user, done) => done(null, user));
  passport.deserializeUser((user: Express.User, done) => done(null, user));

  const app = express();
  app.set('env', 'test'); // Express's own error handler stays quiet about the outage test's errors
  app.use((_req, res, next) => {
    res.setHeader('x-instance', String(id));
    next();
  });
  if (options.events) app.post('/feishu/events', feishuEventHandler({ strategies: strategy, ...options.events }));
  app.use(
    session({
      store: sessionClient ? new RedisStore({ client: sessionClient, prefix: 'sess:' }) : new session.MemoryStore(),
      secret: SESSION_SECRET,
      resave: false,
      saveUninitialized: false,
    }),
  );
  app.use(passport.session());
  const login = passport.authenticate(strategy.name) as RequestHandler;
  const callback = passport.authenticate(strategy.name, { failureRedirect: '/failed', failureMessage: true }) as RequestHandler;
  app.get('/login', login);
  app.get('/auth/feishu/callback', callback, (req, res) => {
    res.json({ user: req.user });
  });
  app.get('/failed', (req, res) => {
    res.status(401).json({ messages: (req.session as { messages?: string[] }).messages ?? [] });
  });
  const onError: ErrorRequestHandler = (err: Error & { feishuCode?: number }, _req, res, next) => {
    // express-session reports a failed save after the response started: let Express close it.
    if (res.headersSent) return next(err);
    res.status(500).json({ name: err.name, message: err.message, feishuCode: err.feishuCode });
  };
  app.use(onError);

  const server: Server = createServer(app);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    id,
    url: `http://127.0.0.1:${port}`,
    strategy,
    cache,
    ready: () => {
      // @keyv/redis connects on first use: a client never opened is not waiting to reconnect.
      const keyvClient = keyvRedis.client as { isOpen?: unknown; isReady?: unknown };
      return (sessionClient?.isReady ?? true) && (keyvClient.isOpen !== true || keyvClient.isReady === true);
    },
    async close() {
      closed = true;
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      // destroy, not a graceful close: a client still trying to reach a stopped Redis would
      // otherwise keep reconnecting (and the process alive) after the test.
      await keyvRedis.disconnect(true);
      if (sessionClient?.isOpen) sessionClient.destroy();
    },
  };
}

/**
 * A browser for several origins on 127.0.0.1: one cookie jar (cookies ignore ports, so a
 * session cookie set by instance 1 goes to instance 2, as behind a load balancer).
 */
export class Browser {
  private readonly cookies = new Map<string, string>();

  get cookieHeader(): string {
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  }

  async get(url: string): Promise<Response> {
    const headers: Record<string, string> = {};
    if (this.cookies.size) headers.cookie = this.cookieHeader;
    const res = await fetch(url, { redirect: 'manual', headers, signal: AbortSignal.timeout(10_000) });
    for (const line of res.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const eq = pair?.indexOf('=') ?? -1;
      if (pair && eq > 0) this.cookies.set(pair.slice(0, eq).trim(), pair.slice(eq + 1).trim());
    }
    return res;
  }
}

/** Path and query of a URL. */
export function pathOf(url: string): string {
  const parsed = new URL(url);
  return parsed.pathname + parsed.search;
}

/**
 * A login started on `start` and completed on `finish`: GET /login, Feishu's authorize
 * page (the mock approves at once with `consent: 'auto'`), then the callback.
 */
export async function loginAcross(start: Instance, finish: Instance, browser = new Browser()): Promise<{ res: Response; body: unknown }> {
  const begin = await browser.get(`${start.url}/login`);
  await begin.arrayBuffer();
  if (begin.status !== 302) throw new Error(`/login on instance ${start.id} answered ${begin.status}`);
  const authorize = await fetch(begin.headers.get('location') ?? '', { redirect: 'manual', signal: AbortSignal.timeout(10_000) });
  await authorize.arrayBuffer();
  const callback = authorize.headers.get('location');
  if (authorize.status !== 302 || !callback) throw new Error(`the mock's authorize page answered ${authorize.status}`);
  const res = await browser.get(finish.url + pathOf(callback));
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON: keep the text
  }
  return { res, body };
}
