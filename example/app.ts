import path from 'node:path';
import express, { type ErrorRequestHandler, type Handler, type Request, type RequestHandler } from 'express';
import session, { type Store } from 'express-session';
import { Passport, type Authenticator } from 'passport';
import { Strategy as LocalStrategy } from 'passport-local';
import { FeishuStrategy, MemoryCache, type FeishuCache, type FeishuFlow, type FeishuHosts, type FeishuProfile, type VerifyCallback } from 'passport-feishu-oauth2';
import { Accounts, IdentityTakenError, identityOf, type Account, type Identity } from './accounts.js';
import { errorPage, failurePage, inAppPage, profilePage, signInPage, type Site } from './views.js';

declare module 'express-session' {
  interface SessionData {
    /** Where Passport's `failureMessage` option leaves the reason a sign-in failed. */
    messages?: string[];
  }
}

export interface ExampleFeishuOptions {
  appId: string;
  appSecret: string;
  /** 'feishu', 'lark', the mock's `hosts`, or one origin serving every path (a private deployment). */
  domain: string | FeishuHosts;
  /** With an origin as `domain`: the brand it plays (labels, profile.provider). Default from `domain`. */
  brand?: 'feishu' | 'lark';
  flow?: FeishuFlow;
  /** Default '/auth/feishu/callback' on the host the browser used. */
  callbackURL?: string;
  /** The H5 JSSDK that the in-app sign-in page loads. */
  jssdkURL: string;
}

export interface ExampleAppOptions {
  feishu: ExampleFeishuOptions;
  sessionSecret: string;
  /** Default: express-session's memory store, good for one process. */
  sessionStore?: Store;
  /** Keyv-compatible store for the app_access_token and the accounts. Default: memory. */
  cache?: FeishuCache;
  /** Set in mock mode: the pages say that Feishu is simulated. */
  mockOrigin?: string;
}

const DEMO = { username: 'demo', password: 'demo', name: 'Demo User' };

/**
 * A real app would declare `namespace Express { interface User extends Account {} }`; this
 * example shares one typecheck with the package's tests, so it narrows `req.user` here.
 */
function currentAccount(req: Request): Account | undefined {
  return req.user as Account | undefined;
}

/** Reads and clears what Passport's `failureMessage` left in the session. */
function takeMessages(req: Request): string[] {
  const messages = req.session.messages ?? [];
  delete req.session.messages;
  return messages;
}

function messageOf(info: unknown): string | undefined {
  if (typeof info === 'string') return info;
  if (info && typeof info === 'object' && 'message' in info && typeof info.message === 'string') return info.message;
  return undefined;
}

export function createExampleApp(options: ExampleAppOptions): express.Express {
  const { feishu } = options;
  const accounts = new Accounts(options.cache);
  // Both Feishu strategies share one app_access_token: one cache, one fetch.
  const tokenCache = options.cache ?? new MemoryCache();

  // An instance rather than the `passport` singleton, so tests can run several apps in one
  // process. @types/passport leaves authenticate()'s middleware `any`; it is a RequestHandler.
  const passport = new Passport() as Authenticator<Handler, RequestHandler>;
  passport.serializeUser<string>((user, done) => done(null, (user as Account).id));
  passport.deserializeUser<string>((id, done) => {
    accounts.get(id).then((account) => done(null, account ?? false), done);
  });

  /** Signed out: the account holding this identity (or a new one). Signed in: link it to that account. */
  async function signInOrLink(req: Request, identity: Identity): Promise<Account | { refused: string }> {
    const current = currentAccount(req);
    if (!current) return accounts.signIn(identity);
    try {
      return await accounts.link(current.id, identity);
    } catch (err) {
      if (err instanceof IdentityTakenError) return { refused: err.message };
      throw err;
    }
  }

  function verify(req: Request, _accessToken: string, _refreshToken: string, profile: FeishuProfile, done: VerifyCallback): void {
    // Keep the tokens (the refresh token especially) only if the app calls Feishu APIs as the user.
    signInOrLink(req, identityOf(profile)).then(
      (result) => ('refused' in result ? done(null, false, { message: result.refused }) : done(null, result)),
      done,
    );
  }

  const credentials = { clientID: feishu.appId, clientSecret: feishu.appSecret, domain: feishu.domain, brand: feishu.brand, flow: feishu.flow, cache: tokenCache };
  const web = new FeishuStrategy({ ...credentials, callbackURL: feishu.callbackURL ?? '/auth/feishu/callback', state: true, passReqToCallback: true }, verify);
  passport.use(web);
  // The strategy already knows the brand (from `domain`, or `brand` for the mock); the pages reuse it.
  const site: Site = { brand: web.brand === 'lark' ? 'Lark' : 'Feishu', mockOrigin: options.mockOrigin };
  // In-app codes come from tt.requestAccess, bound to no redirect URL: so no callbackURL (no
  // redirect_uri is sent) and no state (there is no redirect round trip to protect).
  passport.use(new FeishuStrategy({ ...credentials, name: 'feishu-inapp', state: false, passReqToCallback: true }, verify));

  passport.use(
    new LocalStrategy((username, password, done) => {
      if (username !== DEMO.username || password !== DEMO.password) {
        done(null, false, { message: 'Wrong username or password. The demo account is demo / demo.' });
        return;
      }
      accounts.signIn({ provider: 'local', id: DEMO.username, displayName: DEMO.name }).then((account) => done(null, account), done);
    }),
  );

  const app = express();
  app.disable('x-powered-by');
  app.use(express.static(path.join(__dirname, 'public'), { maxAge: '1h' }));
  app.use(
    session({
      name: 'acme.sid',
      secret: options.sessionSecret,
      store: options.sessionStore,
      resave: false,
      saveUninitialized: false,
      // 'lax' still sends the cookie on Feishu's redirect back (a top-level GET) but not on
      // cross-site POSTs. 'auto' marks it Secure over HTTPS (behind a proxy: app.set('trust proxy', 1)).
      cookie: { httpOnly: true, sameSite: 'lax', secure: 'auto', maxAge: 7 * 24 * 3600 * 1000 },
    }),
  );
  app.use(passport.session());

  app.get('/', (req, res) => res.redirect(currentAccount(req) ? '/profile' : '/login'));
  app.get('/login', (req, res) => {
    res.send(signInPage(site, takeMessages(req)));
  });
  app.post('/login/password', express.urlencoded({ extended: false, limit: '2kb' }), passport.authenticate('local', { successRedirect: '/profile', failureRedirect: '/login', failureMessage: true }));

  app.get('/auth/feishu', passport.authenticate('feishu'));
  app.get('/auth/feishu/callback', passport.authenticate('feishu', { successRedirect: '/profile', failureRedirect: '/login/failed', failureMessage: true }));
  app.get('/login/failed', (req, res) => {
    // The strategy fails a Deny (access_denied) with a message; the fallback covers a session lost on the way.
    res.send(failurePage(site, takeMessages(req).at(-1) ?? `You cancelled the ${site.brand} sign-in, or it could not finish.`));
  });

  app.get('/inapp', (_req, res) => {
    res.send(inAppPage(site, { appId: feishu.appId, jssdkURL: feishu.jssdkURL }));
  });
  // express.json() reads only application/json, which a cross-site form cannot send: no CSRF token needed.
  app.post('/auth/feishu/inapp', express.json({ limit: '4kb' }), (req, res, next) => {
    const code = (req.body as { code?: unknown } | undefined)?.code;
    if (typeof code !== 'string' || !code) {
      res.status(400).json({ error: 'POST {"code": "…"} from tt.requestAccess as JSON.' });
      return;
    }
    passport.authenticate('feishu-inapp', (err: unknown, user?: Express.User | false | null, info?: unknown) => {
      if (err) {
        next(err);
        return;
      }
      if (!user) {
        res.status(401).json({ error: messageOf(info) ?? `${site.brand} did not sign you in.` });
        return;
      }
      req.logIn(user, (loginErr: unknown) => {
        if (loginErr) {
          next(loginErr);
          return;
        }
        const account = user as Account;
        res.json({ user: { id: account.id, name: account.name } });
      });
    })(req, res, next);
  });

  app.get('/profile', (req, res) => {
    const account = currentAccount(req);
    if (!account) {
      res.redirect('/login');
      return;
    }
    res.set('cache-control', 'no-store').send(profilePage(site, account));
  });

  app.post('/logout', (req, res, next) => {
    req.logout((err: unknown) => (err ? next(err) : res.redirect('/login')));
  });

  const onError: ErrorRequestHandler = (err: unknown, req, res, next) => {
    console.error(err);
    // express-session can report a failed save after the redirect went out (a Redis outage).
    if (res.headersSent) {
      next(err);
      return;
    }
    const message = err instanceof Error ? err.message : 'Unexpected error.';
    if (req.path === '/auth/feishu/inapp') res.status(500).json({ error: message });
    else res.status(500).send(errorPage(site, message));
  };
  app.use(onError);
  return app;
}
