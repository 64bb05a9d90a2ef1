/**
 * The example without a server session (`STATE_STORE=cookie npm start`): the sign-in's state
 * travels in `cookieStateStore`'s encrypted cookie, and the signed-in user in a signed JWT
 * cookie this app issues itself. Nothing is stored on the server, so any number of instances
 * that share the two secrets serve any request.
 */
import express, { type Request, type Response } from 'express';
import { jwtVerify, SignJWT } from 'jose';
import { Passport } from 'passport';
import { cookieStateStore, FeishuStrategy, type FeishuProfile, type VerifyCallback } from 'passport-feishu-oauth2';
import type { ExampleFeishuOptions } from './app.js';
import { isSameOrigin } from './guards.js';
import { incidentOf, logLine, type ExampleLogger } from './log.js';

export interface StatelessAppOptions {
  feishu: ExampleFeishuOptions;
  /** Seals the sign-in state cookie and signs the session JWT; the same on every instance (32+ characters). */
  sessionSecret: string;
  logger?: ExampleLogger;
}

/** What the session cookie says about the user: enough for the page, nothing secret. */
interface SessionClaims {
  readonly name: string;
  readonly app: string;
}

const SESSION_COOKIE = 'session';
const SESSION_SECONDS = 60 * 60;
const ESCAPES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

const escapeHtml = (text: string): string => text.replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c);

function page(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head><body><h1>${escapeHtml(title)}</h1>${body}</body></html>`;
}

function readCookie(req: Request, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [key, ...value] = part.trim().split('=');
    if (key === name) return value.join('=');
  }
  return undefined;
}

/** Express app: Feishu sign-in with `session: false`, and a JWT cookie as the session. */
export function createStatelessApp(options: StatelessAppOptions): express.Express {
  const { feishu } = options;
  const logger = options.logger ?? console;
  // A separate key for the JWT: the state cookie's key is derived from the same secret for another purpose.
  const jwtKey = new TextEncoder().encode(`jwt:${options.sessionSecret}`);
  const passport = new Passport();

  function verify(_accessToken: string, _refreshToken: string, profile: FeishuProfile, done: VerifyCallback): void {
    done(null, { id: profile.id, name: profile.displayName });
  }
  passport.use(
    new FeishuStrategy(
      {
        clientID: feishu.appId,
        clientSecret: feishu.appSecret,
        domain: feishu.domain,
        brand: feishu.brand,
        flow: feishu.flow,
        callbackURL: feishu.callbackURL ?? '/auth/feishu/callback',
        store: cookieStateStore({ secret: options.sessionSecret }),
      },
      verify,
    ),
  );

  async function currentUser(req: Request): Promise<(SessionClaims & { sub: string }) | undefined> {
    const token = readCookie(req, SESSION_COOKIE);
    if (!token) return undefined;
    try {
      const { payload } = await jwtVerify(token, jwtKey, { algorithms: ['HS256'], audience: feishu.appId });
      const { sub, name, app } = payload as Partial<SessionClaims> & { sub?: string };
      return typeof sub === 'string' && typeof name === 'string' && typeof app === 'string' ? { sub, name, app } : undefined;
    } catch {
      return undefined;
    }
  }

  const app = express();
  app.disable('x-powered-by');
  app.get('/', (req, res, next) => {
    currentUser(req).then((user) => {
      res.send(
        user
          ? page(`Signed in as ${user.name}`, `<p>open_id ${escapeHtml(user.sub)}</p><form method="post" action="/logout"><button>Sign out</button></form>`)
          : page('Stateless example', '<p>No server session: the sign-in state and the session are cookies.</p><a href="/auth/feishu">Sign in with Feishu</a>'),
      );
    }, next);
  });
  app.get('/auth/feishu', passport.authenticate('feishu', { session: false }) as express.RequestHandler);
  app.get('/auth/feishu/callback', (req, res, next) => {
    const finish = (err: unknown, user: { id: string; name: string } | false, info: { message?: string } | undefined, status: number | undefined): void => {
      if (err) {
        next(err);
        return;
      }
      if (!user) {
        res.status(status && status >= 400 ? status : 401).send(page('Sign-in failed', `<p>${escapeHtml(info?.message ?? 'The sign-in did not complete.')}</p><a href="/">Back</a>`));
        return;
      }
      new SignJWT({ name: user.name, app: feishu.appId } satisfies SessionClaims)
        .setProtectedHeader({ alg: 'HS256' })
        .setSubject(user.id)
        .setAudience(feishu.appId)
        .setIssuedAt()
        .setExpirationTime(`${SESSION_SECONDS}s`)
        .sign(jwtKey)
        .then((jwt) => {
          res.cookie(SESSION_COOKIE, jwt, { httpOnly: true, sameSite: 'lax', secure: req.secure, maxAge: SESSION_SECONDS * 1000, path: '/' });
          res.redirect('/');
        }, next);
    };
    (passport.authenticate('feishu', { session: false }, finish) as express.RequestHandler)(req, res, next);
  });
  app.post('/logout', (req, res) => {
    if (!isSameOrigin(req)) {
      res.status(403).send(page('Refused', '<p>Sign out from this site’s own page.</p>'));
      return;
    }
    res.clearCookie(SESSION_COOKIE, { path: '/' });
    res.redirect('/');
  });
  app.use((err: unknown, _req: Request, res: Response, _next: express.NextFunction) => {
    const incident = incidentOf(err, [feishu.appSecret, options.sessionSecret]);
    logger.error(logLine('error', incident.fields));
    res.status(incident.upstream ? 502 : 500).send(page('Something went wrong', `<p>Reference ${escapeHtml(incident.ref)}</p>`));
  });
  return app;
}
