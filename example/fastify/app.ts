/**
 * Feishu sign-in on Fastify 5: @fastify/passport, with @fastify/session holding the `state`
 * nonce between the sign-in redirect and the callback, and then the user.
 */
import fastifyCookie from '@fastify/cookie';
import { Authenticator } from '@fastify/passport';
import fastifySession from '@fastify/session';
import Fastify, { type FastifyInstance } from 'fastify';
import { FeishuStrategy } from 'passport-feishu-oauth2';
import { signedInUser, type FrameworkAppOptions, type SignedInUser } from '../framework-example.js';
import { answerError, queryCodes } from '../framework-errors.js';

declare module 'fastify' {
  interface Session {
    /** Where Passport's `failureMessage` option leaves the reason a sign-in failed. */
    messages?: string[];
  }
}

export async function createFastifyApp({ feishu, sessionSecret, logger = console }: FrameworkAppOptions): Promise<FastifyInstance> {
  const passport = new Authenticator();
  passport.use(
    new FeishuStrategy({ callbackURL: '/auth/feishu/callback', ...feishu, state: true }, (_accessToken, _refreshToken, profile, done) =>
      done(null, signedInUser(profile)),
    ),
  );
  passport.registerUserSerializer((user: SignedInUser) => Promise.resolve(user));
  passport.registerUserDeserializer((user: SignedInUser) => Promise.resolve(user));

  const app = Fastify();
  // Fastify's default handler would send the strategy's message, setup hint included, to the
  // visitor, with the error's own statusCode. A fixed text and a reference instead; the rest
  // goes to the log.
  app.setErrorHandler((err, request, reply) => {
    const { status, body } = answerError(err, `${request.method} ${request.url.split('?', 1)[0] ?? ''}`, [feishu.clientSecret, sessionSecret, ...queryCodes(request.url)], logger);
    void reply.code(status).send(body);
  });
  await app.register(fastifyCookie);
  // `secure: 'auto'`: a Secure cookie over HTTPS, a plain one on http://localhost.
  await app.register(fastifySession, { secret: sessionSecret, cookie: { secure: 'auto', httpOnly: true, sameSite: 'lax' } });
  await app.register(passport.initialize());
  await app.register(passport.secureSession());

  app.get('/', (_request, reply) => {
    reply.type('text/html').send('<a href="/auth/feishu">Sign in with Feishu</a>');
  });
  // authenticate() answers these two itself: a redirect to Feishu, then to /profile or /login/failed.
  app.get('/auth/feishu', { preValidation: passport.authenticate('feishu') }, () => {});
  app.get(
    '/auth/feishu/callback',
    { preValidation: passport.authenticate('feishu', { successRedirect: '/profile', failureRedirect: '/login/failed', failureMessage: true }) },
    () => {},
  );
  app.get('/profile', (request, reply) => {
    if (request.isAuthenticated()) reply.send(request.user);
    else reply.code(401).send({ error: 'Not signed in.' });
  });
  // failureMessage: true leaves Passport's reason (a Deny, a used code, a bad state) in the session.
  app.get('/login/failed', (request, reply) => {
    reply.code(401).send({ messages: request.session.get('messages') ?? [] });
  });
  return app;
}
