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

/** What this app reads from koa-session's `ctx.session`, which Koa's types leave `any`. */
interface ExampleSession {
  /** Where Passport's `failureMessage` option leaves the reason a sign-in failed. */
  messages?: string[];
}

export function createKoaApp({ feishu, sessionSecret }: FrameworkAppOptions): Koa {
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
