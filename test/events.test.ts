import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, beforeEach, describe, test } from 'node:test';
import express from 'express';
import { feishuEventHandler, MemoryCache, type FeishuEventHandler } from '../lib/index.js';
import { eventSignature } from '../lib/events/signature.js';
import { appTicketEvent, DEFAULT_APP, eventRequest, signEvent, startMockFeishu, type EventSubscription, type MockFeishu } from '../lib/testing/index.js';
import { buildApp, login } from './helpers/app.js';

const ENCRYPT_KEY = 'events-test-encrypt-key';
const VERIFICATION_TOKEN = 'events-test-verification-token';
const SUB: Partial<EventSubscription> = { encryptKey: ENCRYPT_KEY, verificationToken: VERIFICATION_TOKEN };
const HOUR_MS = 60 * 60 * 1000;

interface Mount {
  /** Whether the handler sees the bytes as sent, rather than `JSON.stringify(req.body)`. */
  readonly raw: boolean;
  readonly listener: (handler: FeishuEventHandler) => RequestListener;
}

/** The ways an app puts the handler behind its event URL. */
const MOUNTS: Record<string, Mount> = {
  'Express, no body parser before it': {
    raw: true,
    listener: (handler) => express().post('/events', handler) as RequestListener,
  },
  // The handler then signs JSON.stringify(req.body), as the official node-sdk does.
  'Express with express.json() before it': {
    raw: false,
    listener: (handler) => express().post('/events', express.json(), handler) as RequestListener,
  },
  'Express with express.json() keeping req.rawBody': {
    raw: true,
    listener: (handler) => {
      const keepRaw = (req: IncomingMessage & { rawBody?: Buffer }, _res: unknown, buf: Buffer) => {
        req.rawBody = buf;
      };
      return express().post('/events', express.json({ verify: keepRaw }), handler) as RequestListener;
    },
  },
  'Express with express.raw() before it': {
    raw: true,
    listener: (handler) => express().post('/events', express.raw({ type: 'application/json' }), handler) as RequestListener,
  },
  'a bare node:http server': {
    raw: true,
    listener: (handler) => (req, res) => handler(req, res),
  },
};
const BARE = MOUNTS['a bare node:http server']!;

async function listen(listener: RequestListener): Promise<{ server: Server; url: string }> {
  const server = createServer(listener);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/events` };
}

async function post(url: string, request: { body: Buffer; headers: Record<string, string> }): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(url, { method: 'POST', headers: request.headers, body: new Uint8Array(request.body) });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

function withoutSignature(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).filter(([name]) => !name.startsWith('x-lark-')));
}

for (const [mountName, mount] of Object.entries(MOUNTS)) {
  describe(`events through ${mountName}`, () => {
    let mock: MockFeishu;
    let server: Server;
    let url: string;
    /** A store app with its own strategy and cache, fresh for each test. */
    let site: ReturnType<typeof buildApp>;
    let handler: FeishuEventHandler;

    before(async () => {
      mock = await startMockFeishu({ apps: [{ ...DEFAULT_APP, type: 'store' }], consent: 'auto' });
      // One server for the describe (the mock keeps delivering to it); each test swaps in its own app.
      ({ server, url } = await listen(mount.listener((req, res) => handler(req, res))));
      mock.subscribeEvents({ url, ...SUB });
    });
    beforeEach(() => {
      site = buildApp(mock, { appType: 'store' });
      handler = feishuEventHandler({ strategies: site.strategy, encryptKey: ENCRYPT_KEY, verificationToken: VERIFICATION_TOKEN });
    });
    after(async () => {
      await mock.close();
      await new Promise((resolve) => server.close(resolve));
    });

    /** A sign-in from the start; its app-token request carries whatever ticket the strategy holds. */
    async function signIn() {
      mock.revokeAppTokens();
      mock.resetCalls();
      return login(site.agent);
    }

    /** Feishu's signed, encrypted event carrying `ticket`. */
    function signedTicket(ticket: string, options: { schema?: '1.0' | '2.0'; createdAt?: number; eventId?: string } = {}) {
      return eventRequest(SUB, appTicketEvent(mock.app.appId, ticket, { ...SUB, schema: options.schema }, options));
    }

    test('a signed ticket pushed by the mock is used: a sign-in succeeds with it', async () => {
      await mock.pushAppTicket();
      const res = await signIn();
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.equal(mock.calls.storeAppAccessToken, 1);
      assert.equal(mock.calls.appTicketResend, 0, 'the pushed ticket was there, no resend needed');
    });

    test('a forged signature is refused and the stored ticket stays good', async () => {
      await mock.pushAppTicket();
      const forged = signedTicket('planted-ticket');
      const other = signEvent(forged.body, 'not-the-encrypt-key');
      const res = await post(url, { body: forged.body, headers: { ...forged.headers, 'x-lark-signature': other['x-lark-signature'] } });
      assert.equal(res.status, 401);
      assert.match(String(res.body.error), /signature mismatch/);
      const signedIn = await signIn();
      assert.equal(signedIn.status, 200, JSON.stringify(signedIn.body));
    });

    test('an unsigned event is refused and the stored ticket stays good', async () => {
      await mock.pushAppTicket();
      const unsigned = signedTicket('planted-ticket');
      const res = await post(url, { body: unsigned.body, headers: withoutSignature(unsigned.headers) });
      assert.equal(res.status, 401);
      assert.match(String(res.body.error), /X-Lark-Signature/);
      const signedIn = await signIn();
      assert.equal(signedIn.status, 200, JSON.stringify(signedIn.body));
    });

    test('a plaintext event is refused when an Encrypt Key is set, even signed and with the right token', async () => {
      await mock.pushAppTicket();
      const body = Buffer.from(JSON.stringify(appTicketEvent(mock.app.appId, 'planted-ticket', SUB)));
      const res = await post(url, { body, headers: { 'content-type': 'application/json', ...signEvent(body, ENCRYPT_KEY) } });
      assert.equal(res.status, 400);
      assert.match(String(res.body.error), /plaintext/);
      const signedIn = await signIn();
      assert.equal(signedIn.status, 200, JSON.stringify(signedIn.body));
    });

    test('a replayed event (same event id) is acknowledged and has no effect', async () => {
      const first = signedTicket(mock.issueAppTicket(mock.app.appId));
      assert.equal((await post(url, first)).status, 200);
      // The ticket moves on through a save that carries no event time (as one saved by
      // version 0.1 does), so only the event id tells the replay apart.
      await site.strategy.saveAppTicket(mock.issueAppTicket(mock.app.appId));
      const replay = await post(url, first);
      assert.equal(replay.status, 200, 'Feishu retries anything else');
      assert.match(String(replay.body.msg), /ignored/);
      const signedIn = await signIn();
      assert.equal(signedIn.status, 200, JSON.stringify(signedIn.body));
    });

    test('an older ticket never replaces a newer one, across both event schemas', async () => {
      const stale = mock.issueAppTicket(mock.app.appId);
      await mock.pushAppTicket(); // v1: `ts` in seconds
      // A genuine event from an hour ago, new id, 2.0 schema: `create_time` in milliseconds.
      const older = await post(url, signedTicket(stale, { schema: '2.0', createdAt: Date.now() - HOUR_MS }));
      assert.equal(older.status, 200);
      assert.match(String(older.body.msg), /ignored/);
      const signedIn = await signIn();
      assert.equal(signedIn.status, 200, JSON.stringify(signedIn.body));
    });

    test(
      mount.raw
        ? 'a signed event whose JSON is not compact is taken: the signature is checked over the bytes as sent'
        : 'a signed event whose JSON is not compact is refused: re-serialised, its bytes differ (the documented limit)',
      async () => {
        const ticket = mock.issueAppTicket(mock.app.appId);
        const compact = JSON.parse(signedTicket(ticket).body.toString()) as object;
        const body = Buffer.from(JSON.stringify(compact, null, 2));
        const res = await post(url, { body, headers: { 'content-type': 'application/json', ...signEvent(body, ENCRYPT_KEY) } });
        if (!mount.raw) {
          assert.equal(res.status, 401);
          assert.match(String(res.body.error), /raw body/);
          return;
        }
        assert.equal(res.status, 200, JSON.stringify(res.body));
        const signedIn = await signIn();
        assert.equal(signedIn.status, 200, JSON.stringify(signedIn.body));
      },
    );

    test('a newer ticket replaces the stored one, across both event schemas', async () => {
      await post(url, signedTicket(mock.issueAppTicket(mock.app.appId), { schema: '2.0', createdAt: Date.now() - HOUR_MS }));
      const newer = await post(url, signedTicket(mock.issueAppTicket(mock.app.appId), { schema: '1.0' }));
      assert.deepEqual(newer, { status: 200, body: { msg: 'success' } });
      const signedIn = await signIn();
      assert.equal(signedIn.status, 200, JSON.stringify(signedIn.body));
    });
  });
}

describe('several instances sharing one cache', () => {
  test('an event id seen by one instance is a replay to the others', async () => {
    const mock = await startMockFeishu({ apps: [{ ...DEFAULT_APP, type: 'store' }], consent: 'auto' });
    const servers: Server[] = [];
    try {
      const cache = new MemoryCache();
      const [one, two] = [buildApp(mock, { appType: 'store', cache }), buildApp(mock, { appType: 'store', cache })];
      const urls: string[] = [];
      for (const site of [one, two]) {
        const started = await listen(BARE.listener(feishuEventHandler({ strategies: site.strategy, encryptKey: ENCRYPT_KEY })));
        servers.push(started.server);
        urls.push(started.url);
      }
      const first = eventRequest(SUB, appTicketEvent(mock.app.appId, mock.issueAppTicket(mock.app.appId), SUB));
      assert.equal((await post(urls[0]!, first)).status, 200);
      await two.strategy.saveAppTicket(mock.issueAppTicket(mock.app.appId)); // no event time: only the id can tell
      const replay = await post(urls[1]!, first);
      assert.match(String(replay.body.msg), /ignored/);
      const signedIn = await login(two.agent);
      assert.equal(signedIn.status, 200, JSON.stringify(signedIn.body));
    } finally {
      await mock.close();
      await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
    }
  });
});

describe('a handler with nothing to verify events by', () => {
  test('refuses to start, naming both console fields and the opt-in', () => {
    for (const options of [{}, { verificationToken: '', encryptKey: '' }, { verificationToken: undefined, encryptKey: process.env.UNSET_FEISHU_ENCRYPT_KEY }]) {
      assert.throws(
        () => feishuEventHandler({ strategies: [], ...options }),
        (err: unknown) =>
          err instanceof TypeError && /Verification Token/.test(err.message) && /Encrypt Key/.test(err.message) && /Encryption Strategy/.test(err.message) && /allowUnverifiedEvents/.test(err.message),
      );
    }
  });

  test('starts with allowUnverifiedEvents: true, and then takes an unsigned plaintext ticket', async () => {
    const mock = await startMockFeishu({ apps: [{ ...DEFAULT_APP, type: 'store' }], consent: 'auto' });
    let server: Server | undefined;
    try {
      const site = buildApp(mock, { appType: 'store' });
      const started = await listen(BARE.listener(feishuEventHandler({ strategies: site.strategy, allowUnverifiedEvents: true })));
      server = started.server;
      const url = started.url;
      const ticket = mock.issueAppTicket(mock.app.appId);
      const res = await post(url, eventRequest({}, appTicketEvent(mock.app.appId, ticket, {})));
      assert.equal(res.status, 200);
      const signedIn = await login(site.agent);
      assert.equal(signedIn.status, 200, JSON.stringify(signedIn.body));
    } finally {
      await mock.close();
      await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
    }
  });
});

describe('the event signature', () => {
  // Computed outside Node: printf '%s' '1700000000nonce-1k3y{"encrypt":"abc"}' | sha256sum
  const VECTOR = { timestamp: '1700000000', nonce: 'nonce-1', key: 'k3y', body: '{"encrypt":"abc"}', signature: 'be4a51efd3be994acd40177b496a9fbb2090ffe9fbc739c326c0de3d044cd865' };

  test('is the hex SHA-256 of timestamp + nonce + Encrypt Key + body, in the handler and in the mock', () => {
    assert.equal(eventSignature(VECTOR.timestamp, VECTOR.nonce, VECTOR.key, Buffer.from(VECTOR.body)), VECTOR.signature);
    assert.equal(signEvent(VECTOR.body, VECTOR.key, VECTOR.timestamp, VECTOR.nonce)['x-lark-signature'], VECTOR.signature);
  });

  test('covers the exact bytes: the same event re-serialised with a space fails', async () => {
    const stored: string[] = [];
    const handler = feishuEventHandler({
      strategies: { appId: DEFAULT_APP.appId, saveAppTicket: (ticket: string) => Promise.resolve(void stored.push(ticket)) },
      encryptKey: ENCRYPT_KEY,
    });
    const { server, url } = await listen(BARE.listener(handler));
    try {
      const signed = eventRequest(SUB, appTicketEvent(DEFAULT_APP.appId, 't-1', SUB, { eventId: randomUUID() }));
      const spaced = Buffer.from(JSON.stringify(JSON.parse(signed.body.toString()), null, 1));
      assert.equal((await post(url, { body: spaced, headers: signed.headers })).status, 401);
      assert.deepEqual(stored, []);
      assert.equal((await post(url, signed)).status, 200);
      assert.deepEqual(stored, ['t-1']);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
