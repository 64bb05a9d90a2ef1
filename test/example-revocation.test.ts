import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import session from 'express-session';
import supertest from 'supertest';
import { MemoryCache } from 'passport-feishu-oauth2';
import { DEFAULT_APP, startMockFeishu, type MockFeishu } from 'passport-feishu-oauth2/testing';
import { createExampleApp } from '../example/app.js';
import { eventSecretsFromEnv } from '../example/revocation.js';
import { feishuSignIn } from './helpers/example-app.js';

// The example acting on auth.user_access_token.revoked_v4: two instances of the example share
// one store (sessions and cache, as Redis would be shared behind a load balancer); Feishu (the
// mock) delivers the revocation to instance A, and the session ends on instance B too.

const EVENTS = { encryptKey: 'example-revocation-encrypt-key', verificationToken: 'example-revocation-verification-token' };

interface Instance {
  readonly base: string;
  readonly server: Server;
}

let mock: MockFeishu;
let a: Instance;
let b: Instance;

async function listen(): Promise<{ server: Server; base: string; mount(app: RequestListener): void }> {
  const ready: { app?: RequestListener } = {};
  const server = createServer((req, res) => ready.app?.(req, res));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { server, base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, mount: (app) => void (ready.app = app) };
}

before(async () => {
  const [one, two] = [await listen(), await listen()];
  mock = await startMockFeishu({ apps: [{ ...DEFAULT_APP, redirectUris: [one.base, two.base].map((base) => `${base}/auth/feishu/callback`) }] });
  const shared = { cache: new MemoryCache(100_000), sessionStore: new session.MemoryStore() };
  for (const instance of [one, two]) {
    instance.mount(
      createExampleApp({
        feishu: { appId: mock.app.appId, appSecret: mock.app.appSecret, domain: mock.hosts, brand: 'feishu', jssdkURL: `${mock.hosts.open}/mock/h5sdk.js` },
        sessionSecret: 'example-revocation-session-secret',
        ...shared,
        events: EVENTS,
        logger: { info: () => undefined, error: () => undefined },
      }) as RequestListener,
    );
  }
  [a, b] = [one, two];
  // Feishu delivers the app's events to one URL: instance A's.
  mock.subscribeEvents({ url: `${a.base}/feishu/events`, ...EVENTS });
});
after(async () => {
  for (const instance of [a, b]) {
    instance.server.closeAllConnections();
    await new Promise((resolve) => instance.server.close(resolve));
  }
  await mock.close();
});

/** Signs mock user `user` in on instance A; resolves to the session cookie. */
async function signInOnA(user: number): Promise<string> {
  const res = await feishuSignIn(supertest.agent(a.base), { user });
  assert.equal(res.status, 302);
  assert.equal(res.headers.location, '/profile');
  const cookie = [res.headers['set-cookie'] ?? []].flat().find((c) => c.startsWith('acme.sid='));
  assert.ok(cookie, 'a session cookie');
  return cookie.split(';')[0]!;
}

/** GET /profile on `instance` with `cookie`: 200 while signed in, a redirect to /login after. */
async function profile(instance: Instance, cookie: string): Promise<number> {
  const res = await fetch(`${instance.base}/profile`, { headers: { cookie }, redirect: 'manual' });
  await res.arrayBuffer();
  return res.status;
}

describe('the example ends sessions when Feishu revokes the user', () => {
  test('a revocation received by instance A signs the user out on instance B, and only that user', async () => {
    const revoked = await signInOnA(0);
    const other = await signInOnA(1);
    assert.equal(await profile(b, revoked), 200, 'the session is shared: B knows it');
    assert.deepEqual(await mock.pushUserTokensRevoked({ user: 0 }), [200]);
    assert.equal(await profile(b, revoked), 302, 'B ends it at its next request');
    assert.equal(await profile(a, revoked), 302);
    assert.equal(await profile(b, other), 200, "another user's session is untouched");
  });

  test('a sign-in after the revocation is kept, and a replay of the old event does not end it', async () => {
    const revokedAt = Date.now() - 60_000;
    assert.deepEqual(await mock.pushUserTokensRevoked({ user: 1, eventId: 'evt-old', createdAt: revokedAt }), [200]);
    const fresh = await signInOnA(1);
    assert.equal(await profile(b, fresh), 200);
    assert.deepEqual(await mock.pushUserTokensRevoked({ user: 1, eventId: 'evt-old', createdAt: revokedAt }), [200], 'acknowledged as a replay');
    assert.deepEqual(await mock.pushUserTokensRevoked({ user: 1, createdAt: revokedAt }), [200], 'an old revocation under a new id');
    assert.equal(await profile(b, fresh), 200);
  });

  test('a forged revocation is refused and signs no one out', async () => {
    const cookie = await signInOnA(0);
    const res = await fetch(`${a.base}/feishu/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ schema: '2.0', header: { event_type: 'auth.user_access_token.revoked_v4', token: EVENTS.verificationToken, app_id: mock.app.appId }, event: { open_id: mock.users[0]!.open_id } }),
    });
    assert.equal(res.status, 400, 'plaintext, where Feishu would encrypt and sign');
    assert.equal(await profile(b, cookie), 200);
  });
});

describe('the example server reads the event secrets from its environment', () => {
  test('either variable mounts the event route; empty or unset ones are none', () => {
    assert.equal(eventSecretsFromEnv({}), undefined);
    assert.equal(eventSecretsFromEnv({ FEISHU_ENCRYPT_KEY: '', FEISHU_VERIFICATION_TOKEN: '' }), undefined);
    assert.deepEqual(eventSecretsFromEnv({ FEISHU_ENCRYPT_KEY: 'k' }), { encryptKey: 'k', verificationToken: undefined });
    assert.deepEqual(eventSecretsFromEnv({ FEISHU_VERIFICATION_TOKEN: 't', FEISHU_ENCRYPT_KEY: '' }), { encryptKey: undefined, verificationToken: 't' });
  });
});
