import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, afterEach, before, beforeEach, describe, mock, test } from 'node:test';
import { InternalOAuthError } from 'passport-oauth2';
import { FeishuStrategy, TransportError } from '../lib/index.js';

/**
 * README: "Every call to Feishu is bounded by `timeout` (default 10 s, headers and body together)".
 * A server that never answers, and a mocked clock: the call fails at 10 000 ms, not before.
 */

let server: Server;
let origin = '';
let received: Promise<void>;
let onReceived: () => void = () => undefined;

before(async () => {
  // Reads the request, then never answers.
  server = createServer((req) => {
    req.resume();
    req.on('end', () => onReceived());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

/** One turn of the real event loop: what a fired timer settles has settled after it. */
const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('the default timeout', () => {
  beforeEach(() => {
    received = new Promise((resolve) => (onReceived = resolve));
    mock.timers.enable({ apis: ['setTimeout'] });
  });
  afterEach(() => mock.timers.reset());

  test('is 10 s: a call still waits at 9 999 ms and fails at 10 000 ms, naming the limit', async () => {
    const strategy = new FeishuStrategy(
      { clientID: 'cli_default_timeout', clientSecret: 'secret-value', appAccessTokenURL: `${origin}/open-apis/auth/v3/app_access_token/internal` },
      () => undefined,
    );
    let outcome: unknown;
    // Read through a function: the type checker would keep `outcome` narrowed across the clock's ticks.
    const settled = (): unknown => outcome;
    void strategy.appTokens.get().then(
      () => (outcome = 'answered'),
      (err: unknown) => (outcome = err),
    );
    await received;
    mock.timers.tick(9_999);
    await turn();
    assert.equal(settled(), undefined, 'still waiting at 9 999 ms');
    mock.timers.tick(1);
    await turn();
    const err = settled();
    assert.notEqual(err, undefined, 'failed at 10 000 ms');
    assert.ok(err instanceof InternalOAuthError, String(err));
    const cause = err.oauthError;
    assert.ok(cause instanceof TransportError);
    assert.equal(cause.kind, 'timeout');
    assert.match(cause.message, /\b10000 ms\b/);
  });
});
