import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import express from 'express';
import supertest from 'supertest';
import { feishuEventHandler, FeishuStrategy } from '../lib/index.js';
import { appTicketEvent, DEFAULT_APP, encryptEvent, eventRequest, startMockFeishu, type MockFeishu } from '../lib/testing/index.js';
import { buildApp, login } from './helpers/app.js';

const ENCRYPT_KEY = 'mock-encrypt-key-for-tests';
const VERIFICATION_TOKEN = 'mock-verification-token';

describe('a store (marketplace) app', () => {
  let mock: MockFeishu;
  let server: Server;
  let built: ReturnType<typeof buildApp>;

  before(async () => {
    mock = await startMockFeishu({ apps: [{ ...DEFAULT_APP, type: 'store' }], consent: 'auto' });
    built = buildApp(mock, { appType: 'store' });
    // Feishu pushes events to a public URL of the app: a real server, as in production.
    const events = express();
    events.post('/feishu/events', express.json(), feishuEventHandler({ strategies: built.strategy, encryptKey: ENCRYPT_KEY, verificationToken: VERIFICATION_TOKEN }));
    server = createServer(events).listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
  });
  after(async () => {
    await mock.close();
    await new Promise((resolve) => server.close(resolve));
  });

  test('without a ticket the login fails clearly and Feishu is asked to resend it', async () => {
    const res = await login(built.agent);
    assert.equal(res.status, 500);
    assert.equal(res.body.feishuCode, 10012);
    assert.match(res.body.message, /app_ticket/);
    assert.equal(mock.calls.appTicketResend, 1);
    assert.equal(mock.calls.storeAppAccessToken, 0, 'no token request without a ticket');
  });

  test('logs in with a ticket that arrived, encrypted, through the event handler', async () => {
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/feishu/events`;
    mock.subscribeEvents({ url, encryptKey: ENCRYPT_KEY, verificationToken: VERIFICATION_TOKEN });
    await mock.pushAppTicket();
    mock.resetCalls();
    const res = await login(built.agent);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(mock.calls.storeAppAccessToken, 1);
  });

  test('a rejected ticket (10012) triggers a resend, and the next login works', async () => {
    mock.issueAppTicket(mock.app.appId); // Feishu moved on; the app holds a stale ticket
    mock.revokeAppTokens();
    const failed = await login(built.agent);
    assert.equal(failed.body.feishuCode, 10012);
    const res = await login(built.agent);
    assert.equal(res.status, 200, JSON.stringify(res.body));
  });
});

describe('the event handler', () => {
  const saved: string[] = [];
  const store = { appId: DEFAULT_APP.appId, saveAppTicket: (ticket: string) => Promise.resolve(void saved.push(ticket)) };

  function app(options: { encryptKey?: string; verificationToken?: string }) {
    const events = express();
    // Without express.json(): the handler reads the body itself.
    events.post('/events', feishuEventHandler({ strategies: [store], ...options }));
    return events;
  }

  test('answers the url_verification challenge', async () => {
    const res = await supertest(app({ verificationToken: VERIFICATION_TOKEN }))
      .post('/events')
      .send({ challenge: 'ajls384kdjx98XX', token: VERIFICATION_TOKEN, type: 'url_verification' });
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, { challenge: 'ajls384kdjx98XX' });
  });

  test('answers an encrypted challenge unsigned, as the official SDKs do, when its Verification Token matches', async () => {
    const challenge = encryptEvent({ challenge: 'c-123', token: VERIFICATION_TOKEN, type: 'url_verification' }, ENCRYPT_KEY);
    const res = await supertest(app({ encryptKey: ENCRYPT_KEY, verificationToken: VERIFICATION_TOKEN })).post('/events').send(challenge);
    assert.deepEqual(res.body, { challenge: 'c-123' });
    const forged = encryptEvent({ challenge: 'c-123', token: 'forged', type: 'url_verification' }, ENCRYPT_KEY);
    assert.equal((await supertest(app({ encryptKey: ENCRYPT_KEY, verificationToken: VERIFICATION_TOKEN })).post('/events').send(forged)).status, 401);
  });

  test('with an Encrypt Key alone, answers a signed challenge and refuses an unsigned one', async () => {
    const { body, headers } = eventRequest({ encryptKey: ENCRYPT_KEY }, { challenge: 'c-456', token: VERIFICATION_TOKEN, type: 'url_verification' });
    const signed = await supertest(app({ encryptKey: ENCRYPT_KEY })).post('/events').set(headers).send(body.toString());
    assert.deepEqual(signed.body, { challenge: 'c-456' });
    const unsigned = await supertest(app({ encryptKey: ENCRYPT_KEY })).post('/events').set('content-type', 'application/json').send(body.toString());
    assert.equal(unsigned.status, 401);
    assert.match(unsigned.body.error, /verificationToken/);
  });

  test('refuses an event with another verification token', async () => {
    const res = await supertest(app({ verificationToken: VERIFICATION_TOKEN }))
      .post('/events')
      .send(appTicketEvent(DEFAULT_APP.appId, 't1', { url: '', verificationToken: 'forged' }));
    assert.equal(res.status, 401);
    assert.ok(!saved.includes('t1'));
  });

  test('refuses a payload encrypted and signed with another key, naming encryptKey', async () => {
    const { body, headers } = eventRequest({ encryptKey: 'another-key' }, appTicketEvent(DEFAULT_APP.appId, 't2', {}));
    const res = await supertest(app({ encryptKey: ENCRYPT_KEY })).post('/events').set(headers).send(body.toString());
    assert.equal(res.status, 401);
    assert.match(res.body.error, /encryptKey/);
    assert.ok(!saved.includes('t2'));
  });

  test('saves app_ticket events of both schemas', async () => {
    for (const schema of ['1.0', '2.0'] as const) {
      const res = await supertest(app({ verificationToken: VERIFICATION_TOKEN }))
        .post('/events')
        .send(appTicketEvent(DEFAULT_APP.appId, `ticket-${schema}`, { url: '', verificationToken: VERIFICATION_TOKEN, schema }));
      assert.equal(res.status, 200);
    }
    assert.deepEqual(saved.slice(-2), ['ticket-1.0', 'ticket-2.0']);
  });

  test('a body that is not JSON is a 400', async () => {
    const res = await supertest(app({ verificationToken: VERIFICATION_TOKEN })).post('/events').set('content-type', 'application/json').send('{not json');
    assert.equal(res.status, 400);
  });

  test('a ticket saved on one strategy is read by another sharing the cache', async () => {
    const mock = await startMockFeishu({ apps: [{ ...DEFAULT_APP, type: 'store' }] });
    try {
      const { MemoryCache } = await import('../lib/index.js');
      const cache = new MemoryCache();
      const options = { domain: mock.hosts, clientID: mock.app.appId, clientSecret: mock.app.appSecret, appType: 'store' as const, cache };
      const receiving = new FeishuStrategy(options, () => undefined);
      const other = new FeishuStrategy(options, () => undefined);
      await receiving.saveAppTicket(mock.issueAppTicket(mock.app.appId));
      assert.match(await other.appTokens.get(), /^a-/);
    } finally {
      await mock.close();
    }
  });
});
