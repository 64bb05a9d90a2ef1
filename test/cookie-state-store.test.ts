import assert from 'node:assert/strict';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { Authenticator } from '@fastify/passport';
import express from 'express';
import Fastify from 'fastify';
import Koa from 'koa';
import koaPassport from 'koa-passport';
import Router from '@koa/router';
import { Passport } from 'passport';
import supertest from 'supertest';
import { cookieStateStore, FeishuStrategy, type FeishuProfile, type FeishuStrategyOptions } from '../lib/index.js';
import { DEFAULT_APP, startMockFeishu, type MockFeishu } from '../lib/testing/index.js';
import { consent, pathOf } from './helpers/app.js';

/**
 * docs/without-a-session.md: `cookieStateStore` keeps the state, the PKCE verifier and the
 * app state in an encrypted cookie, so a sign-in needs no session and no shared store.
 */

const SECRET = 'a-cookie-secret-of-at-least-32-characters';
const CALLBACK = 'http://localhost:3000/auth/feishu/callback';

let mock: MockFeishu;
before(async () => {
  mock = await startMockFeishu({
    apps: [{ ...DEFAULT_APP, redirectUris: [...DEFAULT_APP.redirectUris, 'https://app.example.com/auth/feishu/callback', 'http://127.0.0.1:*/auth/feishu/callback'] }],
  });
});
after(() => mock.close());

type Options = Partial<FeishuStrategyOptions> & Record<string, unknown>;

function strategyFor(options: Options = {}): FeishuStrategy {
  return new FeishuStrategy(
    {
      clientID: mock.app.appId,
      clientSecret: mock.app.appSecret,
      domain: mock.hosts,
      callbackURL: CALLBACK,
      store: cookieStateStore({ secret: SECRET }),
      ...options,
    } as FeishuStrategyOptions,
    (_accessToken: string, _refreshToken: string, profile: FeishuProfile, done: (err: unknown, user?: Express.User) => void) => done(null, { id: profile.id }),
  );
}

/** An Express app with Passport and no session middleware at all: `session: false` on both routes. */
function expressApp(options: Options = {}) {
  const passport = new Passport();
  const strategy = strategyFor(options);
  passport.use(strategy);
  const app = express();
  app.use(passport.initialize());
  app.get('/auth/feishu', passport.authenticate('feishu', { session: false }));
  app.get('/auth/feishu/callback', passport.authenticate('feishu', { session: false, failWithError: true }), (req, res) => {
    res.json({ user: req.user });
  });
  app.use((err: Error & { status?: number }, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
    res.status(err.status ?? 500).json({ message: err.message });
  });
  return app;
}

/** `failWithError` hands Passport's failure to the error handler; the messages come from the challenge. */
function expressAppWithMessages(options: Options = {}) {
  const passport = new Passport();
  passport.use(strategyFor(options));
  const app = express();
  app.get('/auth/feishu', passport.authenticate('feishu', { session: false }));
  app.get('/auth/feishu/callback', (req, res, next) => {
    passport.authenticate('feishu', { session: false }, (err: unknown, user: unknown, info: { message?: string } | undefined, status: number | undefined) => {
      if (err) {
        next(err);
        return;
      }
      if (!user) res.status(status ?? 401).json({ message: info?.message });
      else res.json({ user });
    })(req, res, next);
  });
  return app;
}

function setCookies(res: supertest.Response): string[] {
  const header = res.headers['set-cookie'] as string[] | string | undefined;
  return header === undefined ? [] : Array.isArray(header) ? header : [header];
}

async function start(agent: supertest.Agent, path = '/auth/feishu') {
  const res = await agent.get(path);
  assert.equal(res.status, 302, `the sign-in answered ${res.status}: ${res.text}`);
  return { res, authorize: res.headers.location as string, cookies: setCookies(res) };
}

describe('cookieStateStore under Express, without a session', () => {
  test('a sign-in completes with session: false and no session middleware', async () => {
    const agent = supertest.agent(expressApp());
    const { authorize } = await start(agent);
    const callback = await agent.get(pathOf(await consent(authorize)));
    assert.equal(callback.status, 200, callback.text);
    assert.equal(callback.body.user.id, mock.users[0]!.open_id);
  });

  test('the cookie is HttpOnly, SameSite=Lax, scoped to the callback path, 10 minutes, encrypted', async () => {
    const agent = supertest.agent(expressApp());
    const { authorize, cookies } = await start(agent);
    assert.equal(cookies.length, 1);
    const cookie = cookies[0]!;
    const state = new URL(authorize).searchParams.get('state') ?? '';
    assert.match(cookie, new RegExp(`^feishu_state\\.${state.slice(0, 8)}=`));
    assert.match(cookie, /; Path=\/auth\/feishu\/callback;/);
    assert.match(cookie, /; Max-Age=600;/);
    assert.match(cookie, /; HttpOnly;/);
    assert.match(cookie, /; SameSite=Lax/);
    assert.doesNotMatch(cookie, /Secure/, 'an http callback gets no Secure cookie, or the browser would never send it');
    const value = cookie.slice(cookie.indexOf('=') + 1, cookie.indexOf(';'));
    assert.ok(!Buffer.from(value, 'base64url').toString('latin1').includes(state), 'the state is not readable in the cookie');
  });

  test('the cookie is Secure when the callback URL is https', async () => {
    const agent = supertest.agent(expressApp({ callbackURL: 'https://app.example.com/auth/feishu/callback' }));
    const { cookies } = await start(agent);
    assert.match(cookies[0]!, /; Secure$/);
  });

  test('a relative callbackURL behind a TLS proxy gets a Secure cookie under the proxy rules', async () => {
    const agent = supertest.agent(expressApp({ callbackURL: '/auth/feishu/callback', proxy: true }));
    const res = await agent.get('/auth/feishu').set({ 'x-forwarded-proto': 'https', 'x-forwarded-host': 'app.example.com' });
    assert.match(setCookies(res)[0]!, /; Secure$/);
    const direct = await supertest.agent(expressApp({ callbackURL: '/auth/feishu/callback', proxy: false })).get('/auth/feishu').set({ 'x-forwarded-proto': 'https' });
    assert.doesNotMatch(setCookies(direct)[0]!, /Secure/, 'without proxy: true a forwarded proto is not believed');
  });

  test('the callback clears the cookie, on success and on failure', async () => {
    const agent = supertest.agent(expressAppWithMessages());
    const { authorize } = await start(agent);
    const callbackURL = await consent(authorize);
    const done = await agent.get(pathOf(callbackURL));
    assert.equal(done.status, 200);
    assert.match(setCookies(done).join('\n'), /feishu_state\.[\w-]{8}=; Path=\/auth\/feishu\/callback; Max-Age=0;/);

    const second = await start(agent);
    const denied = new URL(await consent(second.authorize, 'allow'));
    denied.searchParams.set('state', `${denied.searchParams.get('state')}x`);
    const failed = await agent.get(pathOf(denied.href));
    assert.equal(failed.status, 400);
    assert.match(setCookies(failed).join('\n'), /Max-Age=0;/);
  });

  test('parallel sign-ins in several tabs each complete', async () => {
    const agent = supertest.agent(expressApp());
    const first = await start(agent);
    const second = await start(agent);
    const third = await start(agent);
    for (const tab of [third, first, second]) {
      const callback = await agent.get(pathOf(await consent(tab.authorize)));
      assert.equal(callback.status, 200, callback.text);
    }
  });

  test('PKCE (flow v2): the verifier travels in the cookie and Feishu checks it', async () => {
    const agent = supertest.agent(expressApp({ flow: 'v2', pkce: true, state: true }));
    const { authorize } = await start(agent);
    assert.equal(new URL(authorize).searchParams.get('code_challenge_method'), 'S256');
    mock.resetCalls();
    const callback = await agent.get(pathOf(await consent(authorize)));
    assert.equal(callback.status, 200, callback.text);
    assert.equal(mock.calls.v2Token, 1);
  });

  test('the app state (the `state` authenticate option) comes back in info.state', async () => {
    const passport = new Passport();
    passport.use(strategyFor());
    const app = express();
    app.get('/auth/feishu', passport.authenticate('feishu', { session: false, state: { returnTo: '/reports' } } as object));
    app.get('/auth/feishu/callback', (req, res, next) => {
      passport.authenticate('feishu', { session: false }, (_err: unknown, _user: unknown, info: { state?: unknown }) => {
        res.json({ state: info.state });
      })(req, res, next);
    });
    const agent = supertest.agent(app);
    const { authorize } = await start(agent);
    const callback = await agent.get(pathOf(await consent(authorize)));
    assert.deepEqual(callback.body.state, { returnTo: '/reports' });
  });

  test('two app instances that share nothing but the secret: one starts, the other completes', async () => {
    const first = supertest.agent(expressApp());
    const { authorize, cookies } = await start(first);
    const callbackURL = await consent(authorize);
    const cookie = cookies[0]!.slice(0, cookies[0]!.indexOf(';'));
    const res = await supertest(expressApp()).get(pathOf(callbackURL)).set('cookie', cookie);
    assert.equal(res.status, 200, res.text);
  });

  test('rotation: a cookie sealed with the old secret opens while the old secret is listed, not after', async () => {
    const old = supertest.agent(expressApp({ store: cookieStateStore({ secret: SECRET }) }));
    const { authorize, cookies } = await start(old);
    const callbackURL = await consent(authorize);
    const cookie = cookies[0]!.slice(0, cookies[0]!.indexOf(';'));
    const NEW = 'a-new-cookie-secret-of-at-least-32-chars';
    const dropped = await supertest(expressAppWithMessages({ store: cookieStateStore({ secret: [NEW] }) })).get(pathOf(callbackURL)).set('cookie', cookie);
    assert.equal(dropped.status, 400);
    assert.match(dropped.body.message, /not valid/);
    // A fresh sign-in sealed under the old secret, opened by an app that lists both.
    const again = await start(supertest.agent(expressApp({ store: cookieStateStore({ secret: SECRET }) })));
    const rotated = await supertest(expressApp({ store: cookieStateStore({ secret: [NEW, SECRET] }) }))
      .get(pathOf(await consent(again.authorize)))
      .set('cookie', again.cookies[0]!.slice(0, again.cookies[0]!.indexOf(';')));
    assert.equal(rotated.status, 200, rotated.text);
  });
});

describe('cookieStateStore refusals: each a 400 failure with its own message, and no request to Feishu', () => {
  async function refused(prepare: (callback: URL, cookie: string) => { path: string; cookie?: string }, options: Options = {}, agentApp = expressAppWithMessages(options)) {
    const agent = supertest.agent(agentApp);
    const { authorize, cookies } = await start(agent);
    const callback = new URL(await consent(authorize));
    const cookie = cookies[0]!.slice(0, cookies[0]!.indexOf(';'));
    const { path, cookie: sent } = prepare(callback, cookie);
    mock.resetCalls();
    const res = await supertest(agentApp).get(path).set(sent === undefined ? {} : { cookie: sent });
    assert.equal(mock.serverCalls, 0, 'no code exchange');
    assert.equal(res.status, 400, res.text);
    return res.body.message as string;
  }

  test('a replayed callback: the browser no longer holds the cookie', async () => {
    const agent = supertest.agent(expressAppWithMessages());
    const { authorize } = await start(agent);
    const callback = pathOf(await consent(authorize));
    assert.equal((await agent.get(callback)).status, 200);
    mock.resetCalls();
    const replay = await agent.get(callback);
    assert.equal(replay.status, 400);
    assert.equal(mock.serverCalls, 0);
    assert.match(replay.body.message, /No sign-in is in progress in this browser/);
  });

  test('a callback replayed with a copied cookie passes the state once more, and Feishu refuses the used code: 400', async () => {
    const app = expressAppWithMessages();
    const agent = supertest.agent(app);
    const { authorize, cookies } = await start(agent);
    const callback = pathOf(await consent(authorize));
    const copied = cookies[0]!.slice(0, cookies[0]!.indexOf(';'));
    assert.equal((await agent.get(callback)).status, 200);
    const replay = await supertest(app).get(callback).set('cookie', copied);
    assert.equal(replay.status, 400, replay.text);
    assert.doesNotMatch(replay.body.message, /state/i, 'refused by Feishu, not by the store');
  });

  test('a callback in another browser (no cookie)', async () => {
    const message = await refused((callback) => ({ path: pathOf(callback.href) }));
    assert.match(message, /missing/);
  });

  test('a tampered cookie', async () => {
    const message = await refused((callback, cookie) => {
      const at = cookie.indexOf('=') + 20;
      const flipped = cookie.slice(0, at) + (cookie[at] === 'A' ? 'B' : 'A') + cookie.slice(at + 1);
      return { path: pathOf(callback.href), cookie: flipped };
    });
    assert.match(message, /not valid/);
  });

  test('a foreign cookie: sealed by another app with another secret, under this sign-in’s name', async () => {
    const foreign = supertest.agent(expressApp({ store: cookieStateStore({ secret: 'another-apps-secret-of-at-least-32-chars' }) }));
    const other = await start(foreign);
    const otherValue = other.cookies[0]!.slice(other.cookies[0]!.indexOf('=') + 1, other.cookies[0]!.indexOf(';'));
    const message = await refused((callback, cookie) => ({ path: pathOf(callback.href), cookie: `${cookie.slice(0, cookie.indexOf('='))}=${otherValue}` }));
    assert.match(message, /not valid/);
  });

  test('a cookie moved to another sign-in’s name', async () => {
    const message = await refused((callback, cookie) => {
      const value = cookie.slice(cookie.indexOf('=') + 1);
      const state = callback.searchParams.get('state') ?? '';
      const moved = new URL(callback);
      const otherState = `${state.slice(0, 7)}${state[7] === 'a' ? 'b' : 'a'}${state.slice(8)}`;
      moved.searchParams.set('state', otherState);
      return { path: pathOf(moved.href), cookie: `feishu_state.${otherState.slice(0, 8)}=${value}` };
    });
    assert.match(message, /not valid/, 'the cookie name is authenticated with the value');
  });

  test('a state that does not match the cookie', async () => {
    const message = await refused((callback, cookie) => {
      const changed = new URL(callback);
      changed.searchParams.set('state', `${callback.searchParams.get('state')}x`);
      return { path: pathOf(changed.href), cookie };
    });
    assert.match(message, /does not match/);
  });

  test('an expired cookie', async (t) => {
    const app = expressAppWithMessages({ store: cookieStateStore({ secret: SECRET, maxAge: 60_000 }) });
    const agent = supertest.agent(app);
    const { authorize, cookies } = await start(agent);
    assert.match(cookies[0]!, /; Max-Age=60;/);
    const callback = await consent(authorize);
    const now = Date.now();
    t.mock.method(Date, 'now', () => now + 60_001);
    mock.resetCalls();
    const res = await agent.get(pathOf(callback));
    assert.equal(res.status, 400);
    assert.equal(mock.serverCalls, 0);
    assert.match(res.body.message, /took too long/);
  });

  test('a callback with no state at all', async () => {
    const message = await refused((callback, cookie) => {
      const bare = new URL(callback);
      bare.searchParams.delete('state');
      return { path: pathOf(bare.href), cookie };
    });
    assert.match(message, /missing/);
  });
});

describe('cookieStateStore options', () => {
  test('a secret shorter than 32 characters, an empty list or a non-string is a TypeError', () => {
    assert.throws(() => cookieStateStore({ secret: 'short' }), { name: 'TypeError', message: /at least 32 characters/ });
    assert.throws(() => cookieStateStore({ secret: [] }), { name: 'TypeError', message: /non-empty list/ });
    assert.throws(() => cookieStateStore({ secret: [SECRET, 42 as unknown as string] }), { name: 'TypeError', message: /at least 32 characters/ });
    assert.throws(() => cookieStateStore(undefined as never), TypeError);
  });

  test('a cookie name with separators, or a maxAge under a second, is a TypeError', () => {
    assert.throws(() => cookieStateStore({ secret: SECRET, cookieName: 'a;b' }), { name: 'TypeError', message: /cookieName/ });
    assert.throws(() => cookieStateStore({ secret: SECRET, maxAge: 10 }), { name: 'TypeError', message: /maxAge/ });
    assert.throws(() => cookieStateStore({ secret: SECRET, maxAge: Number.NaN }), { name: 'TypeError', message: /maxAge/ });
  });

  test('cookieName names the cookie', async () => {
    const agent = supertest.agent(expressApp({ store: cookieStateStore({ secret: SECRET, cookieName: 'signin' }) }));
    const { cookies } = await start(agent);
    assert.match(cookies[0]!, /^signin\.[\w-]{8}=/);
  });

  test('a request with no response to set the cookie on is a Passport error that says what to do', async () => {
    const strategy = strategyFor();
    const outcome = await new Promise<Error>((resolve) => {
      const instance = Object.create(strategy) as FeishuStrategy & { error(err: Error): void; redirect(): void; fail(): void };
      instance.error = resolve;
      instance.fail = () => resolve(new Error('failed'));
      instance.redirect = () => resolve(new Error('redirected'));
      instance.authenticate({ query: {}, headers: { host: 'localhost:3000' }, url: '/auth/feishu' } as never);
    });
    assert.match(outcome.message, /req\.res/);
  });
});

describe('cookieStateStore in other frameworks, with no session plugin', () => {
  test('Fastify (@fastify/passport): one onRequest hook hands the strategy the reply', async () => {
    const passport = new Authenticator();
    passport.use('feishu', strategyFor({ callbackURL: '/auth/feishu/callback' }));
    const app = Fastify();
    // docs/without-a-session.md: Fastify's request does not carry its reply; this hook is what the store needs.
    app.decorateRequest('res', null);
    // @fastify/passport's flash messages ask for a session decorator; with session: false nothing reads it.
    app.decorateRequest('session', null as never);
    app.addHook('onRequest', async (request, reply) => {
      (request as unknown as { res: unknown }).res = reply;
    });
    await app.register(passport.initialize());
    app.get('/auth/feishu', { preValidation: passport.authenticate('feishu', { session: false }) }, () => {});
    app.get('/auth/feishu/callback', { preValidation: passport.authenticate('feishu', { session: false }) }, (request, reply) => {
      reply.send({ user: request.user });
    });
    await app.listen({ host: '127.0.0.1', port: 0 });
    try {
      const origin = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
      const agent = supertest.agent(origin);
      const { authorize } = await start(agent);
      const callback = await agent.get(pathOf(await consent(authorize)));
      assert.equal(callback.status, 200, callback.text);
      assert.equal(callback.body.user.id, mock.users[0]!.open_id);
      const replay = await agent.get(pathOf(await consent(authorize)));
      assert.equal(replay.status, 400, 'the cookie served one callback');
    } finally {
      await app.close();
    }
  });

  test('Koa (koa-passport): works as it is', async () => {
    const passport = new koaPassport.KoaPassport();
    passport.use(strategyFor({ callbackURL: '/auth/feishu/callback' }));
    const app = new Koa();
    const router = new Router();
    app.use(passport.initialize());
    router.get('/auth/feishu', passport.authenticate('feishu', { session: false }));
    router.get('/auth/feishu/callback', passport.authenticate('feishu', { session: false }), (ctx) => {
      ctx.body = { user: ctx.state.user as unknown };
    });
    app.use(router.routes());
    const server = app.listen(0, '127.0.0.1');
    await once(server, 'listening');
    try {
      const agent = supertest.agent(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
      const { authorize } = await start(agent);
      const callback = await agent.get(pathOf(await consent(authorize)));
      assert.equal(callback.status, 200, callback.text);
      assert.equal(callback.body.user.id, mock.users[0]!.open_id);
      const replay = await agent.get(pathOf(await consent(authorize)));
      assert.equal(replay.status, 400);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
