import express, { type ErrorRequestHandler } from 'express';
import session from 'express-session';
import { Passport } from 'passport';
import supertest from 'supertest';
import { FeishuStrategy, type FeishuApp, type FeishuAppQuery, type FeishuProfile, type FeishuStrategyOptions } from '../../lib/index.js';
import { DEFAULT_APP, type MockApp, type MockFeishu } from '../../lib/testing/index.js';

/** The one callback every app's sign-in returns to (registered on each mock app). */
export const CALLBACK = 'http://localhost:3000/auth/feishu/callback';

/** A mock app of its own: id, secret and the shared callback registered. */
export function mockApp(appId: string, extra: Partial<MockApp> = {}): MockApp {
  return { ...DEFAULT_APP, appId, appSecret: `secret-of-${appId}-0123456789`, name: appId, redirectUris: [CALLBACK], ...extra };
}

/** A tenant: its subdomain-like name, and the app that signs its people in. */
export interface Tenant {
  readonly name: string;
  readonly app: FeishuApp;
}

/** The app a mock app is, for `resolveApp`: on `mock`'s hosts, with its brand. */
export function appOn(mock: MockFeishu, app: MockApp, extra: Partial<FeishuApp> = {}): FeishuApp {
  return { clientID: app.appId, clientSecret: app.appSecret, domain: mock.hosts, brand: mock.brand, ...extra };
}

type Options = Partial<FeishuStrategyOptions> & Record<string, unknown>;

/**
 * A SaaS app: `/t/:tenant/login` starts the sign-in of that tenant's app, one callback route
 * serves all of them. `resolveApp` reads the tenant table (by the path at the start, by the
 * saved app id at the callback); `queries` records what it was asked.
 */
export function buildManyApps(tenants: Tenant[], options: Options = {}, resolve?: (query: FeishuAppQuery) => FeishuApp | null | undefined | Promise<FeishuApp | null | undefined>) {
  const passport = new Passport();
  const queries: FeishuAppQuery[] = [];
  const byTable = (query: FeishuAppQuery): FeishuApp | undefined => {
    if (query.appId !== undefined) return tenants.find((t) => t.app.clientID === query.appId)?.app;
    const name = (query.req)?.params?.tenant;
    return tenants.find((t) => t.name === name)?.app;
  };
  const strategy = new FeishuStrategy(
    {
      resolveApp: (query: FeishuAppQuery) => {
        queries.push(query);
        return resolve ? resolve(query) : byTable(query);
      },
      callbackURL: CALLBACK,
      state: true,
      ...options,
    } as FeishuStrategyOptions,
    (accessToken: string, refreshToken: string, profile: FeishuProfile, done: (err: unknown, user?: Express.User) => void) => {
      done(null, { profile, accessToken, refreshToken });
    },
  );
  passport.use(strategy);
  passport.serializeUser((user, done) => done(null, user));
  passport.deserializeUser((user: Express.User, done) => done(null, user));

  const app = express();
  app.use(session({ secret: 'test-session-secret', resave: false, saveUninitialized: false }));
  app.use(passport.session());
  app.get('/t/:tenant/login', passport.authenticate(strategy.name));
  app.get('/t/:tenant/authorize-url', (req, res, next) => {
    strategy.buildAuthorizationURL(req).then((url) => res.json({ url }), next);
  });
  app.get('/auth/feishu/callback', passport.authenticate(strategy.name), (req, res) => {
    res.json(req.user);
  });
  const errors: unknown[] = [];
  const onError: ErrorRequestHandler = (err: Error, _req, res, _next) => {
    errors.push(err);
    res.status(500).json({ name: err.name, message: err.message });
  };
  app.use(onError);
  return { app, strategy, errors, queries, agent: supertest.agent(app) };
}
