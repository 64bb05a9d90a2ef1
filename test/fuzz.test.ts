import assert from 'node:assert/strict';
import { Agent, createServer, request, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import express, { type ErrorRequestHandler, type RequestHandler } from 'express';
import session from 'express-session';
import fc from 'fast-check';
import { Passport } from 'passport';
import { FeishuStrategy, type FeishuProfile } from '../lib/index.js';
import { startMockFeishu, type MockFeishu } from '../lib/testing/index.js';
import { watchUnhandledRejections } from './helpers/fault-proxy.js';

/**
 * Thousands of random and hostile requests at the callback route: repeated keys, nested
 * objects (qs), huge values, broken percent-encoding and UTF-8, missing and forged state,
 * forged session cookies, every body type. Whatever comes in: no 5xx unless Feishu itself
 * answered with an error, the app keeps serving, and no secret or token ever goes out.
 */

const SESSION_SECRET = 'fuzz-session-secret-9f3k2m';
/** Fixed, so a run is repeatable; FUZZ_SEED=<n> explores another part of the space. */
const SEED = Number(process.env.FUZZ_SEED ?? 20261127);

const rejections = watchUnhandledRejections();
let mock: MockFeishu;
/** Every user and refresh token the verify callback saw: none may appear in a response. */
const issued = new Set<string>();

interface Fuzzed {
  readonly strategy: FeishuStrategy;
  readonly server: Server;
  readonly port: number;
}

const agent = new Agent({ keepAlive: true, maxSockets: 8 });

/** `req.user.id`, without trusting the type of `req.user`. */
function idOf(user: unknown): unknown {
  return typeof user === 'object' && user !== null && 'id' in user ? user.id : undefined;
}

function buildFuzzApp(queryParser: 'simple' | 'extended'): Promise<Fuzzed> {
  const passport = new Passport();
  const strategy = new FeishuStrategy(
    { clientID: mock.app.appId, clientSecret: mock.app.appSecret, domain: mock.hosts, callbackURL: '/auth/feishu/callback', state: true, timeout: 2000 },
    (accessToken: string, refreshToken: string, profile: FeishuProfile, done: (err: unknown, user?: Express.User) => void) => {
      issued.add(accessToken);
      if (refreshToken) issued.add(refreshToken);
      done(null, { id: profile.id });
    },
  );
  passport.use(strategy);
  passport.serializeUser((user, done) => done(null, user));
  passport.deserializeUser((user: Express.User, done) => done(null, user));

  const app = express();
  app.set('query parser', queryParser);
  app.use(session({ secret: SESSION_SECRET, resave: false, saveUninitialized: false }));
  app.use(passport.session());
  const callback = passport.authenticate(strategy.name, { failureRedirect: '/failed', failureMessage: true }) as RequestHandler;
  const done: RequestHandler = (req, res) => {
    res.json({ id: idOf(req.user) });
  };
  app.get('/login', passport.authenticate(strategy.name) as RequestHandler);
  app.get('/auth/feishu/callback', callback, done);
  app.post('/auth/feishu/callback', express.urlencoded({ extended: queryParser === 'extended' }), express.json(), callback, done);
  app.get('/failed', (req, res) => {
    res.status(401).json({ messages: (req.session as { messages?: unknown[] }).messages ?? [] });
  });
  app.get('/health', (_req, res) => {
    res.send('ok');
  });
  // Like Express's own handler: a 4xx from a body parser stays a 4xx; anything else is a 500.
  const onError: ErrorRequestHandler = (err: Error & { status?: unknown; statusCode?: unknown; feishuCode?: unknown }, _req, res, _next) => {
    const declared = typeof err.status === 'number' ? err.status : typeof err.statusCode === 'number' ? err.statusCode : 500;
    const status = declared >= 400 && declared < 600 ? declared : 500;
    res.status(status).json({ name: err.name, message: err.message, feishuCode: err.feishuCode });
  };
  app.use(onError);

  const server = createServer(app);
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve({ strategy, server, port: (server.address() as AddressInfo).port }));
  });
}

interface Answer {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly text: string;
}

/** One raw request: the path goes out byte for byte, as a hostile client would send it. */
function send(port: number, method: 'GET' | 'POST', path: string, headers: Record<string, string> = {}, body?: Buffer): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path, headers, agent, timeout: 10_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`no answer to ${method} ${path.slice(0, 100)}`)));
    req.on('error', reject);
    req.end(body);
  });
}

function cookieOf(headers: IncomingHttpHeaders): string | undefined {
  return headers['set-cookie']?.map((line) => line.split(';')[0]).join('; ');
}

// ---- generators -------------------------------------------------------------

/** Placeholders a run replaces with the live values of its session. */
const VALID_STATE = '\u0000STATE';
const VALID_CODE = '\u0000CODE';

/** Percent-encodes every byte outside printable ASCII; `raw` keeps &, =, # and % as they are. */
function escape(text: string, raw: boolean): string {
  let out = '';
  for (const ch of text) {
    const code = ch.codePointAt(0) ?? 0;
    const plain = code > 0x20 && code < 0x7f && (raw || !'&=#%+;'.includes(ch));
    out += plain ? ch : [...Buffer.from(ch, 'utf8')].map((b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`).join('');
  }
  return out;
}

const key = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom('code', 'state', 'error', 'error_description', 'error_uri') },
  {
    weight: 3,
    arbitrary: fc.constantFrom('code[]', 'code[0]', 'code[a][b]', 'state[]', 'state[$ne]', 'code[$gt]', '__proto__', '__proto__[code]', 'constructor[prototype][code]', 'code.x', 'redirect_uri', 'app_id', 'scope', 'prompt', ''),
  },
  { weight: 1, arbitrary: fc.string({ maxLength: 12 }) },
);

/** Bytes that are not valid UTF-8, or percent sequences that are not sequences at all. */
const badEncoding = fc.oneof(
  fc.constantFrom('%', '%%', '%zz', '%E0%A4%A', '%C0%AE', '%C0%80', '%FF%FE%FD', '%ED%A0%80', '%F4%90%80%80', '%u0041', '%00', '+%2B+', '%0D%0ASet-Cookie:%20x=1', '%3Cscript%3E'),
  fc.uint8Array({ minLength: 1, maxLength: 24 }).map((bytes) => [...bytes].map((b) => `%${b.toString(16).padStart(2, '0')}`).join('')),
);

const value = fc.oneof(
  { weight: 4, arbitrary: fc.string({ maxLength: 40 }).map((s) => ({ text: s, raw: false })) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 20 }).map((s) => ({ text: s, raw: false })) },
  { weight: 2, arbitrary: badEncoding.map((s) => ({ text: s, raw: true })) },
  { weight: 1, arbitrary: fc.integer({ min: 2000, max: 12_000 }).map((n) => ({ text: 'x'.repeat(n), raw: false })) },
  { weight: 1, arbitrary: fc.constantFrom('access_denied', 'server_error', 'invalid_request', 'true', '0', '[]', '{}', 'null').map((s) => ({ text: s, raw: false })) },
  { weight: 3, arbitrary: fc.constantFrom(VALID_STATE, VALID_CODE).map((s) => ({ text: s, raw: true })) },
);

const pairs = fc.array(fc.tuple(key, value), { maxLength: 8 });

const scenario = fc.record({
  pairs,
  /** Start from a well-formed callback (the session's state, a fresh code) with a few pairs around it. */
  wellFormed: fc.option(fc.array(fc.tuple(key, value), { maxLength: 2 }), { nil: undefined, freq: 2 }),
  /** Start a real login first so the session holds a state the fuzzed callback may (or may not) use. */
  session: fc.boolean(),
  /** Send a forged session cookie instead of (or without) a real one. */
  forgedCookie: fc.option(fc.stringMatching(/^[A-Za-z0-9%._-]{0,60}$/), { nil: undefined }),
  separator: fc.constantFrom('&', '&', '&', '&', '&', '&', '&&', ';', '&amp;'),
  /** Once in a while a query far larger than any server accepts. */
  huge: fc.integer({ min: 0, max: 40 }),
});

type Scenario = typeof scenario extends fc.Arbitrary<infer T> ? T : never;

const bodyKind = fc.constantFrom('json', 'urlencoded', 'text', 'none', 'wrong-type', 'bad-json', 'utf16');

// ---- the runs ---------------------------------------------------------------

interface Run {
  readonly status: number;
  readonly texts: string[];
}

/** Starts a login when asked, so the callback can be fuzzed with a real state and cookie. */
async function prepare(target: Fuzzed, withSession: boolean): Promise<{ cookie: string | undefined; state: string; texts: string[] }> {
  if (!withSession) return { cookie: undefined, state: 'no-state-in-session', texts: [] };
  const start = await send(target.port, 'GET', '/login');
  assert.equal(start.status, 302);
  const state = new URL(start.headers.location ?? '').searchParams.get('state') ?? '';
  return { cookie: cookieOf(start.headers), state, texts: [start.text, start.headers.location ?? ''] };
}

function fill(text: string, state: string): string {
  if (text === VALID_STATE) return state;
  if (text === VALID_CODE) return mock.issueCode();
  return text;
}

/** What a response shows the browser: body, redirect, cookies, and the failure page it leads to. */
async function shown(target: Fuzzed, answer: Answer, cookie: string | undefined): Promise<string[]> {
  const texts = [answer.text, answer.headers.location ?? '', ...(answer.headers['set-cookie'] ?? [])];
  // The callback redirects to the failure page, or (no code at all) starts a sign-in at Feishu
  // with this app's own callback; it sets no cookie but the session's. Nothing in the request
  // steers a redirect or injects a header.
  const location = answer.headers.location;
  if (location !== undefined && location !== '/failed') {
    const url = new URL(location);
    assert.equal(url.origin + url.pathname, `${mock.origin}/open-apis/authen/v1/authorize`, `redirect to ${location}`);
    assert.equal(url.searchParams.get('redirect_uri'), `http://127.0.0.1:${target.port}/auth/feishu/callback`, `redirect to ${location}`);
  }
  for (const line of answer.headers['set-cookie'] ?? []) assert.match(line, /^connect\.sid=[^;]*; Path=\/; HttpOnly$/, 'an unexpected cookie');
  if (answer.status === 302 && answer.headers.location === '/failed') {
    const jar = [cookie, cookieOf(answer.headers)].filter(Boolean).join('; ');
    const failed = await send(target.port, 'GET', '/failed', jar ? { cookie: jar } : {});
    assert.equal(failed.status, 401);
    texts.push(failed.text);
  }
  return texts;
}

async function secretsOf(target: Fuzzed): Promise<string[]> {
  return [mock.app.appSecret, SESSION_SECRET, await target.strategy.appTokens.get(), ...issued];
}

function check(run: Run, secrets: readonly string[], what: string): void {
  // No upstream fault is injected here: a 5xx means the app sent Feishu a request it should have
  // refused itself (an empty or repeated code), or crashed. Either way the input deserved a 4xx.
  assert.ok(run.status < 500, `${what}: ${run.status}: ${run.texts[0]?.slice(0, 300)}`);
  assert.ok(run.status > 0, `${what}: no answer`);
  for (const text of run.texts) {
    for (const secret of secrets) assert.ok(!text.includes(secret), `${what}: a secret or token is in the response: ${text.slice(0, 200)}`);
  }
}

async function queryRun(target: Fuzzed, s: Scenario): Promise<{ run: Run; what: string }> {
  const { cookie, state, texts } = await prepare(target, s.session);
  const all = s.wellFormed ? [...s.wellFormed.slice(0, 1), ['code', { text: VALID_CODE, raw: true }] as const, ['state', { text: VALID_STATE, raw: true }] as const, ...s.wellFormed.slice(1)] : s.pairs;
  const query = all.map(([k, v]) => `${escape(k, false)}=${escape(fill(v.text, state), v.raw)}`).join(s.separator);
  const path = `/auth/feishu/callback?${query}${s.huge === 40 ? `&pad=${'y'.repeat(70_000)}` : ''}`;
  const headers: Record<string, string> = {};
  const jar = [s.forgedCookie === undefined ? undefined : `connect.sid=${s.forgedCookie}`, cookie].filter(Boolean).join('; ');
  if (jar) headers.cookie = jar;
  const answer = await send(target.port, 'GET', path, headers);
  return { run: { status: answer.status, texts: [...(await shown(target, answer, cookie)), ...texts] }, what: `GET ${path.slice(0, 300)}` };
}

function encodeBody(kind: string, entries: Array<[string, string]>, json: unknown): { type: string | undefined; body: Buffer | undefined } {
  switch (kind) {
    case 'json':
      return { type: 'application/json', body: Buffer.from(JSON.stringify(json)) };
    case 'urlencoded':
      return { type: 'application/x-www-form-urlencoded', body: Buffer.from(entries.map(([k, v]) => `${escape(k, false)}=${escape(v, false)}`).join('&')) };
    case 'text':
      return { type: 'text/plain', body: Buffer.from(entries.map(([k, v]) => `${k}=${v}`).join('&')) };
    case 'wrong-type':
      return { type: 'application/json', body: Buffer.from(entries.map(([k, v]) => `${escape(k, false)}=${escape(v, false)}`).join('&')) };
    case 'bad-json':
      return { type: 'application/json', body: Buffer.from(`{"code": "${entries[0]?.[1] ?? ''}", `) };
    case 'utf16':
      return { type: 'application/json; charset=utf-16', body: Buffer.from(JSON.stringify(json), 'utf16le') };
    default:
      return { type: undefined, body: undefined };
  }
}

describe('fuzzing the callback route', () => {
  let simple: Fuzzed;
  let extended: Fuzzed;

  before(async () => {
    mock = await startMockFeishu({ consent: 'auto' });
    simple = await buildFuzzApp('simple');
    extended = await buildFuzzApp('extended');
    console.log(`fuzz seed ${SEED} (FUZZ_SEED=${SEED} reproduces this run)`);
  });
  after(async () => {
    agent.destroy();
    for (const target of [simple, extended]) {
      target.server.closeAllConnections();
      await new Promise((resolve) => target.server.close(resolve));
    }
    await mock.close();
    rejections.stop();
  });

  test('a real login still works on both apps (the fuzz reaches the exchange)', async () => {
    for (const target of [simple, extended]) {
      const { cookie, state } = await prepare(target, true);
      const res = await send(target.port, 'GET', `/auth/feishu/callback?code=${mock.issueCode()}&state=${state}`, { cookie: cookie ?? '' });
      assert.equal(res.status, 200, res.text);
      assert.equal((JSON.parse(res.text) as { id: string }).id, mock.users[0]?.open_id);
    }
  });

  for (const [name, runs] of [
    ['simple', 1200],
    ['extended', 1000],
  ] as const) {
    test(`random and hostile query strings (query parser: ${name})`, async (t) => {
      const target = name === 'simple' ? simple : extended;
      const statuses = new Map<number, number>();
      await fc.assert(
        fc.asyncProperty(scenario, async (s) => {
          const { run, what } = await queryRun(target, s);
          statuses.set(run.status, (statuses.get(run.status) ?? 0) + 1);
          check(run, await secretsOf(target), what);
        }),
        { numRuns: runs, seed: SEED, endOnFailure: true, includeErrorInReport: true },
      );
      t.diagnostic(`statuses: ${JSON.stringify(Object.fromEntries(statuses))}`);
      // The fuzz must have reached every outcome, or it proved little.
      assert.ok(statuses.get(200), `no run completed a login: ${JSON.stringify([...statuses])}`);
      assert.ok(statuses.get(302), 'no run ended in a Passport failure');
      assert.ok([...statuses.keys()].some((s) => s >= 400 && s < 500), 'no run was refused with a 4xx');
    });
  }

  test('random and hostile bodies POSTed to the callback', async (t) => {
    const target = extended;
    const statuses = new Map<number, number>();
    const jsonish = fc.oneof(
      fc.jsonValue({ maxDepth: 3 }),
      fc.dictionary(key, fc.oneof(fc.string(), fc.jsonValue({ maxDepth: 2 }), fc.constantFrom(VALID_STATE, VALID_CODE)), { maxKeys: 6 }),
    );
    await fc.assert(
      fc.asyncProperty(fc.record({ kind: bodyKind, entries: fc.array(fc.tuple(key, value), { maxLength: 6 }), wellFormed: fc.boolean(), json: jsonish, session: fc.boolean(), queryToo: fc.boolean() }), async (s) => {
        const { cookie, state, texts } = await prepare(target, s.session);
        const base: Array<[string, { text: string }]> = s.wellFormed ? [['code', { text: VALID_CODE }], ['state', { text: VALID_STATE }]] : [];
        const entries = [...base, ...s.entries.slice(0, s.wellFormed ? 1 : 6)].map(([k, v]): [string, string] => [k, fill(v.text, state)]);
        const json =
          s.wellFormed && s.kind !== 'bad-json'
            ? { ...Object.fromEntries(entries), code: fill(VALID_CODE, state), state }
            : typeof s.json === 'object' && s.json !== null && !Array.isArray(s.json)
              ? Object.fromEntries(Object.entries(s.json).map(([k, v]) => [k, typeof v === 'string' ? fill(v, state) : v]))
              : s.json;
        const { type, body } = encodeBody(s.kind, entries, json);
        const headers: Record<string, string> = {};
        if (type) headers['content-type'] = type;
        if (cookie) headers.cookie = cookie;
        const path = s.queryToo ? `/auth/feishu/callback?state=${encodeURIComponent(state)}` : '/auth/feishu/callback';
        const answer = await send(target.port, 'POST', path, headers, body);
        statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
        check({ status: answer.status, texts: [...(await shown(target, answer, cookie)), ...texts] }, await secretsOf(target), `POST ${s.kind} ${body?.toString('utf8').slice(0, 300) ?? ''}`);
      }),
      { numRuns: 800, seed: SEED, endOnFailure: true, includeErrorInReport: true },
    );
    t.diagnostic(`statuses: ${JSON.stringify(Object.fromEntries(statuses))}`);
    assert.ok(statuses.get(200), 'no POST completed a login');
    assert.ok(statuses.get(302), 'no POST ended in a Passport failure');
  });

  test('the apps still serve, and nothing was rejected unhandled', async () => {
    for (const target of [simple, extended]) assert.equal((await send(target.port, 'GET', '/health')).text, 'ok');
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(rejections.seen, []);
  });
});
