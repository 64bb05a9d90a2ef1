/**
 * Feishu sign-in on Koa 3: koa-passport, with koa-session holding the `state` nonce between
 * the sign-in redirect and the callback, and then the user.
 */
import Router from '@koa/router';
import Koa from 'koa';
import { KoaPassport } from 'koa-passport';
import { createSession } from 'koa-session';
import { FeishuStrategy } from 'passport-feishu-oauth2';
import { signedInUser, type FrameworkAppOptions, type SignedInUser } from '../framework-example.js';
import { answerError, queryCodes } from '../framework-errors.js';

/** What this app reads from koa-session's `ctx.session`, which Koa's types leave `any`. */
interface ExampleSession {
  /** Where Passport's `failureMessage` option leaves the reason a sign-in failed. */
  messages?: string[];
}

export function createKoaApp({ feishu, sessionSecret, logger = console }: FrameworkAppOptions): Koa {
  const passport = new KoaPassport();
  passport.use(
    new FeishuStrategy({ callbackURL: '/auth/feishu/callback', ...feishu, state: true }, (_accessToken, _refreshToken, profile, done) =>
      done(null, signedInUser(profile)),
    ),
  );
  passport.serializeUser<SignedInUser>((user, done) => done(null, user as SignedInUser));
  passport.deserializeUser<SignedInUser>((user, done) => done(null, user));

  const app = new Koa();
  app.keys = [sessionSecret];
  // First, so it catches everything after it. Koa's own handler answers with the error's
  // `status` and, for an error marked `expose`, its message: a Feishu error read from an HTTP
  // 200 answer went out as 200 OK. A fixed text, a reference and 5xx instead; the rest to the log.
  app.use(async (ctx, next) => {
    try {
      await next();
    } catch (err) {
      const { status, body } = answerError(err, `${ctx.method} ${ctx.path}`, [feishu.clientSecret, sessionSecret, ...queryCodes(ctx.url)], logger);
      ctx.status = status;
      ctx.body = body;
    }
  });
  app.use(createSession({ httpOnly: true, sameSite: 'lax' }, app));
  app.use(passport.initialize());
  app.use(passport.session());

  const router = new Router();
  router.get('/', (ctx) => {
    ctx.type = 'html';
    ctx.body = '<a href="/auth/feishu">Sign in with Feishu</a>';
  });
  router.get('/auth/feishu', passport.authenticate('feishu'));
  router.get('/auth/feishu/callback', passport.authenticate('feishu', { successRedirect: '/profile', failureRedirect: '/login/failed', failureMessage: true }));
  router.get('/profile', (ctx) => {
    if (ctx.isAuthenticated()) ctx.body = ctx.state.user as SignedInUser;
    else [ctx.status, ctx.body] = [401, { error: 'Not signed in.' }];
  });
  // failureMessage: true leaves Passport's reason (a Deny, a used code, a bad state) in the session.
  router.get('/login/failed', (ctx) => {
    ctx.status = 401;
    ctx.body = { messages: (ctx.session as ExampleSession | null)?.messages ?? [] };
  });
  app.use(router.routes());
  return app;
}
