import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { cookieStateStore, StateRefusal } from '../lib/index.js';
import { readCookie, writeCookie } from '../lib/state/cookies.js';
import { open, seal, sealingKeys } from '../lib/state/sealed.js';

/**
 * The parts of `cookieStateStore` (docs/without-a-session.md) on their own: the sealing, the
 * cookie header, and what the store accepts and refuses, without a framework around them.
 */

const SECRET = 'x'.repeat(32);

/** A request and the response the store writes its cookie on, as Express hangs it on `req.res`. */
function exchange(cookie?: string) {
  const headers: Record<string, string[]> = {};
  const res = {
    getHeader: (name: string) => headers[name.toLowerCase()],
    setHeader: (name: string, value: string[]) => {
      headers[name.toLowerCase()] = value;
    },
  };
  return { req: { headers: cookie === undefined ? {} : { cookie }, res }, setCookies: () => headers['set-cookie'] ?? [] };
}

function stored(store: ReturnType<typeof cookieStateStore>, meta: { callbackURL?: string }, state: unknown = undefined, verifier?: string) {
  const { req, setCookies } = exchange();
  let handle = '';
  store.store(req, verifier, state, meta, (err, value) => {
    assert.equal(err, null);
    handle = value ?? '';
  });
  const line = setCookies()[0] ?? '';
  return { handle, line, cookie: line.slice(0, line.indexOf(';')) };
}

function verified(store: ReturnType<typeof cookieStateStore>, cookie: string | undefined, state: string, meta: { callbackURL?: string } = {}) {
  const { req, setCookies } = exchange(cookie);
  let outcome: { err: Error | null; ok: string | boolean; state?: unknown } | undefined;
  store.verify(req, state, meta, (err, ok, info) => {
    outcome = { err, ok, state: info };
  });
  return { ...outcome!, setCookies: setCookies() };
}

describe('sealing', () => {
  test('a key is HKDF-SHA-256 of the secret for one purpose: a fixed secret gives a fixed key', () => {
    // node -e "crypto.hkdfSync('sha256', 'x'.repeat(32), 'passport-feishu-oauth2', 'oauth state cookie', 32)"
    const [key] = sealingKeys(SECRET, 'oauth state cookie', 'secret');
    assert.equal(key!.toString('hex'), 'f459c69529f28a6756765ed4fdede923a1362d60ade715948243cdf93a31dfa6');
    const [other] = sealingKeys(SECRET, 'another purpose', 'secret');
    assert.notEqual(other!.toString('hex'), key!.toString('hex'));
  });

  test('a secret of exactly 32 characters is enough; 31 is not', () => {
    assert.equal(sealingKeys('y'.repeat(32), 'p', 'secret').length, 1);
    assert.throws(() => sealingKeys('y'.repeat(31), 'p', 'secret'), { name: 'TypeError', message: /^secret must be at least 32 characters/ });
  });

  test('seal and open round-trip, even an empty text, and bind the context', () => {
    const keys = sealingKeys(SECRET, 'p', 'secret');
    assert.equal(open(keys, seal(keys, '', 'ctx'), 'ctx'), '');
    assert.equal(open(keys, seal(keys, 'état 状态', 'ctx'), 'ctx'), 'état 状态');
    assert.equal(open(keys, seal(keys, 'text', 'ctx'), 'other'), undefined);
  });

  test('a value shorter than its header, or of another format version, does not open', () => {
    const keys = sealingKeys(SECRET, 'p', 'secret');
    const sealed = Buffer.from(seal(keys, 'text', 'ctx'), 'base64url');
    assert.equal(open(keys, sealed.subarray(0, 28).toString('base64url'), 'ctx'), undefined);
    const versioned = Buffer.from(sealed);
    versioned[0] = 2;
    assert.equal(open(keys, versioned.toString('base64url'), 'ctx'), undefined, 'the version byte is checked, though GCM does not cover it');
  });
});

describe('the cookie header', () => {
  test('reads one cookie among several, from a header or a list of headers, trimmed', () => {
    assert.equal(readCookie({ headers: { cookie: 'a=1; feishu_state.x=abc_-.9 ; b=2' } }, 'feishu_state.x'), 'abc_-.9');
    assert.equal(readCookie({ headers: { cookie: ['a=1', 'n=v'] } }, 'n'), 'v');
    assert.equal(readCookie({ headers: { cookie: ['a=1', 'n=v'] } }, 'a'), '1', 'list entries are separate cookies');
  });

  test('ignores parts without a value, other names, values it could not have written, and requests without headers', () => {
    assert.equal(readCookie({ headers: { cookie: 'n; n=ok' } }, 'n'), 'ok');
    assert.equal(readCookie({ headers: { cookie: 'nn=1' } }, 'n'), undefined);
    assert.equal(readCookie({ headers: { cookie: 'n=a"b' } }, 'n'), undefined);
    assert.equal(readCookie({ headers: { cookie: 'n="ab' } }, 'n'), undefined);
    assert.equal(readCookie({ headers: { cookie: 'n=ab;' } }, 'n'), 'ab');
    assert.equal(readCookie({}, 'n'), undefined);
  });

  test('writes the attributes, and keeps a Set-Cookie already set as a string', () => {
    const headers: Record<string, unknown> = { 'set-cookie': 'sid=1' };
    const res = { getHeader: (name: string) => headers[name], setHeader: (name: string, value: unknown) => (headers[name.toLowerCase()] = value) };
    writeCookie({ res }, 'n', 'v', { path: '/cb', maxAgeSeconds: 60, secure: false });
    assert.deepEqual(headers['set-cookie'], ['sid=1', 'n=v; Path=/cb; Max-Age=60; HttpOnly; SameSite=Lax']);
    writeCookie({ res: { setHeader: (name: string, value: unknown) => (headers[name.toLowerCase()] = value) } }, 'n', 'v', { path: '/', maxAgeSeconds: 1, secure: true });
    assert.deepEqual(headers['set-cookie'], ['n=v; Path=/; Max-Age=1; HttpOnly; SameSite=Lax; Secure'], 'a response without getHeader gets ours alone');
  });

  test('a Fastify reply takes it through header(); no response at all is an error that says what to do', () => {
    const sent: string[] = [];
    writeCookie({ res: { header: (_name: string, value: string) => sent.push(value) } }, 'n', 'v', { path: '/', maxAgeSeconds: 1, secure: false });
    assert.deepEqual(sent, ['n=v; Path=/; Max-Age=1; HttpOnly; SameSite=Lax']);
    assert.throws(() => writeCookie({}, 'n', 'v', { path: '/', maxAgeSeconds: 1, secure: false }), /req\.res.*onRequest hook/);
  });
});

describe('the store, on its own', () => {
  const store = cookieStateStore({ secret: SECRET });

  test('the cookie path is the callback path; without a callback URL, or with one that does not parse, it is /', () => {
    assert.match(stored(store, { callbackURL: '/auth/cb?x=1' }).line, /; Path=\/auth\/cb;/);
    assert.match(stored(store, {}).line, /; Path=\/;/);
    assert.match(stored(store, { callbackURL: 'http://[bad' }).line, /; Path=\/;/);
    assert.doesNotMatch(stored(store, {}).line, /Secure/);
  });

  test('verify hands back the PKCE verifier and the app state; without a verifier, true', () => {
    const withVerifier = stored(store, {}, { appId: 'cli_1' }, 'the-verifier');
    const ok = verified(store, withVerifier.cookie, withVerifier.handle);
    assert.deepEqual({ err: ok.err, ok: ok.ok, state: ok.state }, { err: null, ok: 'the-verifier', state: { appId: 'cli_1' } });
    const plain = stored(store, {});
    assert.equal(verified(store, plain.cookie, plain.handle).ok, true);
  });

  test('a state too large for a cookie is an error at the start', () => {
    const { req } = exchange();
    let error: Error | null = null;
    store.store(req, undefined, { blob: 'z'.repeat(4000) }, {}, (err) => {
      error = err;
    });
    assert.match(String(error), /too large for a cookie/);
  });

  test('a verify with nowhere to clear the cookie is an error, not a pass', () => {
    const { cookie, handle } = stored(store, {});
    let outcome: [Error | null, string | boolean] | undefined;
    store.verify({ headers: { cookie } }, handle, {}, (err, ok) => {
      outcome = [err, ok];
    });
    assert.match(String(outcome?.[0]), /req\.res/);
    assert.equal(outcome?.[1], false);
  });

  test('the state names the cookie by its first 8 characters: a state of exactly 8 is looked up', () => {
    const keys = sealingKeys(SECRET, 'oauth state cookie', 'secret');
    const name = 'feishu_state.ABCDEFGH';
    const cookie = `${name}=${seal(keys, JSON.stringify({ h: 'ABCDEFGH', t: Date.now() }), name)}`;
    assert.equal(verified(store, cookie, 'ABCDEFGH').ok, true);
    const short = verified(store, cookie, 'ABCDEFG');
    assert.ok(short.state instanceof StateRefusal);
    assert.match(short.state.message, /missing/);
  });

  test('what the cookie holds is checked, even when it opens', () => {
    const keys = sealingKeys(SECRET, 'oauth state cookie', 'secret');
    const name = 'feishu_state.ABCDEFGH';
    for (const text of ['not json', 'null', '"text"', '{"t":1}', '{"h":1,"t":1}', '{"h":"ABCDEFGH"}', '{"h":"ABCDEFGH","t":"1"}', '{"h":"ABCDEFGH","t":1,"v":5}']) {
      const outcome = verified(store, `${name}=${seal(keys, text, name)}`, 'ABCDEFGH');
      assert.equal(outcome.ok, false, text);
      assert.ok(outcome.state instanceof StateRefusal);
      assert.match(outcome.state.message, /not valid/, text);
    }
  });

  test('expires at maxAge exactly', (t) => {
    const short = cookieStateStore({ secret: SECRET, maxAge: 5000 });
    const started = Date.now();
    t.mock.method(Date, 'now', () => started);
    const first = stored(short, {});
    const second = stored(short, {});
    t.mock.method(Date, 'now', () => started + 4999);
    assert.equal(verified(short, first.cookie, first.handle).ok, true);
    t.mock.method(Date, 'now', () => started + 5000);
    const late = verified(short, second.cookie, second.handle);
    assert.match((late.state as StateRefusal).message, /took too long/);
  });

  test('a non-object options or a non-string secret is a TypeError', () => {
    assert.throws(() => cookieStateStore('secret' as never), { name: 'TypeError', message: 'cookieStateStore requires an options object with a secret' });
    assert.throws(() => cookieStateStore(null as never), { name: 'TypeError', message: 'cookieStateStore requires an options object with a secret' });
  });
});
