import express, { type ErrorRequestHandler } from 'express';
import session from 'express-session';
import { Passport } from 'passport';
import supertest from 'supertest';
import { FeishuStrategy, type FeishuProfile, type FeishuStrategyOptions } from '../../lib/index.js';
import type { MockFeishu } from '../../lib/testing/index.js';

declare module 'express-session' {
  interface SessionData {
    messages?: string[];
  }
}

/** What the test app's error handler answers: the error as the app received it. */
export interface ErrorBody {
  name: string;
  message: string;
  feishuCode?: number;
  logId?: string;
  code?: string | number;
  oauthErrorKind?: string;
}

type Options = Partial<FeishuStrategyOptions> & Record<string, unknown>;

/**
 * An Express 5 app wired the way the README tells users to: express-session,
 * a fresh Passport instance, the login and callback routes, failureRedirect.
 */
export function buildApp(mock: MockFeishu, options: Options = {}) {
  const passport = new Passport();
  const strategy = new FeishuStrategy(
    {
      clientID: mock.app.appId,
      clientSecret: mock.app.appSecret,
      domain: mock.hosts,
      // Absolute, because supertest serves each request on a new ephemeral port.
      callbackURL: 'http://localhost:3000/auth/feishu/callback',
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
  app.get('/login', passport.authenticate(strategy.name));
  app.get(
    '/auth/feishu/callback',
    passport.authenticate(strategy.name, { failureRedirect: '/failed', failureMessage: true }),
    (req, res) => {
      res.json(req.user);
    },
  );
  // A page that starts the sign-in itself (a QR code's goto, a new window) asks for the URL.
  app.get('/authorize-url', (req, res, next) => {
    strategy.buildAuthorizationURL(req).then((url) => res.json({ url }), next);
  });
    // No failureRedirect: Passport answers a failure with the status the strategy gave it.
  app.get('/auth/feishu/callback-bare', passport.authenticate(strategy.name), (req, res) => {
    res.json(req.user);
  });
  app.get('/failed', (req, res) => {
    res.status(401).json({ messages: req.session.messages ?? [] });
  });
  /** Every error the app's error handler received, as it received it. */
  const errors: unknown[] = [];
  const onError: ErrorRequestHandler = (err: Error & Partial<ErrorBody> & { oauthError?: { kind?: string } }, _req, res, _next) => {
    errors.push(err);
    res.status(500).json({
      name: err.name,
      message: err.message,
      feishuCode: err.feishuCode,
      logId: err.logId,
      code: err.code,
      oauthErrorKind: err.oauthError?.kind,
    } satisfies ErrorBody);
  };
  app.use(onError);
  return { app, strategy, errors, agent: supertest.agent(app) };
}

/** The user's side of Feishu: open the authorize URL, press Allow or Deny, return the callback URL. */
export async function consent(authorizeURL: string, decision: 'allow' | 'deny' = 'allow', user = 0): Promise<string> {
  const page = await fetch(authorizeURL, { redirect: 'manual' });
  if (page.status === 302) return page.headers.get('location') ?? '';
  const html = await page.text();
  const requestId = /name="request" value="([^"]+)"/.exec(html)?.[1];
  if (!requestId) throw new Error(`no consent form in the authorize page (HTTP ${page.status}): ${html.slice(0, 300)}`);
  const answer = await fetch(new URL('/mock/authorize/decision', authorizeURL), {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ request: requestId, decision, user: String(user) }),
  });
  return answer.headers.get('location') ?? '';
}

/** Starts a sign-in on `agent` and returns the state the session now expects. */
export async function startState(agent: supertest.Agent): Promise<string> {
  const start = await agent.get('/login');
  const state = new URL(start.headers.location ?? '').searchParams.get('state');
  if (!state) throw new Error('the sign-in redirect carries no state');
  return state;
}

/** Path and query of a URL, for supertest. */
export function pathOf(url: string): string {
  const parsed = new URL(url);
  return parsed.pathname + parsed.search;
}

/** A whole login: sign-in redirect, consent, callback. Resolves to the callback's response. */
export async function login(agent: supertest.Agent, decision: 'allow' | 'deny' = 'allow', user = 0) {
  const start = await agent.get('/login');
  if (start.status !== 302) throw new Error(`sign-in route answered ${start.status}`);
  const callback = await consent(start.headers.location ?? '', decision, user);
  return agent.get(pathOf(callback));
}
