import { createHash, timingSafeEqual } from 'node:crypto';
import path from 'node:path';
import express, { type ErrorRequestHandler, type Handler, type Request, type RequestHandler, type Response } from 'express';
import session, { type Store } from 'express-session';
import { Passport, type AuthenticateOptions, type Authenticator } from 'passport';
import { Strategy as LocalStrategy } from 'passport-local';
import {
  BRAND_HOSTS,
  FeishuStrategy,
  MemoryCache,
  type FeishuCache,
  type FeishuAuthenticateOptions,
  type FeishuCommonOptions,
  type FeishuFlow,
  type FeishuProfile,
  type VerifyCallback,
} from 'passport-feishu-oauth2';
import { Accounts, IdentityTakenError, identityOf, type Account, type Identity } from './accounts.js';
import { classifyFailure, failureFields, failureText, isFailureReason, type FailureReason } from './failures.js';
import { parseBody, sameOriginOnly } from './guards.js';
import { forgetLinkIntent, LINK_PATH, linkRoute, takeLinkIntent } from './linking.js';
import { EVENTS_PATH, rateLimiters, type RateLimitSettings, type RateLimitStoreFactory } from './rate-limits.js';
import { originOf, securityHeaders } from './security-headers.js';
import { callbackURLOf } from './public-url.js';
import { incidentOf, logLine, scrub, type ExampleLogger } from './log.js';
import { errorPage, failurePage, inAppPage, profilePage, signInPage, type Site } from './views.js';
import { Revocations, type EventSecrets } from './revocation.js';

export type { ExampleLogger } from './log.js';

export interface ExampleFeishuOptions {
  appId: string;
  appSecret: string;
  /** 'feishu', 'lark', or the origin(s) of the mock (or of a private deployment). */
  domain: NonNullable<FeishuCommonOptions['domain']>;
  /** With an origin as `domain`: the brand it plays (labels, profile.provider). Default from `domain`. */
  brand?: 'feishu' | 'lark';
  flow?: FeishuFlow;
  /** Default '/auth/feishu/callback' on the host the browser used. */
  callbackURL?: string;
  /** The H5 JSSDK that the in-app sign-in page loads. */
  jssdkURL: string;
  /**
   * Feishu's web QR SDK (LarkSSOSDKWebQRCode-1.0.3.js) for the sign-in page's QR panel.
   * Default: Feishu's or Lark's CDN copy when `domain` is 'feishu' or 'lark'; with an origin
   * as `domain` (the mock, a private deployment) no QR panel unless this is set.
   */
  qrSdkURL?: string;
  /**
   * Subresource Integrity for `qrSdkURL` (`sha384-…`): the browser then runs the SDK only if it
   * is byte for byte the file you hashed. The SDK URL is versioned (1.0.3), so the file should
   * not change, but Feishu publishes no hash: compute it from the file you reviewed. Needs the
   * CDN to answer with CORS headers (crossorigin="anonymous"); unverified for Feishu's CDN.
   */
  qrSdkIntegrity?: string;
  /** Default '/auth/feishu-qr/callback' on the host the browser used. */
  qrCallbackURL?: string;
}

/** The QR SDK script on Feishu's and Lark's CDNs (feishu-api.md §5, §6.2). */
export const QR_SDK_URLS = {
  feishu: 'https://lf-package-cn.feishucdn.com/obj/feishu-static/lark/passport/qrcode/LarkSSOSDKWebQRCode-1.0.3.js',
  lark: 'https://lf-package-us.larksuitecdn.com/obj/lark-static-us/lark/passport/qrcode/LarkSSOSDKWebQRCode-1.0.3.js',
} as const;

export interface ExampleAppOptions {
  feishu: ExampleFeishuOptions;
  sessionSecret: string;
  /** Default: express-session's memory store, good for one process. */
  sessionStore?: Store;
  /** Keyv-compatible store for the app_access_token and the accounts. Default: memory. */
  cache?: FeishuCache;
  /** Where demo-password accounts live, apart from real ones. Default: memory, 10,000 accounts. */
  demoCache?: FeishuCache;
  /** Set in mock mode: the pages say that Feishu is simulated. */
  mockOrigin?: string;
  /**
   * Express's `trust proxy` (TRUST_PROXY): the number of proxies in front of the app, or
   * their addresses ('loopback', '10.0.0.0/8'). Then `X-Forwarded-Proto: https` makes the
   * session cookie `Secure`. Unset, no forwarded header is believed.
   */
  trustProxy?: number | string;
  /** Where errors and failed sign-ins are logged. Default: the console. */
  logger?: ExampleLogger;
  /** Requests per client address and window (rate-limits.ts); default DEFAULT_RATE_LIMITS. */
  rateLimits?: Partial<RateLimitSettings>;
  /** Where the rate limits count; default this process's memory. Several instances: one shared store (Redis). */
  rateLimitStore?: RateLimitStoreFactory;
  /** The console's event secrets: mounts `POST /feishu/events`, where revocations end sessions (example/revocation.ts). */
  events?: EventSecrets;
}

const DEMO = { username: 'demo', password: 'demo' };

/**
 * A session starts short: anyone can start a sign-in (GET /auth/feishu saves a state nonce),
 * and an abandoned one should not hold storage for a week. A completed sign-in gets the
 * full life.
 */
export const SESSION_LIFETIME_MS = { signingIn: 10 * 60 * 1000, signedIn: 7 * 24 * 3600 * 1000 } as const;

const JSON_ROUTE = '/auth/feishu/inapp';
/** A Feishu mini-program posts its tt.login code here (docs/mini-program.md). */
const MINI_PROGRAM_ROUTE = '/auth/feishu/mini-program';

/** The strategy refuses longer codes too; checking here keeps this route's own answer. */
const MAX_CODE_LENGTH = 2048;

/**
 * A real app would declare `namespace Express { interface User extends Account {} }`; this
 * example shares one typecheck with the package's tests, so it narrows `req.user` here.
 */
function currentAccount(req: Request): Account | undefined {
  return req.user as Account | undefined;
}

/** Compares without leaking, through timing, how much of the guess was right. */
function sameSecret(given: string, expected: string): boolean {
  // Equal-length digests, as timingSafeEqual needs.
  return timingSafeEqual(createHash('sha256').update(given).digest(), createHash('sha256').update(expected).digest());
}

/** Every `code` this request carries (query and body), so the log can cut them out. */
function codesOf(req: Request): string[] {
  const body: unknown = req.body;
  const found = [(req.query as Record<string, unknown>).code, body && typeof body === 'object' ? (body as Record<string, unknown>).code : undefined];
  return found.flat().filter((value): value is string => typeof value === 'string');
}

export function createExampleApp(options: ExampleAppOptions): express.Express {
  const { feishu } = options;
  const logger: ExampleLogger = options.logger ?? console;
  const accounts = new Accounts(options.cache, options.demoCache);
  // Both Feishu strategies share one app_access_token: one cache, one fetch.
  const tokenCache = options.cache ?? new MemoryCache();
  const secretsOf = (req: Request): string[] => [feishu.appSecret, options.sessionSecret, ...codesOf(req)];

  // An instance rather than the `passport` singleton, so tests can run several apps in one
  // process. @types/passport leaves authenticate()'s middleware `any`; it is a RequestHandler.
  const passport = new Passport() as Authenticator<Handler, RequestHandler>;
  const revocations = new Revocations(options.cache);
  // Every sign-in passes here (req.logIn, in the freshly regenerated session): the one place
  // that gives a signed-in session its full life, and notes when it signed in.
  passport.serializeUser<string, Request>((req, user, done) => {
    req.session.cookie.maxAge = SESSION_LIFETIME_MS.signedIn;
    revocations.stampSession(req);
    done(null, (user as Account).id);
  });
  passport.deserializeUser<string>((id, done) => {
    accounts.get(id).then((account) => done(null, account ?? false), done);
  });

  /**
   * The account holding this identity (or a new one), which then replaces the session; or,
   * when the signed-in visitor asked for it on /profile (linking.ts), that account with the
   * identity linked. Never a silent link: that would let anyone who can finish a sign-in in
   * the victim's browser attach their own Feishu account to the victim's account.
   */
  async function signInOrLink(req: Request, identity: Identity, mayLink: boolean): Promise<Account | { refused: FailureReason }> {
    const current = currentAccount(req);
    if (!current || !mayLink || !takeLinkIntent(req, current.id)) return accounts.signIn(identity);
    try {
      return await accounts.link(current.id, identity);
    } catch (err) {
      if (err instanceof IdentityTakenError) return { refused: 'taken' };
      throw err;
    }
  }

  /** The verify callback; only the button's strategy may link (the QR code and in-app sign-in only sign in). */
  const verifier =
    (mayLink: boolean) =>
    (req: Request, _accessToken: string, _refreshToken: string, profile: FeishuProfile, done: VerifyCallback): void => {
      // Keep the tokens (the refresh token especially) only if the app calls Feishu APIs as the user.
      revocations.noteSignIn(req, identityOf(profile));
      signInOrLink(req, identityOf(profile), mayLink).then(
        (result) => ('refused' in result ? done(null, false, { reason: result.refused }) : done(null, result)),
        done,
      );
    };
  const verify = verifier(false);

  const credentials = { clientID: feishu.appId, clientSecret: feishu.appSecret, domain: feishu.domain, brand: feishu.brand, flow: feishu.flow, cache: tokenCache };
  /** Each strategy's callback URL, resolved per request by Express's trust proxy rules (public-url.ts). */
  const CALLBACKS = { feishu: feishu.callbackURL ?? '/auth/feishu/callback', 'feishu-qr': feishu.qrCallbackURL ?? '/auth/feishu-qr/callback' } as const;
  const web = new FeishuStrategy({ ...credentials, callbackURL: CALLBACKS.feishu, state: true, passReqToCallback: true }, verifier(true));
  passport.use(web);
  // The strategy already knows the brand (from `domain`, or `brand` for the mock); the pages reuse it.
  const site: Site = { brand: web.brand === 'lark' ? 'Lark' : 'Feishu', mockOrigin: options.mockOrigin };
  // In-app codes come from tt.requestAccess, bound to no redirect URL: so no callbackURL (no
  // redirect_uri is sent) and no state (there is no redirect round trip to protect).
  passport.use(new FeishuStrategy({ ...credentials, name: 'feishu-inapp', state: false, passReqToCallback: true }, verify));
  // A mini-program's code comes from tt.login and is exchanged through tokenLoginValidate: no redirect, no state.
  passport.use(new FeishuStrategy({ ...credentials, name: 'feishu-mini-program', flow: 'mini-program', passReqToCallback: true }, verify));
  // Scan-to-sign-in: the QR SDK's goto is the suite authorize URL (the official sample's), so
  // this strategy uses the suite flow whatever `flow` the button uses. Its own session key keeps
  // its state apart from the button's when both authorize pages share a host (the mock).
  const qrSdkURL = feishu.qrSdkURL ?? (feishu.domain === 'feishu' || feishu.domain === 'lark' ? QR_SDK_URLS[feishu.domain] : undefined);
  const qr = new FeishuStrategy(
    { ...credentials, flow: 'suite', name: 'feishu-qr', sessionKey: 'oauth2:feishu-qr', callbackURL: CALLBACKS['feishu-qr'], state: true, passReqToCallback: true },
    verify,
  );
  passport.use(qr);

  passport.use(
    new LocalStrategy((username, password, done) => {
      const known = [sameSecret(username, DEMO.username), sameSecret(password, DEMO.password)];
      if (!known.every(Boolean)) {
        done(null, false);
        return;
      }
      accounts.createDemo().then((account) => done(null, account), done);
    }),
  );

  /** Logs a failed sign-in (the strategy's message, never the query's) and returns its reason. */
  function failed(req: Request, info: unknown, status: unknown): FailureReason {
    const reason = classifyFailure(req, info, status);
    const fields = failureFields(req, reason, info, status);
    if (typeof fields.message === 'string') fields.message = scrub(fields.message, secretsOf(req));
    logger.info(logLine('sign-in failed', { route: `${req.method} ${req.path}`, ...fields }));
    return reason;
  }

  const crossSitePage = (res: Response): void => {
    res.status(403).send(errorPage(site, { title: 'Request refused', text: 'This request came from another site, so it was refused.' }));
  };
  const crossSiteJson = (res: Response): void => {
    res.status(403).json({ error: 'This request came from another site, so it was refused.' });
  };
  const badBodyPage = (res: Response, status: 400 | 413): void => {
    res.status(status).send(errorPage(site, { title: 'Request refused', text: status === 413 ? 'The form you sent is too large.' : 'The form you sent could not be read.' }));
  };
  const badBodyJson = (res: Response, status: 400 | 413): void => {
    res.status(status).json({ error: status === 413 ? 'The request body is too large.' : 'The request body could not be read.' });
  };

  const app = express();
  app.disable('x-powered-by');
  // Behind a TLS-terminating proxy, req.secure (and so the cookie's Secure flag below) and
  // passport-oauth2's relative callbackURL come from X-Forwarded-Proto/-Host only with this.
  if (options.trustProxy !== undefined) app.set('trust proxy', options.trustProxy);
  const feishuHosts = feishu.domain === 'feishu' || feishu.domain === 'lark' ? BRAND_HOSTS[feishu.domain] : typeof feishu.domain === 'string' ? { open: feishu.domain, accounts: feishu.domain, passport: feishu.domain } : feishu.domain;
  app.use(
    securityHeaders({
      scripts: [...originOf(qrSdkURL), ...originOf(feishu.jssdkURL)],
      frames: qrSdkURL ? originOf(feishuHosts.passport) : [],
      connects: originOf(feishu.jssdkURL),
      images: originOf(options.mockOrigin),
      // The authorize pages of every flow (open.* v1, accounts.* v2/v3, passport.* suite).
      forms: [feishuHosts.open, feishuHosts.accounts, feishuHosts.passport].flatMap(originOf),
    }),
  );
  // Before the session: a refused request costs no session and no store write.
  const limits = rateLimiters(options.rateLimits, options.rateLimitStore, (req, res) => {
    const text = 'Too many attempts from your network. Please wait a few minutes and try again.';
    // Under app.use('/auth'), req.path is the part after the mount point.
    const route = req.baseUrl + req.path;
    if (route === JSON_ROUTE || route === MINI_PROGRAM_ROUTE || route.startsWith('/auth/feishu-qr/goto') || route.startsWith(EVENTS_PATH)) res.status(429).json({ error: text });
    else res.status(429).send(errorPage(site, { title: 'Too many attempts', text }));
  });
  app.post('/login/password', limits.password);
  app.use('/auth', limits.auth);
  app.use(EVENTS_PATH, limits.events);
  app.use(express.static(path.join(__dirname, 'public'), { maxAge: '1h' }));
  app.use(
    session({
      name: 'acme.sid',
      secret: options.sessionSecret,
      store: options.sessionStore,
      resave: false,
      // No session, and no cookie, until a sign-in starts: page views by anonymous visitors
      // cost no storage and hand out no identifier.
      saveUninitialized: false,
      // 'lax' still sends the cookie on Feishu's redirect back (a top-level GET) but not on
      // cross-site POSTs. 'auto' marks it Secure when req.secure: HTTPS, or behind a trusted
      // proxy that says X-Forwarded-Proto: https.
      // maxAge: short until a sign-in completes (SESSION_LIFETIME_MS); the store keeps a session as long.
      cookie: { httpOnly: true, sameSite: 'lax', secure: 'auto', maxAge: SESSION_LIFETIME_MS.signingIn },
    }),
  );
  app.use(passport.session());
  app.use(revocations.guard());
  if (options.events) app.post(EVENTS_PATH, revocations.eventHandler(web, options.events));

  app.get('/', (req, res) => res.redirect(currentAccount(req) ? '/profile' : '/login'));
  app.get('/login', (req, res) => {
    // Signed in, there is nothing to sign in to: no QR code, no button that would replace the session.
    if (currentAccount(req)) {
      res.redirect('/profile');
      return;
    }
    res.send(signInPage(site, req.query.failed === 'password' ? 'Wrong username or password. The demo password is demo / demo.' : undefined, qrSdkURL, feishu.qrSdkIntegrity));
  });
  app.post(
    '/login/password',
    sameOriginOnly(crossSitePage),
    parseBody(express.urlencoded({ extended: false, limit: '2kb', parameterLimit: 10 }), badBodyPage),
    passport.authenticate('local', { successRedirect: '/profile', failureRedirect: '/login?failed=password' }),
  );

  /** The callback URL for this request, or a 400 when the request names no usable host. */
  const callbackURLFor = (name: keyof typeof CALLBACKS, req: Request, res: Response): string | undefined => {
    const url = callbackURLOf(req, CALLBACKS[name]);
    if (!url) res.status(400).send(errorPage(site, { title: 'Request refused', text: 'This request does not say which site it was sent to.' }));
    return url;
  };
  app.get('/auth/feishu', (req, res, next) => {
    const callbackURL = callbackURLFor('feishu', req, res);
    // @types/passport's AuthenticateOptions lacks passport-oauth2's callbackURL; the strategy reads it.
    if (callbackURL) passport.authenticate('feishu', { callbackURL } satisfies FeishuAuthenticateOptions as AuthenticateOptions)(req, res, next);
  });
  /** Feishu's redirect back, for the button ('feishu') and for the QR code ('feishu-qr'). */
  const callback = (name: 'feishu' | 'feishu-qr'): RequestHandler => (req, res, next) => {
    const callbackURL = callbackURLFor(name, req, res);
    if (!callbackURL) return;
    passport.authenticate(name, { callbackURL } satisfies FeishuAuthenticateOptions as AuthenticateOptions, (err: unknown, user?: Express.User | false | null, info?: unknown, status?: unknown) => {
      // A link request is good for one round trip, whatever its outcome.
      forgetLinkIntent(req);
      if (err) {
        next(err);
        return;
      }
      if (!user) {
        // Only the reason travels: /login/failed shows its fixed text, whatever the link said.
        res.redirect(`/login/failed?reason=${failed(req, info, status)}`);
        return;
      }
      req.logIn(user, (loginErr: unknown) => (loginErr ? next(loginErr) : res.redirect('/profile')));
    })(req, res, next);
  };
  app.post(LINK_PATH, ...linkRoute({ accountIdOf: (req) => currentAccount(req)?.id, start: '/auth/feishu', refuse: crossSitePage }));
  app.get('/auth/feishu/callback', callback('feishu'));
  app.get('/auth/feishu-qr/callback', callback('feishu-qr'));
  // The QR panel's goto: the suite authorize URL with a state saved in the session. Only our
  // own page may ask (a cross-site fetch would plant a session), and the answer is never cached.
  if (qrSdkURL) {
    app.get('/auth/feishu-qr/goto', sameOriginOnly(crossSiteJson), (req, res, next) => {
      // The QR code only signs in: a signed-in visitor links from /profile instead.
      if (currentAccount(req)) {
        res.status(409).json({ error: 'You are already signed in.' });
        return;
      }
      const callbackURL = callbackURLOf(req, CALLBACKS['feishu-qr']);
      if (!callbackURL) {
        res.status(400).json({ error: 'This request does not say which site it was sent to.' });
        return;
      }
      qr.buildAuthorizationURL(req, { callbackURL }).then((goto) => {
        res.set('cache-control', 'no-store').json({ goto });
      }, next);
    });
  }
  app.get('/login/failed', (req, res) => {
    const reason = isFailureReason(req.query.reason) ? req.query.reason : 'unknown';
    res.send(failurePage(site, failureText(reason, site.brand)));
  });

  app.get('/inapp', (_req, res) => {
    res.send(inAppPage(site, { appId: feishu.appId, jssdkURL: feishu.jssdkURL }));
  });
  /** Signs in with the code in a JSON body, through `strategy`, and answers JSON: the in-app page and a mini-program. */
  const signInWithPostedCode =
    (strategy: string, hint: string): Handler =>
    (req, res, next) => {
      // The strategy reads `req.query.code` before `req.body.code`. This route takes its code
      // from the body only, so a query string (a second code, an `error`) is refused outright.
      if (Object.keys(req.query).length > 0) {
        res.status(400).json({ error: 'Send the code in the JSON body, with no query string.' });
        return;
      }
      const code = (req.body as { code?: unknown } | undefined)?.code;
      if (typeof code !== 'string' || !code || code.length > MAX_CODE_LENGTH) {
        res.status(400).json({ error: hint });
        return;
      }
      passport.authenticate(strategy, (err: unknown, user?: Express.User | false | null, info?: unknown, status?: unknown) => {
        if (err) {
          next(err);
          return;
        }
        if (!user) {
          const reason = failed(req, info, status);
          res.status(401).json({ error: failureText(reason, site.brand), reason });
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
    };
  app.post(JSON_ROUTE, sameOriginOnly(crossSiteJson), parseBody(express.json({ limit: '4kb' }), badBodyJson), signInWithPostedCode('feishu-inapp', 'POST {"code": "…"} from tt.requestAccess as JSON.'));
  // tt.request comes from the Feishu client, not from one of our pages: no same-origin check, the code is the proof.
  app.post(MINI_PROGRAM_ROUTE, parseBody(express.json({ limit: '4kb' }), badBodyJson), signInWithPostedCode('feishu-mini-program', 'POST {"code": "…"} from tt.login as JSON.'));

  app.get('/profile', (req, res) => {
    const account = currentAccount(req);
    if (!account) {
      res.redirect('/login');
      return;
    }
    res.set('cache-control', 'no-store').send(profilePage(site, account));
  });

  // POST only, and only from our own pages: a cross-site form or image must not sign anyone out.
  app.post('/logout', sameOriginOnly(crossSitePage), (req, res, next) => {
    req.logout((err: unknown) => (err ? next(err) : res.redirect('/login')));
  });
  app.all('/logout', (_req, res) => {
    res.status(405).set('allow', 'POST').send(errorPage(site, { title: 'Sign out', text: 'Use the Sign out button to sign out.' }));
  });

  /**
   * Everything the routes did not expect: Feishu refusing the app, a timeout, a session store
   * outage, our own bugs. The visitor gets a fixed text and two references; Feishu's message,
   * codes and setup hints go to the log only, with every secret the app holds cut out.
   */
  const onError: ErrorRequestHandler = (err: unknown, req, res, _next) => {
    const incident = incidentOf(err, secretsOf(req));
    logger.error(logLine('request failed', { route: `${req.method} ${req.path}`, ...incident.fields }));
    // express-session can report a failed save after the redirect went out (a Redis outage);
    // the answer is half-sent, so end the connection as Express itself would.
    if (res.headersSent) {
      req.socket.destroy();
      return;
    }
    const status = incident.upstream ? 502 : 500;
    const text = `We could not sign you in because of a problem on our side${incident.upstream ? ` or at ${site.brand}` : ''}. Please try again in a moment.`;
    if (req.path === JSON_ROUTE || req.path === MINI_PROGRAM_ROUTE) res.status(status).json({ error: text, reference: incident.ref, feishuLogId: incident.feishuLogId });
    else res.status(status).send(errorPage(site, { title: 'Something went wrong', text, ref: incident.ref, feishuLogId: incident.feishuLogId }));
  };
  app.use(onError);
  return app;
}
