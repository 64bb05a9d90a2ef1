import assert from 'node:assert/strict';
import { Agent, createServer, request, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import express, { type ErrorRequestHandler, type RequestHandler } from 'express';
import session from 'express-session';
import { Passport } from 'passport';
import { FeishuStrategy, type FeishuProfile } from '../lib/index.js';
import { DEFAULT_APP } from '../lib/testing/index.js';
import { startMockProcess, type MockProcess } from './helpers/fault-mock-process.js';
import { watchUnhandledRejections } from './helpers/fault-proxy.js';

/**
 * 1,000 logins at 100 concurrency through one app instance: no failure, one app-token
 * request, and nothing kept per login (the strategy's per-login state is empty afterwards
 * and the heap after a second thousand logins is where it was after the first).
 * The mock runs in a child process so its own records stay out of this heap.
 */

const LOGINS = 1000;
const CONCURRENCY = 100;
/**
 * Heap growth allowed over a second round of LOGINS logins, after full GCs. Anything kept
 * per login (a session, a handoff entry, a closure: 1 KB or more each) grows the heap by at
 * least ~1 MB per round; GC noise after a forced collection stays well under this.
 */
const HEAP_GROWTH_LIMIT = 1024 * 1024;

setFlagsFromString('--expose_gc');
const gc = runInNewContext('gc') as (options?: { type: 'major' }) => void;

async function settledHeap(): Promise<number> {
  for (let i = 0; i < 4; i += 1) {
    gc();
    // Finalizers and weak callbacks run between turns.
    await new Promise((resolve) => setImmediate(resolve));
  }
  return process.memoryUsage().heapUsed;
}

interface Answer {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly text: string;
}

function send(agent: Agent, url: string, headers: Record<string, string> = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent, headers, timeout: 20_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`no answer from ${url}`)));
    req.on('error', reject);
    req.end();
  });
}

function cookieOf(headers: IncomingHttpHeaders): string {
  return (headers['set-cookie'] ?? []).map((line) => line.split(';')[0]).join('; ');
}

async function pool(count: number, limit: number, task: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const i = next;
      next += 1;
      await task(i);
    }
  };
  await Promise.all(Array.from({ length: limit }, worker));
}

describe(`load: ${LOGINS} logins at ${CONCURRENCY} concurrency`, () => {
  const rejections = watchUnhandledRejections();
  let mock: MockProcess;
  let server: Server;
  let base: string;
  let strategy: FeishuStrategy;
  let store: session.MemoryStore;
  const appAgent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  const mockAgent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });

  before(async () => {
    // A little latency keeps the first app-token fetch in flight while the first hundred logins arrive.
    // supertest serves the app on a free port: the registered callback is a wildcard on the port.
    mock = await startMockProcess({ consent: 'auto', latency: 5, apps: [{ ...DEFAULT_APP, redirectUris: ['http://127.0.0.1:*/auth/feishu/callback'] }] });
    store = new session.MemoryStore();
    strategy = new FeishuStrategy(
      // A timeout shorter than a round lets each round's request timers expire during the next one,
      // so both heap readings carry one round of them.
      { clientID: mock.app.appId, clientSecret: mock.app.appSecret, domain: mock.hosts, callbackURL: '/auth/feishu/callback', state: true, timeout: 3000 },
      (_accessToken: string, _refreshToken: string, profile: FeishuProfile, done: (err: unknown, user?: Express.User) => void) => {
        done(null, { id: profile.id });
      },
    );
    const passport = new Passport();
    passport.use(strategy);
    passport.serializeUser((user, done) => done(null, user));
    passport.deserializeUser((user: Express.User, done) => done(null, user));

    const app = express();
    app.use(session({ store, secret: 'load-test-session-secret', resave: false, saveUninitialized: false }));
    app.use(passport.session());
    app.get('/login', passport.authenticate(strategy.name) as RequestHandler);
    app.get('/auth/feishu/callback', passport.authenticate(strategy.name, { failureRedirect: '/failed' }) as RequestHandler, (req, res) => {
      res.json({ id: (req.user as { id: string }).id });
    });
    // Users sign out again, so sessions do not pile up in the store and hide what the strategy keeps.
    app.get('/logout', (req, res, next) => {
      req.logout((err) => {
        if (err) return next(err);
        req.session.destroy((destroyErr) => (destroyErr ? next(destroyErr) : res.status(204).end()));
      });
    });
    app.get('/failed', (_req, res) => {
      res.status(401).end();
    });
    const onError: ErrorRequestHandler = (err: Error, _req, res, _next) => {
      res.status(500).json({ name: err.name, message: err.message });
    };
    app.use(onError);
    server = createServer(app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  after(async () => {
    appAgent.destroy();
    mockAgent.destroy();
    server?.closeAllConnections();
    await new Promise((resolve) => server?.close(resolve));
    await mock?.close();
    rejections.stop();
  });

  /** One user: sign-in redirect, Feishu (auto consent), callback, sign-out. Resolves to what went wrong, if anything. */
  async function oneLogin(): Promise<string | undefined> {
    const start = await send(appAgent, `${base}/login`);
    if (start.status !== 302) return `/login answered ${start.status}`;
    const cookie = cookieOf(start.headers);
    const authorize = await send(mockAgent, start.headers.location ?? '');
    const callback = authorize.headers.location;
    if (authorize.status !== 302 || !callback) return `authorize answered ${authorize.status}`;
    const url = new URL(callback);
    const done = await send(appAgent, `${base}${url.pathname}${url.search}`, { cookie });
    if (done.status !== 200) return `callback answered ${done.status}: ${done.text.slice(0, 200)}`;
    const logout = await send(appAgent, `${base}/logout`, { cookie: cookieOf(done.headers) || cookie });
    if (logout.status !== 204) return `/logout answered ${logout.status}`;
    return undefined;
  }

  async function round(): Promise<string[]> {
    const failures: string[] = [];
    await pool(LOGINS, CONCURRENCY, async () => {
      const failure = await oneLogin().catch((err: unknown) => (err instanceof Error ? err.message : String(err)));
      if (failure) failures.push(failure);
    });
    return failures;
  }

  function sessions(): Promise<number> {
    return new Promise((resolve, reject) => store.length((err, length) => (err ? reject(err as Error) : resolve(length ?? -1))));
  }

  function assertNothingPerLogin(): void {
    const handoff = (strategy as unknown as { handoff: Map<string, unknown> }).handoff;
    const inflight = (strategy.appTokens as unknown as { inflight: Promise<string> | undefined }).inflight;
    const cache = (strategy as unknown as { cache: { expiring: Map<string, unknown>; permanent: Map<string, unknown> } }).cache;
    assert.equal(handoff.size, 0, 'user fields handed from the token answer to userProfile are gone');
    assert.equal(inflight, undefined, 'no app-token fetch in flight');
    assert.equal(cache.expiring.size + cache.permanent.size, 1, 'the default cache holds the app token and nothing per login');
  }

  test(`${LOGINS} cold logins: zero failures, one app-token request`, { timeout: 60_000 }, async () => {
    const failures = await round();
    assert.deepEqual(failures.slice(0, 5), [], `${failures.length} of ${LOGINS} logins failed`);
    const calls = await mock.calls();
    assert.equal(calls.appAccessToken, 1, 'one app_access_token request for all logins');
    assert.equal(calls.v1Token, LOGINS);
    assert.equal(strategy.appTokens.fetches, 1);
    assert.equal(await sessions(), 0, 'every session was destroyed at sign-out');
    assertNothingPerLogin();
  });

  test(`the heap after ${LOGINS} more logins is back where it was`, { timeout: 90_000 }, async (t) => {
    // The first round warmed everything lazily made once (compiled code, pools); the
    // baseline is taken after a second round and compared with the heap after a third.
    const warm = await round();
    assert.deepEqual(warm.slice(0, 5), [], `${warm.length} of ${LOGINS} logins failed`);
    const baseline = await settledHeap();
    const failures = await round();
    assert.deepEqual(failures.slice(0, 5), [], `${failures.length} of ${LOGINS} logins failed`);
    assert.equal((await mock.calls()).appAccessToken, 1, 'still the one app token');
    assert.equal(await sessions(), 0);
    assertNothingPerLogin();
    const after = await settledHeap();
    const growth = after - baseline;
    t.diagnostic(`heap baseline ${(baseline / 1048576).toFixed(2)} MiB, after ${LOGINS} more logins ${(after / 1048576).toFixed(2)} MiB (${growth >= 0 ? '+' : ''}${(growth / 1024).toFixed(0)} KiB)`);
    assert.ok(growth < HEAP_GROWTH_LIMIT, `the heap grew by ${(growth / 1024).toFixed(0)} KiB over ${LOGINS} logins: something is kept per login`);
  });

  test('no unhandled rejection under load', () => {
    assert.deepEqual(rejections.seen, []);
  });
});
