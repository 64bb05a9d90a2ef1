import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { buildApp, login } from './helpers/app.js';
import * as lark from '@larksuiteoapi/node-sdk';
import {
  feishuEventDispatcherHandlers,
  feishuEventHandler,
  FeishuStrategy,
  MemoryCache,
  USER_TOKENS_REVOKED,
  type AppTicketEventInfo,
  type FeishuCache,
  type FeishuDispatcherHandlerOptions,
  type FeishuEventHandler,
  type FeishuEventHandlerOptions,
  type UserTokensRevoked,
} from '../lib/index.js';
import { appTicketEvent, DEFAULT_USERS, eventRequest, signEvent, startMockFeishu, userTokensRevokedEvent, type EventSubscription, type MockFeishu } from '../lib/testing/index.js';

// auth.user_access_token.revoked_v4: through feishuEventHandler (a webhook) and through the
// official node-sdk's EventDispatcher (the long connection's and node-sdk's webhook adapters').

const KEY = 'revocation-test-encrypt-key';
const TOKEN = 'revocation-test-verification-token';
const APP = 'cli_revocation_test_app';
const SUB: Partial<EventSubscription> = { encryptKey: KEY, verificationToken: TOKEN };
const USER = { open_id: 'ou_c99c5f35d542efc7ee492afe11af19ef', union_id: 'on_cad4860e7af114fb4ff6c5d496d1dd76', user_id: 'gg895344', tenant_key: '2ca1d211f64f6438' };
const CREATED = 1608725989000;

/** The revocation as the doc's example carries it, with a fresh event id unless given. */
function revocation(fields: { eventId?: string; createdAt?: number; appId?: string } = {}, details?: { tokenTypes?: string; reason?: string }): Record<string, unknown> {
  return userTokensRevokedEvent(fields.appId ?? APP, USER, SUB, { eventId: fields.eventId ?? randomUUID(), createdAt: fields.createdAt ?? CREATED }, details);
}

/** What onUserTokensRevoked should get for `revocation({ eventId })`. */
function expected(eventId: string): UserTokensRevoked {
  return {
    appId: APP,
    tenantKey: USER.tenant_key,
    openId: USER.open_id,
    unionId: USER.union_id,
    userId: USER.user_id,
    tokenTypes: ['user_access_token', 'refresh_token'],
    reason: 'Revoked by restriction action.',
    eventId,
    createdAt: CREATED,
  };
}

function strategyFor(appId = APP, cache: FeishuCache = new MemoryCache()): FeishuStrategy {
  return new FeishuStrategy({ clientID: appId, clientSecret: 'secret', callbackURL: '/cb', cache }, () => undefined);
}

/** A listener that records each event, and throws `failWith` while it is set. */
function recorder() {
  const seen: UserTokensRevoked[] = [];
  const state: { failWith?: unknown } = {};
  const listener = (event: UserTokensRevoked): Promise<void> => {
    // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- an app's listener may reject with anything
    if (state.failWith !== undefined) return Promise.reject(state.failWith);
    seen.push(event);
    return Promise.resolve();
  };
  return { seen, state, listener };
}

let handler: FeishuEventHandler = () => assert.fail('no handler set');
let server: Server;
let url: string;

before(async () => {
  server = createServer((req, res) => handler(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/events`;
});
after(() => new Promise((resolve) => server.close(resolve)));

async function post(request: { body: Buffer | string; headers: Record<string, string> }): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(url, { method: 'POST', headers: request.headers, body: new Uint8Array(Buffer.from(request.body)) });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

const signed = (payload: object) => eventRequest(SUB, payload);

describe('revocations through feishuEventHandler', () => {
  const options = (onUserTokensRevoked: FeishuEventHandlerOptions['onUserTokensRevoked'], strategies: FeishuEventHandlerOptions['strategies'] = strategyFor()): FeishuEventHandlerOptions => ({
    strategies,
    encryptKey: KEY,
    verificationToken: TOKEN,
    onUserTokensRevoked,
  });

  test('a signed revocation reaches onUserTokensRevoked once, with every field read', async () => {
    const { seen, listener } = recorder();
    handler = feishuEventHandler(options(listener));
    const res = await post(signed(revocation({ eventId: 'evt-1' })));
    assert.deepEqual(res, { status: 200, body: { msg: 'success' } });
    assert.deepEqual(seen, [expected('evt-1')]);
  });

  test('a forged signature, an unsigned body, a plaintext body and a wrong token are refused, and nothing is called', async () => {
    const { seen, listener } = recorder();
    handler = feishuEventHandler(options(listener));
    const genuine = signed(revocation());
    const forged = await post({ body: genuine.body, headers: { ...genuine.headers, 'x-lark-signature': signEvent(genuine.body, 'not-the-key')['x-lark-signature'] } });
    assert.equal(forged.status, 401);
    assert.match(String(forged.body.error), /signature mismatch/);
    const unsigned = await post({ body: genuine.body, headers: { 'content-type': 'application/json' } });
    assert.equal(unsigned.status, 401);
    assert.match(String(unsigned.body.error), /X-Lark-Signature/);
    const plain = Buffer.from(JSON.stringify(revocation()));
    assert.equal((await post({ body: plain, headers: { 'content-type': 'application/json', ...signEvent(plain, KEY) } })).status, 400);
    const wrongToken = await post(eventRequest(SUB, userTokensRevokedEvent(APP, USER, { verificationToken: 'another-token' })));
    assert.equal(wrongToken.status, 401);
    assert.match(String(wrongToken.body.error), /verification token mismatch/);
    assert.deepEqual(seen, []);
  });

  test('a replayed event id is acknowledged and not handed over again, across instances sharing a cache', async () => {
    const { seen, listener } = recorder();
    const cache = new MemoryCache();
    const event = signed(revocation({ eventId: 'evt-replayed' }));
    handler = feishuEventHandler(options(listener, strategyFor(APP, cache)));
    assert.equal((await post(event)).status, 200);
    handler = feishuEventHandler(options(listener, strategyFor(APP, cache))); // another instance
    const replay = await post(event);
    assert.deepEqual(replay, { status: 200, body: { msg: 'ignored: event seen before or older than what is stored' } });
    assert.equal(seen.length, 1);
  });

  test('a store without handleEventOnce still gets each event id once, in this process', async () => {
    const { seen, listener } = recorder();
    const standIn = { appId: APP, saveAppTicket: () => Promise.resolve(true) };
    handler = feishuEventHandler(options(listener, standIn));
    const event = signed(revocation());
    assert.equal((await post(event)).body.msg, 'success');
    assert.match(String((await post(event)).body.msg), /^ignored/);
    assert.equal(seen.length, 1);
  });

  test('stores without handleEventOnce remember event ids per app', async () => {
    const { seen, listener } = recorder();
    const stores = [APP, 'cli_second_app'].map((appId) => ({ appId, saveAppTicket: () => Promise.resolve(true) }));
    handler = feishuEventHandler(options(listener, stores));
    for (const appId of [APP, 'cli_second_app']) assert.equal((await post(signed(revocation({ appId, eventId: 'evt-shared-id' })))).body.msg, 'success', appId);
    assert.deepEqual(seen.map((e) => e.appId), [APP, 'cli_second_app']);
  });

  test('a listener that throws or rejects is a 500 saying nothing of why, and the retry is handed over', async () => {
    for (const failure of [new Error('db at 10.0.0.7 said no'), 'a plain string']) {
      const { seen, state, listener } = recorder();
      const throwing = (event: UserTokensRevoked): Promise<void> => {
        if (state.failWith instanceof Error) throw state.failWith;
        return listener(event);
      };
      handler = feishuEventHandler(options(throwing));
      const event = signed(revocation({ eventId: 'evt-retried' }));
      state.failWith = failure;
      assert.deepEqual(await post(event), { status: 500, body: { error: 'event handling failed' } });
      state.failWith = undefined;
      assert.deepEqual(await post(event), { status: 200, body: { msg: 'success' } }, 'not marked seen: the retry goes through');
      assert.equal(seen.length, 1);
    }
  });

  test("a revocation for an app no strategy serves is a 404 naming it; the user's ids are not handed over", async () => {
    const { seen, listener } = recorder();
    handler = feishuEventHandler(options(listener));
    const res = await post(signed(revocation({ appId: 'cli_someone_else' })));
    assert.equal(res.status, 404);
    assert.match(String(res.body.error), /cli_someone_else/);
    assert.deepEqual(seen, []);
  });

  test('without onUserTokensRevoked a revocation is acknowledged and ignored, as other event types are', async () => {
    handler = feishuEventHandler(options(undefined));
    assert.deepEqual(await post(signed(revocation())), { status: 200, body: { msg: 'success' } });
    handler = feishuEventHandler(options(recorder().listener));
    const other = { schema: '2.0', header: { event_id: 'e', event_type: 'contact.user.deleted_v3', token: TOKEN, app_id: APP }, event: {} };
    assert.deepEqual(await post(signed(other)), { status: 200, body: { msg: 'success' } });
  });

  describe('hostile fields', () => {
    async function outcome(header: Record<string, unknown>, event: Record<string, unknown>) {
      const { seen, listener } = recorder();
      handler = feishuEventHandler(options(listener));
      const base = revocation();
      const payload = { ...base, header: { ...(base.header as object), ...header }, event: { ...(base.event as object), ...event } };
      const res = await post(signed(payload));
      return { status: res.status, error: res.body.error, seen: seen[0] };
    }

    test('a missing, empty or malformed open_id is a 400 and nothing is called', async () => {
      for (const openId of [undefined, null, '', 5, ['ou_x'], { id: 'ou_x' }, 'ou x', 'ou_\n', 'é', 'o'.repeat(257)]) {
        const res = await outcome({}, { open_id: openId });
        assert.equal(res.status, 400, JSON.stringify(openId));
        assert.match(String(res.error), /open_id/);
        assert.equal(res.seen, undefined);
      }
    });

    test('a malformed union_id, user_id, tenant_key or event_id is a 400 naming it', async () => {
      for (const [where, name, value] of [
        ['event', 'union_id', 5],
        ['event', 'user_id', 'a b'],
        ['header', 'tenant_key', { k: 1 }],
        ['header', 'event_id', 'x'.repeat(300)],
      ] as const) {
        const res = where === 'event' ? await outcome({}, { [name]: value }) : await outcome({ [name]: value }, {});
        assert.equal(res.status, 400, name);
        assert.match(String(res.error), new RegExp(name));
      }
    });

    test('optional ids that are absent or empty are undefined', async () => {
      const res = await outcome({ tenant_key: '', event_id: undefined }, { union_id: undefined, user_id: null });
      assert.equal(res.status, 200);
      assert.deepEqual([res.seen?.tenantKey, res.seen?.unionId, res.seen?.userId, res.seen?.eventId], [undefined, undefined, undefined, undefined]);
    });

    test('revoke_token_type is split on white space, once each; absent is an empty list', async () => {
      for (const [types, list] of [
        ['user_access_token', ['user_access_token']],
        ['refresh_token', ['refresh_token']],
        [' user_access_token   refresh_token user_access_token\t', ['user_access_token', 'refresh_token']],
        ['', []],
        [undefined, []],
      ] as const) {
        const res = await outcome({}, { revoke_token_type: types });
        assert.deepEqual(res.seen?.tokenTypes, list, JSON.stringify(types));
      }
    });

    test('a reason or token type that is not a string, or is over 10 000 characters, is a 400', async () => {
      for (const [name, value] of [
        ['revoke_reason', 5],
        ['revoke_reason', 'r'.repeat(10_001)],
        ['revoke_token_type', ['user_access_token']],
        ['revoke_token_type', 't'.repeat(10_001)],
      ] as const) {
        const res = await outcome({}, { [name]: value });
        assert.equal(res.status, 400, name);
        assert.match(String(res.error), new RegExp(name));
      }
      const longest = await outcome({}, { revoke_reason: 'r'.repeat(10_000) });
      assert.equal(longest.seen?.reason.length, 10_000);
      assert.equal((await outcome({}, { revoke_reason: undefined })).seen?.reason, '');
      assert.equal((await outcome({}, { revoke_reason: null })).seen?.reason, '');
    });

    test('createdAt is never later than receipt, and is the time of receipt when Feishu sent none', async () => {
      const before = Date.now();
      const future = await outcome({ create_time: String(before + 365 * 24 * 3600 * 1000) }, {});
      const none = await outcome({ create_time: undefined }, {});
      const after = Date.now();
      for (const res of [future, none]) {
        const at = res.seen?.createdAt ?? NaN;
        assert.ok(at >= before && at <= after, String(at));
      }
      assert.equal((await outcome({ create_time: '1608725989' }, {})).seen?.createdAt, CREATED, 'seconds read as seconds');
    });

    test('a revocation without a 2.0 header is a 400', async () => {
      const { seen, listener } = recorder();
      handler = feishuEventHandler(options(listener));
      const v1 = { uuid: 'u', token: TOKEN, ts: '1608725989', type: 'event_callback', event: { type: USER_TOKENS_REVOKED, app_id: APP, open_id: USER.open_id } };
      const res = await post(signed(v1));
      assert.equal(res.status, 400);
      assert.match(String(res.body.error), /without a 2.0 header/);
      assert.deepEqual(seen, []);
    });
  });

  test('onUserTokensRevoked that is not a function is a TypeError', () => {
    for (const value of ['fn', 5, {}]) {
      assert.throws(() => feishuEventHandler({ strategies: [], verificationToken: TOKEN, onUserTokensRevoked: value } as unknown as FeishuEventHandlerOptions), {
        name: 'TypeError',
        message: /onUserTokensRevoked must be a function/,
      });
    }
  });
});

describe('revocations pushed by the mock', () => {
  let mock: MockFeishu;
  before(async () => {
    mock = await startMockFeishu();
  });
  after(() => mock.close());

  test("pushUserTokensRevoked signs the user's revocation and delivers it to every subscription", async () => {
    const { seen, listener } = recorder();
    handler = feishuEventHandler({ strategies: strategyFor(mock.app.appId), encryptKey: KEY, verificationToken: TOKEN, onUserTokensRevoked: listener });
    mock.subscribeEvents({ url, ...SUB });
    const before = Date.now();
    assert.deepEqual(await mock.pushUserTokensRevoked({ user: 1, reason: 'Revoked by administrator action.', tokenTypes: 'refresh_token' }), [200]);
    const user = DEFAULT_USERS[1]!;
    assert.equal(seen.length, 1);
    const { eventId, createdAt, ...rest } = seen[0]!;
    assert.deepEqual(rest, {
      appId: mock.app.appId,
      tenantKey: user.tenant_key,
      openId: user.open_id,
      unionId: user.union_id,
      userId: user.user_id,
      tokenTypes: ['refresh_token'],
      reason: 'Revoked by administrator action.',
    });
    assert.match(String(eventId), /^[0-9a-f-]{36}$/);
    assert.ok(createdAt >= before && createdAt <= Date.now());
  });
});

describe("the mock's revocation ends the user's tokens there", () => {
  test("the revoked user's refresh token is refused afterwards; another user's still works", async () => {
    const mock = await startMockFeishu();
    try {
      const site = buildApp(mock);
      const tokensOf = async (user: number) => ((await login(site.agent, 'allow', user)).body as { refreshToken: string }).refreshToken;
      const [revoked, kept] = [await tokensOf(0), await tokensOf(1)];
      assert.deepEqual(await mock.pushUserTokensRevoked({ user: 0 }), [], 'no subscription: nothing delivered');
      await assert.rejects(site.strategy.refreshAccessToken(revoked), { feishuCode: 20026 });
      assert.equal(typeof (await site.strategy.refreshAccessToken(kept)).accessToken, 'string');
    } finally {
      await mock.close();
    }
  });
});

describe("revocations through node-sdk's EventDispatcher", () => {
  const quiet = { error: () => undefined, warn: () => undefined, info: () => undefined, debug: () => undefined, trace: () => undefined };

  /** node-sdk's dispatcher with our handlers, as an app registers them. */
  function dispatcher(options: Partial<FeishuDispatcherHandlerOptions> & Pick<FeishuDispatcherHandlerOptions, 'onUserTokensRevoked'>, encryptKey = KEY) {
    const strategy = options.strategy ?? strategyFor();
    return new lark.EventDispatcher({ encryptKey, logger: quiet }).register(feishuEventDispatcherHandlers({ ...options, strategy }));
  }

  /** What node-sdk's webhook adapters hand invoke(): the parsed body, the headers on its prototype. */
  function webhookData(request: { body: Buffer; headers: Record<string, string> }): Record<string, unknown> {
    return Object.assign(Object.create({ headers: request.headers as IncomingHttpHeaders }) as object, JSON.parse(request.body.toString()) as object) as Record<string, unknown>;
  }

  test('a signed, encrypted revocation is handed over once; a replay is acknowledged as ignored', async () => {
    const { seen, listener } = recorder();
    const events = dispatcher({ onUserTokensRevoked: listener });
    const data = webhookData(signed(revocation({ eventId: 'evt-sdk' })));
    assert.equal(await events.invoke(data), 'success');
    assert.equal(await events.invoke(webhookData(signed(revocation({ eventId: 'evt-sdk' })))), 'ignored: event seen before or older than what is stored');
    assert.deepEqual(seen, [expected('evt-sdk')]);
  });

  test('a forged or missing signature never reaches the handler (node-sdk refuses it)', async () => {
    const { seen, listener } = recorder();
    const events = dispatcher({ onUserTokensRevoked: listener });
    const genuine = signed(revocation());
    const forged = { ...genuine.headers, 'x-lark-signature': signEvent(genuine.body, 'not-the-key')['x-lark-signature'] };
    assert.equal(await events.invoke(webhookData({ body: genuine.body, headers: forged })), undefined);
    assert.equal(await events.invoke(webhookData({ body: genuine.body, headers: {} })), undefined);
    assert.deepEqual(seen, []);
  });

  test('over the long connection (no signature: needCheck false) the plaintext event is handed over', async () => {
    const { seen, listener } = recorder();
    const events = dispatcher({ onUserTokensRevoked: listener }, '');
    assert.equal(await events.invoke(revocation({ eventId: 'evt-ws' }), { needCheck: false }), 'success');
    assert.deepEqual(seen, [expected('evt-ws')]);
  });

  test('a listener that fails, an event of another app and a malformed event reject, so the long connection answers 500', async () => {
    const { seen, state, listener } = recorder();
    const events = dispatcher({ onUserTokensRevoked: listener }, '');
    state.failWith = new Error('store down');
    await assert.rejects(events.invoke(revocation({ eventId: 'evt-fail' }), { needCheck: false }), /store down/);
    state.failWith = undefined;
    assert.equal(await events.invoke(revocation({ eventId: 'evt-fail' }), { needCheck: false }), 'success', 'the retry is handed over');
    await assert.rejects(events.invoke(revocation({ appId: 'cli_other' }), { needCheck: false }), /no strategy for app cli_other/);
    const noUser = revocation();
    (noUser.event as Record<string, unknown>).open_id = 42;
    await assert.rejects(events.invoke(noUser, { needCheck: false }), /open_id/);
    assert.equal(seen.length, 1);
  });

  test('with a verificationToken, an event carrying another token is refused', async () => {
    const { seen, listener } = recorder();
    const events = dispatcher({ onUserTokensRevoked: listener, verificationToken: TOKEN }, '');
    await assert.rejects(events.invoke(userTokensRevokedEvent(APP, USER, { verificationToken: 'wrong' }), { needCheck: false }), /verification token mismatch/);
    assert.equal(await events.invoke(revocation(), { needCheck: false }), 'success');
    assert.equal(seen.length, 1);
  });

  test('appTickets: true takes app_ticket events (v1, flattened by node-sdk) into the strategy', async () => {
    const saved: [string, AppTicketEventInfo][] = [];
    const store = { appId: APP, saveAppTicket: (ticket: string, info: AppTicketEventInfo) => Promise.resolve(void saved.push([ticket, info])) };
    const events = dispatcher({ onUserTokensRevoked: recorder().listener, strategy: store, appTickets: true });
    const ticket = signed(appTicketEvent(APP, 'ticket-sdk', SUB, { eventId: 'evt-ticket', createdAt: CREATED }));
    assert.equal(await events.invoke(webhookData(ticket)), 'success');
    assert.deepEqual(saved, [['ticket-sdk', { createdAt: CREATED, eventId: 'evt-ticket', appId: APP }]]);
    assert.equal(feishuEventDispatcherHandlers({ strategy: store, onUserTokensRevoked: () => undefined }).app_ticket, undefined, "node-sdk's own app_ticket handler is kept by default");
  });

  test('options are checked when the handlers are made, each refusal naming what is wrong', () => {
    const strategy = strategyFor();
    const listener = () => undefined;
    const bad: [unknown, RegExp][] = [
      [undefined, /^feishuEventDispatcherHandlers requires an options object$/],
      ['options', /requires an options object/],
      [{ onUserTokensRevoked: listener }, /^feishuEventDispatcherHandlers: strategy must be the FeishuStrategy/],
      [{ strategy: 'cli_x', onUserTokensRevoked: listener }, /strategy must be/],
      [{ strategy: { appId: 5 }, onUserTokensRevoked: listener }, /strategy must be/],
      [{ strategy: { appId: '' }, onUserTokensRevoked: listener }, /strategy must be/],
      [{ strategy }, /^feishuEventDispatcherHandlers: onUserTokensRevoked is required$/],
      [{ strategy, onUserTokensRevoked: 'fn' }, /onUserTokensRevoked must be a function/],
      [{ strategy, onUserTokensRevoked: listener, verificationToken: '' }, /^feishuEventDispatcherHandlers: verificationToken must be a non-empty string$/],
      [{ strategy, onUserTokensRevoked: listener, verificationToken: 5 }, /verificationToken must be a non-empty string/],
      [{ strategy, onUserTokensRevoked: listener, onCacheError: 'never' }, /onCacheError/],
    ];
    for (const [options, message] of bad) assert.throws(() => feishuEventDispatcherHandlers(options as FeishuDispatcherHandlerOptions), { name: 'TypeError', message }, JSON.stringify(options));
  });

  test('called directly with something that is not an event, or a token that is not a string, a handler rejects saying so', async () => {
    const handlers = feishuEventDispatcherHandlers({ strategy: strategyFor(), onUserTokensRevoked: () => undefined, verificationToken: TOKEN });
    const revoked = handlers[USER_TOKENS_REVOKED];
    for (const data of [null, 'event', 5]) {
      await assert.rejects(revoked(data as unknown as Record<string, unknown>), { message: 'auth.user_access_token.revoked_v4 event is not an object' });
    }
    await assert.rejects(revoked({ ...revocation(), token: 42 }), { message: 'verification token mismatch' });
  });
});
