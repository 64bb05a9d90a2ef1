import assert from 'node:assert/strict';
import { createCipheriv, createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { feishuEventHandler, type AppTicketEventInfo, type AppTicketStore, type FeishuEventHandler, type FeishuEventHandlerOptions } from '../lib/index.js';
import { signEvent } from '../lib/testing/index.js';

// The handler driven on its own, over a bare node:http server on 127.0.0.1: what it answers
// Feishu (status and JSON) and what reaches the strategy's saveAppTicket.

const KEY = 'handler-test-encrypt-key';
const TOKEN = 'handler-test-verification-token';
const APP = 'cli_handler_test_app';
const OTHER_APP = 'cli_handler_other_app';

interface Saved {
  readonly ticket: string;
  readonly info: AppTicketEventInfo;
}

/** A strategy stand-in that records what it is given and answers `answer` (or throws it). */
function store(appId = APP, answer?: boolean | Error): AppTicketStore & { saved: Saved[] } {
  const saved: Saved[] = [];
  return {
    appId,
    saved,
    saveAppTicket(ticket: string, info: AppTicketEventInfo) {
      saved.push({ ticket, info });
      return answer instanceof Error ? Promise.reject(answer) : Promise.resolve(answer);
    },
  };
}

let handler: FeishuEventHandler = () => assert.fail('no handler set');
/** Whether the server parses the body before the handler, as express.json() does (keeping no raw bytes). */
let parseFirst = false;
let server: Server;
let url: string;

async function readAll(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req as AsyncIterable<Buffer>) chunks.push(chunk);
  return Buffer.concat(chunks);
}

before(async () => {
  server = createServer((req, res) => {
    if (!parseFirst) return handler(req, res);
    void readAll(req).then((bytes) => handler(Object.assign(req, { body: JSON.parse(bytes.toString('utf8')) as unknown }), res));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/events`;
});
after(() => new Promise((resolve) => server.close(resolve)));

interface Answer {
  readonly status: number;
  readonly body: Record<string, unknown>;
  readonly contentType: string | null;
}

/** POSTs `body` to a fresh handler built from `options`. */
async function send(options: FeishuEventHandlerOptions, body: Buffer | string, headers: Record<string, string> = {}): Promise<Answer> {
  handler = feishuEventHandler(options);
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: new Uint8Array(Buffer.from(body)) });
  return { status: res.status, body: (await res.json()) as Record<string, unknown>, contentType: res.headers.get('content-type') };
}

/** Feishu's encryption of any plaintext: AES-256-CBC, key SHA-256(Encrypt Key), the IV in front, base64. */
function encrypt(plaintext: string, key = KEY): string {
  const iv = randomBytes(16);
  const cipher = createCipheriv('aes-256-cbc', createHash('sha256').update(key).digest(), iv);
  return Buffer.concat([iv, cipher.update(plaintext, 'utf8'), cipher.final()]).toString('base64');
}

/** The request Feishu sends with an Encrypt Key: `{"encrypt":…}`, signed with `key`. */
function sealed(encrypted: unknown, key = KEY): { body: string; headers: Record<string, string> } {
  const body = JSON.stringify({ encrypt: encrypted });
  return { body, headers: { ...signEvent(body, key) } };
}

/** Encrypts and signs `payload`'s JSON, whatever JSON it is. */
function sealedJson(payload: unknown, key = KEY): { body: string; headers: Record<string, string> } {
  return sealed(encrypt(JSON.stringify(payload), key), key);
}

async function sendSealed(options: FeishuEventHandlerOptions, request: { body: string; headers: Record<string, string> }): Promise<Answer> {
  return send(options, request.body, request.headers);
}

/** A v1 app_ticket event, as Feishu still sends it; `extra` overrides or adds top-level fields. */
function v1Ticket(extra: Record<string, unknown> = {}, event: Record<string, unknown> = {}): Record<string, unknown> {
  return { uuid: 'evt-v1', token: TOKEN, ts: '1700000000.5', type: 'event_callback', event: { app_id: APP, app_ticket: 'ticket-v1', type: 'app_ticket', ...event }, ...extra };
}

/** A 2.0 app_ticket event; `header` overrides or adds header fields. */
function v2Ticket(header: Record<string, unknown> = {}, event: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    schema: '2.0',
    header: { event_id: 'evt-v2', event_type: 'app_ticket', create_time: '1700000000000', token: TOKEN, app_id: APP, ...header },
    event: { app_id: APP, app_ticket: 'ticket-v2', ...event },
  };
}

const json = (value: unknown): string => JSON.stringify(value);

describe('building the handler', () => {
  test('options that are not an object are a TypeError saying so', () => {
    for (const options of [undefined, null, 'secret', 42]) {
      assert.throws(() => feishuEventHandler(options as unknown as FeishuEventHandlerOptions), { name: 'TypeError', message: /options object/ }, String(options));
    }
  });

  test('a verificationToken or encryptKey that is not a string is a TypeError naming that option', () => {
    for (const value of [42, {}, true]) {
      assert.throws(
        () => feishuEventHandler({ strategies: [], encryptKey: KEY, verificationToken: value as unknown as string }),
        (err: unknown) => err instanceof TypeError && /verificationToken must be a string/.test(err.message) && !/encryptKey/.test(err.message),
      );
      assert.throws(
        () => feishuEventHandler({ strategies: [], encryptKey: value as unknown as string, verificationToken: TOKEN }),
        (err: unknown) => err instanceof TypeError && /encryptKey must be a string/.test(err.message) && !/verificationToken/.test(err.message),
      );
    }
  });

  test('only allowUnverifiedEvents: true (not a truthy look-alike) lifts the need for a secret', () => {
    for (const allowUnverifiedEvents of ['true', 1, {}]) {
      assert.throws(() => feishuEventHandler({ strategies: [], allowUnverifiedEvents } as unknown as FeishuEventHandlerOptions), { name: 'TypeError', message: /allowUnverifiedEvents/ });
    }
  });

  test('a null verificationToken is none: a signed event is taken whatever token it carries', async () => {
    const app = store();
    const res = await sendSealed({ strategies: app, encryptKey: KEY, verificationToken: null as unknown as string }, sealedJson(v1Ticket({ token: 'anything' })));
    assert.deepEqual(res.body, { msg: 'success' });
    assert.equal(app.saved.length, 1);
  });

  test('a null or empty encryptKey is none: a plaintext event with the right token is taken', async () => {
    for (const encryptKey of [null, '']) {
      const app = store();
      const res = await send({ strategies: app, encryptKey: encryptKey as unknown as string, verificationToken: TOKEN }, json(v1Ticket()));
      assert.equal(res.status, 200, json(res.body));
      assert.deepEqual(app.saved.map((s) => s.ticket), ['ticket-v1']);
    }
  });

  test('a handler with only a verificationToken checks it', async () => {
    const app = store();
    assert.equal((await send({ strategies: app, verificationToken: TOKEN }, json(v1Ticket({ token: 'wrong' })))).status, 401);
    assert.equal((await send({ strategies: app, verificationToken: TOKEN }, json(v1Ticket()))).status, 200);
    assert.deepEqual(app.saved.map((s) => s.ticket), ['ticket-v1']);
  });
});

describe('an event body that is not a JSON object', () => {
  for (const body of ['null', '[]', json([v1Ticket()]), '5', '"text"', 'true', '{', '']) {
    test(`${json(body)} is a 400, and nothing is saved`, async () => {
      for (const options of [{ allowUnverifiedEvents: true }, { verificationToken: TOKEN }]) {
        const app = store();
        const res = await send({ strategies: app, ...options }, body);
        assert.equal(res.status, 400, json(res.body));
        assert.match(String(res.body.error), /not a JSON object/);
        assert.deepEqual(app.saved, []);
      }
    });
  }

  test('an encrypted event to a handler without an encryptKey is a 400 saying so', async () => {
    for (const options of [{ allowUnverifiedEvents: true }, { verificationToken: TOKEN }]) {
      const res = await sendSealed({ strategies: store(), ...options }, sealedJson(v1Ticket()));
      assert.equal(res.status, 400);
      assert.match(String(res.body.error), /no encryptKey/);
    }
  });
});

describe('decrypting a signed event', () => {
  const OPTIONS = { encryptKey: KEY };

  test('the shortest ciphertext, 32 bytes (IV and one block), is decrypted', async () => {
    const encrypted = encrypt('{}');
    assert.equal(Buffer.from(encrypted, 'base64').length, 32);
    const res = await sendSealed({ strategies: store(), ...OPTIONS }, sealed(encrypted));
    assert.deepEqual({ status: res.status, body: res.body }, { status: 200, body: { msg: 'success' } });
  });

  test('31 bytes are too short to be an event', async () => {
    const res = await sendSealed({ strategies: store(), ...OPTIONS }, sealed(randomBytes(31).toString('base64')));
    assert.equal(res.status, 400);
    assert.match(String(res.body.error), /too short/);
  });

  test('a payload encrypted under another key is a 400 that names encryptKey', async () => {
    const res = await sendSealed({ strategies: store(), ...OPTIONS }, sealed(encrypt(json(v1Ticket()), 'another-key')));
    assert.equal(res.status, 400);
    assert.match(String(res.body.error), /cannot decrypt.*encryptKey/);
  });

  for (const payload of [null, [], [v1Ticket()], 5, 'text']) {
    test(`a payload that decrypts to ${json(payload)} is a 400, not a crash`, async () => {
      const app = store();
      for (const options of [OPTIONS, { ...OPTIONS, verificationToken: TOKEN }]) {
        const res = await sendSealed({ strategies: app, ...options }, sealedJson(payload));
        assert.equal(res.status, 400, json(res.body));
      }
      assert.deepEqual(app.saved, []);
    });
  }

  test('an empty or non-string encrypt field is a plaintext event, refused', async () => {
    for (const encrypted of ['', 5, null]) {
      const res = await sendSealed({ strategies: store(), ...OPTIONS }, sealed(encrypted));
      assert.equal(res.status, 400, json(encrypted));
      assert.match(String(res.body.error), /plaintext/);
    }
  });
});

describe('signatures and the unsigned url_verification challenge', () => {
  const BOTH = { encryptKey: KEY, verificationToken: TOKEN };
  const challenge = (token: string) => ({ challenge: 'challenge-挑战', token, type: 'url_verification' });
  const unsigned = (payload: unknown, key = KEY) => ({ body: json({ encrypt: encrypt(json(payload), key) }), headers: {} });

  test('a signed challenge is answered with the challenge, as JSON', async () => {
    const res = await sendSealed({ strategies: store(), ...BOTH }, sealedJson(challenge(TOKEN)));
    assert.deepEqual(res, { status: 200, body: { challenge: 'challenge-挑战' }, contentType: 'application/json; charset=utf-8' });
  });

  test('a signed challenge with the wrong token is a 401', async () => {
    const res = await sendSealed({ strategies: store(), ...BOTH }, sealedJson(challenge('wrong')));
    assert.equal(res.status, 401);
    assert.match(String(res.body.error), /verification token mismatch/);
  });

  test('an unsigned challenge is answered when its token matches', async () => {
    const res = await sendSealed({ strategies: store(), ...BOTH }, unsigned(challenge(TOKEN)));
    assert.deepEqual({ status: res.status, body: res.body }, { status: 200, body: { challenge: 'challenge-挑战' } });
  });

  test('an unsigned challenge with the wrong token is a 401', async () => {
    const res = await sendSealed({ strategies: store(), ...BOTH }, unsigned(challenge('wrong-token-of-other-length')));
    assert.equal(res.status, 401);
    assert.match(String(res.body.error), /X-Lark-Signature/);
  });

  test('an unsigned challenge to a handler without a verificationToken is a 401 that says to set one', async () => {
    const res = await sendSealed({ strategies: store(), encryptKey: KEY }, unsigned(challenge(TOKEN)));
    assert.equal(res.status, 401);
    assert.match(String(res.body.error), /set verificationToken/);
  });

  test('an unsigned app_ticket is a 401 even with the right token, or with no token configured', async () => {
    for (const options of [BOTH, { encryptKey: KEY }]) {
      const app = store();
      const res = await sendSealed({ strategies: app, ...options }, unsigned(v1Ticket()));
      assert.equal(res.status, 401);
      assert.match(String(res.body.error), /X-Lark-Signature/);
      assert.deepEqual(app.saved, []);
    }
  });

  test('an unsigned payload that does not decrypt reads as any unsigned event: a 401', async () => {
    for (const options of [BOTH, { encryptKey: KEY }]) {
      const res = await sendSealed({ strategies: store(), ...options }, unsigned(challenge(TOKEN), 'another-key'));
      assert.equal(res.status, 401);
      assert.match(String(res.body.error), /X-Lark-Signature/);
    }
  });

  test('a wrong signature over the bytes as sent is a mismatch, with no advice about body parsers', async () => {
    const request = sealedJson(v1Ticket());
    const res = await send({ strategies: store(), ...BOTH }, request.body, { ...request.headers, ...signEvent(request.body, 'another-key') });
    assert.deepEqual({ status: res.status, body: res.body }, { status: 401, body: { error: 'event signature mismatch: check encryptKey' } });
  });

  test('a wrong signature over a parsed body points at the raw body', async (t) => {
    parseFirst = true;
    t.after(() => (parseFirst = false));
    const request = sealedJson(v1Ticket());
    const res = await send({ strategies: store(), ...BOTH }, request.body, { ...request.headers, ...signEvent(request.body, 'another-key') });
    assert.equal(res.status, 401);
    assert.match(String(res.body.error), /raw body/);
  });
});

describe('the Verification Token', () => {
  const OPTIONS = { verificationToken: TOKEN };

  test('is read from a v1 event and from a 2.0 header', async () => {
    const app = store();
    assert.equal((await send({ strategies: app, ...OPTIONS }, json(v1Ticket()))).status, 200);
    assert.equal((await send({ strategies: app, ...OPTIONS }, json(v2Ticket()))).status, 200);
    assert.deepEqual(app.saved.map((s) => s.ticket), ['ticket-v1', 'ticket-v2']);
  });

  test('a 2.0 header token wins over a top-level one', async () => {
    const app = store();
    assert.equal((await send({ strategies: app, ...OPTIONS }, json({ ...v2Ticket({ token: 'wrong' }), token: TOKEN }))).status, 401);
    assert.equal((await send({ strategies: app, ...OPTIONS }, json({ ...v2Ticket(), token: 'wrong' }))).status, 200);
    assert.deepEqual(app.saved.map((s) => s.ticket), ['ticket-v2']);
  });

  test('a wrong, missing or non-string token is a 401 and nothing is saved', async () => {
    const app = store();
    const sameLength = TOKEN.replace(/.$/, 'X');
    for (const token of [sameLength, 'short', '', 5, null, undefined, [TOKEN]]) {
      const res = await send({ strategies: app, ...OPTIONS }, json(v1Ticket({ token })));
      assert.equal(res.status, 401, json(token));
      assert.match(String(res.body.error), /verification token mismatch/);
    }
    const res = await send({ strategies: app, ...OPTIONS }, json(v2Ticket({ token: undefined })));
    assert.equal(res.status, 401);
    assert.deepEqual(app.saved, []);
  });
});

describe('app_ticket events', () => {
  const OPTIONS = { verificationToken: TOKEN };

  test('a v1 and a 2.0 ticket reach saveAppTicket with the event time in ms and the event id', async () => {
    const app = store();
    assert.deepEqual((await send({ strategies: app, ...OPTIONS }, json(v1Ticket()))).body, { msg: 'success' });
    assert.deepEqual((await send({ strategies: app, ...OPTIONS }, json(v2Ticket()))).body, { msg: 'success' });
    assert.deepEqual(app.saved, [
      { ticket: 'ticket-v1', info: { createdAt: 1700000000500, eventId: 'evt-v1', appId: APP } },
      { ticket: 'ticket-v2', info: { createdAt: 1700000000000, eventId: 'evt-v2', appId: APP } },
    ]);
  });

  test('a signed, encrypted ticket is saved likewise', async () => {
    const app = store();
    const res = await sendSealed({ strategies: app, encryptKey: KEY, verificationToken: TOKEN }, sealedJson(v2Ticket()));
    assert.deepEqual(res.body, { msg: 'success' });
    assert.deepEqual(app.saved, [{ ticket: 'ticket-v2', info: { createdAt: 1700000000000, eventId: 'evt-v2', appId: APP } }]);
  });

  test('each ticket goes to the strategy of its app only', async () => {
    const [one, two] = [store(APP), store(OTHER_APP)];
    await send({ strategies: [one, two], ...OPTIONS }, json(v1Ticket({}, { app_id: OTHER_APP, app_ticket: 'for-two' })));
    await send({ strategies: [one, two], ...OPTIONS }, json(v2Ticket({}, { app_ticket: 'for-one' })));
    assert.deepEqual(one.saved.map((s) => s.ticket), ['for-one']);
    assert.deepEqual(two.saved.map((s) => s.ticket), ['for-two']);
  });

  test("a 2.0 event's app id may come from its header alone", async () => {
    const app = store();
    const res = await send({ strategies: app, ...OPTIONS }, json(v2Ticket({}, { app_id: undefined })));
    assert.equal(res.status, 200);
    assert.deepEqual(app.saved.map((s) => s.ticket), ['ticket-v2']);
  });

  test('a ticket for an app no strategy serves is a 404 naming the app', async () => {
    const app = store();
    const res = await send({ strategies: app, ...OPTIONS }, json(v1Ticket({}, { app_id: 'cli_nobody' })));
    assert.equal(res.status, 404);
    assert.match(String(res.body.error), /cli_nobody/);
    const noApp = await send({ strategies: app, ...OPTIONS }, json(v1Ticket({}, { app_id: undefined })));
    assert.equal(noApp.status, 404);
    assert.equal((await send({ strategies: [], ...OPTIONS }, json(v2Ticket()))).status, 404);
    assert.deepEqual(app.saved, []);
  });

  test('an app_ticket event without a ticket string is a 400', async () => {
    const app = store();
    for (const ticket of [undefined, '', 5, null, ['t']]) {
      const res = await send({ strategies: app, ...OPTIONS }, json(v1Ticket({}, { app_ticket: ticket })));
      assert.equal(res.status, 400, json(ticket));
      assert.match(String(res.body.error), /without a ticket/);
    }
    assert.deepEqual(app.saved, []);
  });

  test('other events are acknowledged and saved nowhere', async () => {
    const app = store();
    const events = [
      v1Ticket({}, { type: 'message' }),
      v2Ticket({ event_type: 'im.message.receive_v1' }),
      { ...v1Ticket(), event: 'app_ticket' },
      { ...v1Ticket(), event: [{ type: 'app_ticket', app_id: APP, app_ticket: 'in-an-array' }] },
      { token: TOKEN },
    ];
    for (const event of events) {
      const res = await send({ strategies: app, ...OPTIONS }, json(event));
      assert.deepEqual({ status: res.status, body: res.body }, { status: 200, body: { msg: 'success' } }, json(event));
    }
    assert.deepEqual(app.saved, []);
  });

  test('a header that is not an object leaves the event read as v1', async () => {
    for (const header of [null, [], 'app_ticket']) {
      const app = store();
      const res = await send({ strategies: app, ...OPTIONS }, json(v1Ticket({ header })));
      assert.equal(res.status, 200, json(header));
      assert.deepEqual(app.saved, [{ ticket: 'ticket-v1', info: { createdAt: 1700000000500, eventId: 'evt-v1', appId: APP } }]);
    }
  });

  test('a ticket the store turns away is acknowledged as ignored; true or nothing is success', async () => {
    for (const [answer, msg] of [
      [false, /^ignored/],
      [true, /^success$/],
      [undefined, /^success$/],
    ] as const) {
      const res = await send({ strategies: store(APP, answer), ...OPTIONS }, json(v1Ticket()));
      assert.equal(res.status, 200);
      assert.match(String(res.body.msg), msg, String(answer));
    }
  });

  test('a store that fails is a 500 that tells Feishu nothing of why', async () => {
    const res = await send({ strategies: store(APP, new Error('redis at 10.0.0.7 refused password hunter2')), ...OPTIONS }, json(v1Ticket()));
    assert.deepEqual({ status: res.status, body: res.body }, { status: 500, body: { error: 'event handling failed' } });
  });

  test('a body over 1 MiB is a 413', async () => {
    const res = await send({ strategies: store(), ...OPTIONS }, Buffer.alloc(1024 * 1024 + 1, 0x20));
    assert.equal(res.status, 413);
    assert.match(String(res.body.error), /too large/);
  });
});

describe('event time, id and app, as saveAppTicket gets them', () => {
  const OPTIONS = { verificationToken: TOKEN };

  async function infoOf(fields: Record<string, unknown>, schema: '1.0' | '2.0' = '1.0'): Promise<AppTicketEventInfo> {
    const app = store();
    const event = schema === '2.0' ? v2Ticket(fields) : v1Ticket(fields);
    const res = await send({ strategies: app, ...OPTIONS }, json(event));
    assert.equal(res.status, 200, json(res.body));
    assert.equal(app.saved.length, 1);
    return app.saved[0]!.info;
  }

  test('the unit follows the magnitude: seconds below 1e11, ms below 1e14, µs from there', async () => {
    const cases: [unknown, number][] = [
      ['1700000000', 1700000000000],
      ['1', 1000],
      ['99999999999', 99999999999000],
      ['100000000000', 100000000000],
      ['1700000000000', 1700000000000],
      ['99999999999999', 99999999999999],
      ['100000000000000', 100000000000],
      ['1700000000000000', 1700000000000],
      [' 1700000000 ', 1700000000000],
      [1700000000, 1700000000000],
      [1700000000000, 1700000000000],
    ];
    for (const [ts, createdAt] of cases) {
      assert.deepEqual(await infoOf({ ts }), { createdAt, eventId: 'evt-v1', appId: APP }, json(ts));
      assert.deepEqual(await infoOf({ create_time: ts }, '2.0'), { createdAt, eventId: 'evt-v2', appId: APP }, json(ts));
    }
  });

  test('a time that is blank, not positive, not finite or not a number is none', async () => {
    for (const ts of ['', '   ', '0', 0, '-5', -1700000000, 'Infinity', '1e400', 'NaN', 'abc', true, null, ['1700000000'], {}, undefined]) {
      assert.deepEqual(await infoOf({ ts }), { createdAt: undefined, eventId: 'evt-v1', appId: APP }, json(ts));
      assert.deepEqual(await infoOf({ create_time: ts }, '2.0'), { createdAt: undefined, eventId: 'evt-v2', appId: APP }, json(ts));
    }
  });

  test('an event id that is not a non-empty string is none', async () => {
    for (const id of ['', 5, null, true, ['evt'], undefined]) {
      assert.deepEqual(await infoOf({ uuid: id }), { createdAt: 1700000000500, eventId: undefined, appId: APP }, json(id));
      assert.deepEqual(await infoOf({ event_id: id }, '2.0'), { createdAt: 1700000000000, eventId: undefined, appId: APP }, json(id));
    }
  });
});
