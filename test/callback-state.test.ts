import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type supertest from 'supertest';
import { startMockFeishu, type MockFeishu } from '../lib/testing/index.js';
import { buildApp, consent, pathOf } from './helpers/app.js';

/**
 * README: "a forged or missing state is a 403". passport-oauth2's state store decides, the
 * strategy must keep its status: without failureRedirect Passport answers with it, with
 * failureRedirect and failureMessage the message says which check failed.
 */

let mock: MockFeishu;
before(async () => {
  mock = await startMockFeishu({ consent: 'auto' });
});
after(() => mock.close());

type Tamper = (callback: URL) => void;

const CASES: ReadonlyArray<[string, boolean, Tamper, string]> = [
  ['a forged state', true, (url) => url.searchParams.set('state', 'forged'), 'Invalid authorization request state.'],
  ['no state in the callback', true, (url) => url.searchParams.delete('state'), 'Invalid authorization request state.'],
  // The callback reaches a browser that never started the sign-in: its session holds no state.
  ['a state the session never issued', false, () => undefined, 'Unable to verify authorization request state.'],
  ['neither a state nor a session', false, (url) => url.searchParams.delete('state'), 'Unable to verify authorization request state.'],
];

/** The callback URL Feishu sends back, tampered with, and the agent (fresh when `sameSession` is false) that presents it. */
async function tamperedCallback(sameSession: boolean, tamper: Tamper): Promise<{ agent: supertest.Agent; path: string }> {
  const { agent } = buildApp(mock);
  const start = await agent.get('/login');
  const callback = new URL(await consent(start.headers.location ?? ''));
  tamper(callback);
  return { agent: sameSession ? agent : buildApp(mock).agent, path: pathOf(callback.href) };
}

describe('a callback whose state does not check out', () => {
  for (const [name, sameSession, tamper, message] of CASES) {
    test(`${name}: Passport answers 403`, async () => {
      const { agent, path } = await tamperedCallback(sameSession, tamper);
      const res = await agent.get(path.replace('/auth/feishu/callback', '/auth/feishu/callback-bare'));
      assert.equal(res.status, 403);
      assert.equal(mock.calls.v1Token, 0, 'no code exchange');
    });

    test(`${name}: the failure says "${message}"`, async () => {
      const { agent, path } = await tamperedCallback(sameSession, tamper);
      const res = await agent.get(path);
      assert.equal(res.status, 302);
      assert.equal(res.headers.location, '/failed');
      const failed = await agent.get('/failed');
      assert.deepEqual(failed.body.messages, [message]);
    });
  }
});
