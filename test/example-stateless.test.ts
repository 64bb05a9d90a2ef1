import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import supertest from 'supertest';
import { DEFAULT_APP, startMockFeishu, type MockFeishu } from 'passport-feishu-oauth2/testing';
import { createStatelessApp } from '../example/stateless.js';
import { consent, pathOf } from './helpers/app.js';

/**
 * docs/without-a-session.md, "The example": `STATE_STORE=cookie npm start` signs in with no
 * server session, on any instance that shares SESSION_SECRET.
 */

const SECRET = 'the-shared-session-secret-of-32-chars-or-more';

interface Instance {
  readonly base: string;
  readonly server: Server;
  /** Set once the mock knows the instance's callback URL. */
  readonly ready: { app?: RequestListener };
}

let mock: MockFeishu;
const instances: Instance[] = [];

async function listen(): Promise<Instance> {
  const ready: { app?: RequestListener } = {};
  const server = createServer((req, res) => ready.app?.(req, res));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { base, server, ready };
}

before(async () => {
  const a = await listen();
  const b = await listen();
  mock = await startMockFeishu({ apps: [{ ...DEFAULT_APP, redirectUris: [`${a.base}/auth/feishu/callback`, `${b.base}/auth/feishu/callback`] }] });
  for (const instance of [a, b]) {
    // Each instance resolves the relative callbackURL to its own origin; they share nothing but the secret.
    instance.ready.app = createStatelessApp({
      feishu: { appId: mock.app.appId, appSecret: mock.app.appSecret, domain: mock.hosts, brand: 'feishu', jssdkURL: `${mock.hosts.open}/mock/h5sdk.js` },
      sessionSecret: SECRET,
      logger: { info: () => undefined, error: () => undefined },
    });
    instances.push(instance);
  }
});
after(async () => {
  for (const { server } of instances) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
  await mock.close();
});

describe('the stateless example (STATE_STORE=cookie)', () => {
  test('signs in with no server session, and the JWT cookie is the session', async () => {
    const agent = supertest.agent(instances[0]!.base);
    const start = await agent.get('/auth/feishu');
    assert.equal(start.status, 302);
    const callback = await agent.get(pathOf(await consent(start.headers.location as string)));
    assert.equal(callback.status, 302, callback.text);
    assert.equal(callback.headers.location, '/');
    const cookie = (callback.headers['set-cookie'] as unknown as string[]).find((line) => line.startsWith('session='));
    assert.match(cookie ?? '', /HttpOnly/);
    const home = await agent.get('/');
    assert.match(home.text, new RegExp(`Signed in as ${mock.users[0]!.name}`));
  });

  test('a sign-in started on one instance completes on another that shares only the secret', async () => {
    const [a, b] = instances;
    const agent = supertest.agent(a!.base);
    const start = await agent.get('/auth/feishu');
    // The callback URL names instance A; the same browser cookie goes to instance B's callback path.
    const callback = new URL(await consent(start.headers.location as string));
    const state = (start.headers['set-cookie'] as unknown as string[])[0]!.split(';')[0]!;
    const onB = await supertest(b!.base).get(pathOf(callback.href)).set('cookie', state);
    assert.equal(onB.status, 302, onB.text);
    const session = (onB.headers['set-cookie'] as unknown as string[]).find((line) => line.startsWith('session='))!.split(';')[0]!;
    const home = await supertest(a!.base).get('/').set('cookie', session);
    assert.match(home.text, /Signed in as/, 'instance A accepts the session instance B issued');
  });

  test('a forged session cookie signs no one in, and a refused state shows its reason with 400', async () => {
    const forged = await supertest(instances[0]!.base).get('/').set('cookie', 'session=eyJhbGciOiJub25lIn0.eyJzdWIiOiJvdV94In0.');
    assert.match(forged.text, /Sign in with Feishu/);
    const agent = supertest.agent(instances[0]!.base);
    const start = await agent.get('/auth/feishu');
    const callback = pathOf(await consent(start.headers.location as string));
    assert.equal((await agent.get(callback)).status, 302);
    const replay = await agent.get(callback);
    assert.equal(replay.status, 400);
    assert.match(replay.text, /No sign-in is in progress in this browser/);
  });
});
