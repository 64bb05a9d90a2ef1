import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { callbackURLFor, resolveCallbackURL } from '../lib/callback-url.js';

/** The less common requests a relative callbackURL meets: odd targets, hosts, proxies and options. */

const CALLBACK = '/auth/feishu/callback';
const plain = { headers: { host: 'app.example.com' }, url: '/auth/feishu' };

describe('resolveCallbackURL: unusual requests', () => {
  test('a resolved URL is kept per scheme and host, and never answers for another', () => {
    const tls = { ...plain, socket: { encrypted: true } };
    for (let round = 0; round < 2; round += 1) {
      assert.equal(resolveCallbackURL(plain, CALLBACK, false), 'http://app.example.com/auth/feishu/callback');
      assert.equal(resolveCallbackURL(tls, CALLBACK, false), 'https://app.example.com/auth/feishu/callback');
      assert.equal(resolveCallbackURL({ ...plain, headers: { host: 'other.example' } }, CALLBACK, false), 'http://other.example/auth/feishu/callback');
      assert.equal(resolveCallbackURL(plain, '/auth/lark/callback', false), 'http://app.example.com/auth/lark/callback');
      // A relative reference depends on the request's path, and a network-path one names its own host.
      assert.equal(resolveCallbackURL({ ...plain, url: `/round${round}/x` }, 'cb', false), `http://app.example.com/round${round}/cb`);
      assert.equal(resolveCallbackURL(plain, '//cdn.example/cb', false), 'http://cdn.example/cb');
    }
    // A flood of Host headers empties the kept answers instead of growing them; answers stay right.
    for (let i = 0; i < 200; i += 1) assert.equal(resolveCallbackURL({ ...plain, headers: { host: `h${i}.example` } }, CALLBACK, false), `http://h${i}.example/auth/feishu/callback`);
    assert.equal(resolveCallbackURL(plain, CALLBACK, false), 'http://app.example.com/auth/feishu/callback');
  });

  test('a request target that is no path (absolute-form, *, none) resolves against the root', () => {
    for (const url of ['http://evil.example/x', '*', undefined]) {
      assert.equal(resolveCallbackURL({ ...plain, url }, 'cb', false), 'http://app.example.com/cb', String(url));
    }
    assert.equal(resolveCallbackURL({ ...plain, url: '/auth/feishu' }, 'cb', false), 'http://app.example.com/auth/cb');
  });

  test('a one-letter host name is a host', () => {
    assert.equal(resolveCallbackURL({ ...plain, headers: { host: 'a' } }, CALLBACK, false), 'http://a/auth/feishu/callback');
  });

  test('a port out of range is no usable Host: null, never undefined or a throw', () => {
    assert.equal(resolveCallbackURL({ ...plain, headers: { host: 'app.example.com:99999' } }, CALLBACK, false), null);
  });

  test('a trusted proxy that sends no X-Forwarded-Proto means http', () => {
    assert.equal(resolveCallbackURL({ ...plain, headers: { host: 'app.example.com' } }, CALLBACK, true), 'http://app.example.com/auth/feishu/callback');
  });

  test('forwarded values are trimmed', () => {
    const headers = { host: 'internal', 'x-forwarded-proto': ' https ', 'x-forwarded-host': [' app.example.com '] };
    assert.equal(resolveCallbackURL({ ...plain, headers }, CALLBACK, true), 'https://app.example.com/auth/feishu/callback');
  });

  test('an app object without get() (not Express) trusts nothing and does not crash', () => {
    const headers = { host: 'internal', 'x-forwarded-proto': 'https', 'x-forwarded-host': 'app.example.com' };
    assert.equal(resolveCallbackURL({ ...plain, headers, app: {} }, CALLBACK, false), 'http://internal/auth/feishu/callback');
  });
});

describe('callbackURLFor: which callbackURL', () => {
  const strategy = { _callbackURL: CALLBACK };

  test('no authenticate options: the strategy’s own', () => {
    assert.equal(callbackURLFor(plain, undefined, strategy), 'http://app.example.com/auth/feishu/callback');
  });

  test('a callbackURL option that is no string is ignored', () => {
    for (const callbackURL of [42, { toString: () => '/evil' }, ['/evil']]) {
      assert.equal(callbackURLFor(plain, { callbackURL }, strategy), 'http://app.example.com/auth/feishu/callback', JSON.stringify(callbackURL));
    }
  });

  test('a relative URL with a colon after its start is still relative', () => {
    assert.equal(callbackURLFor(plain, { callbackURL: '/cb?next=a:b' }, strategy), 'http://app.example.com/cb?next=a:b');
    assert.equal(callbackURLFor(plain, { callbackURL: 'lark://cb' }, strategy), undefined);
  });
});
