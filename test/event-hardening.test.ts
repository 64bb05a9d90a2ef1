import assert from 'node:assert/strict';
import { createCipheriv, createHash, randomBytes } from 'node:crypto';
import { Agent, createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { oncePerEvent } from '../lib/events/dedup.js';
import { unpaddedLength } from '../lib/events/padding.js';
import { feishuEventHandler, FeishuStrategy, MemoryCache, type FeishuCache, type FeishuEventHandler, type FeishuEventHandlerOptions } from '../lib/index.js';
import { appTicketEvent, eventRequest, signEvent } from '../lib/testing/index.js';

// Issue 17, findings 4 (a padding oracle through unsigned bodies), 10 (de-duplication that
// failed open) and 14 (a keep-alive connection left unusable after a 413).

const KEY = 'hardening-test-encrypt-key';
const TOKEN = 'hardening-test-verification-token';
const APP = 'cli_hardening_test_app';

let handler: FeishuEventHandler = () => assert.fail('no handler set');
let server: Server;
let url: string;

before(async () => {
  server = createServer((req, res) => handler(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/events`;
});
after(() => new Promise((resolve) => server.close(resolve)));

async function send(options: FeishuEventHandlerOptions, body: Buffer | string, headers: Record<string, string> = {}): Promise<{ status: number; body: Record<string, unknown> }> {
  handler = feishuEventHandler(options);
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: new Uint8Array(Buffer.from(body)) });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

function encrypt(plaintext: string): string {
  const iv = randomBytes(16);
  const cipher = createCipheriv('aes-256-cbc', createHash('sha256').update(KEY).digest(), iv);
  return Buffer.concat([iv, cipher.update(plaintext, 'utf8'), cipher.final()]).toString('base64');
}

describe('finding 4: the padding check and unsigned bodies', () => {
  /** A plaintext of `blocks` whole blocks whose last block ends in `tail`. */
  function withTail(tail: number[], blocks = 2): Uint8Array {
    const plain = new Uint8Array(blocks * 16).fill(0x41);
    plain.set(tail, plain.length - tail.length);
    return plain;
  }

  test('valid PKCS#7 padding of 1 to 16 bytes is cut off', () => {
    for (let pad = 1; pad <= 16; pad += 1) {
      assert.equal(unpaddedLength(withTail(new Array<number>(pad).fill(pad))), 32 - pad, `pad ${pad}`);
    }
  });

  test('wrong padding is -1: a zero or oversized pad, or any byte of the pad that differs', () => {
    const wrong = [[0], [17], new Array<number>(16).fill(17), [0xff], [1, 2], [3, 3, 4, 3].reverse(), [5, 5, 5, 5, 4], [1, ...new Array<number>(15).fill(16)], new Array<number>(15).fill(16)];
    for (const tail of wrong) assert.equal(unpaddedLength(withTail(tail)), -1, JSON.stringify(tail));
  });

  test('right or wrong, the check reads the same bytes, each once: the whole last block', () => {
    function readsOf(plain: Uint8Array): number[] {
      const reads: number[] = [];
      const spied = new Proxy(plain, {
        get(target, prop) {
          if (typeof prop === 'string' && /^\d+$/.test(prop)) reads.push(Number(prop));
          return Reflect.get(target, prop) as unknown;
        },
      });
      unpaddedLength(spied);
      return reads;
    }
    const valid = readsOf(withTail([1]));
    // The pad byte, then the last block from its end: 31, 30, … 16.
    assert.deepEqual(valid, [31, ...Array.from({ length: 16 }, (_, i) => 31 - i)]);
    for (const tail of [[0], [17], [2, 3], new Array<number>(16).fill(16), [16, ...new Array<number>(15).fill(15)]]) {
      assert.deepEqual(readsOf(withTail(tail)), valid, JSON.stringify(tail));
    }
  });

  const challenge = (value: string) => JSON.stringify({ challenge: value, token: TOKEN, type: 'url_verification' });

  test('an unsigned challenge of the documented size is still answered', async () => {
    const body = JSON.stringify({ encrypt: encrypt(challenge('ajls384kdjx98XX-6b1f2e7c-3a1d')) });
    const res = await send({ strategies: [], encryptKey: KEY, verificationToken: TOKEN }, body);
    assert.deepEqual(res, { status: 200, body: { challenge: 'ajls384kdjx98XX-6b1f2e7c-3a1d' } });
  });

  test('an unsigned body over 2 KiB is refused without being decrypted, even a genuine challenge', async () => {
    const long = 'x'.repeat(1500); // encrypted and wrapped: just over 2 KiB
    const body = JSON.stringify({ encrypt: encrypt(challenge(long)) });
    assert.ok(body.length > 2048 && body.length < 2200, String(body.length));
    const res = await send({ strategies: [], encryptKey: KEY, verificationToken: TOKEN }, body);
    assert.equal(res.status, 401, 'a decrypted challenge would have been answered');
    assert.match(String(res.body.error), /X-Lark-Signature/);
    // Signed, the same long challenge is decrypted and answered: only unsigned bodies are bounded.
    const signed = await send({ strategies: [], encryptKey: KEY, verificationToken: TOKEN }, body, { ...signEvent(body, KEY) });
    assert.deepEqual(signed, { status: 200, body: { challenge: long } });
  });

  test('a signed ciphertext that is not whole blocks is refused as undecryptable', async () => {
    const whole = Buffer.from(encrypt('{"a":1}'), 'base64');
    const body = JSON.stringify({ encrypt: Buffer.concat([whole, Buffer.from([1, 2, 3])]).toString('base64') });
    const res = await send({ strategies: [], encryptKey: KEY }, body, { ...signEvent(body, KEY) });
    assert.equal(res.status, 400);
    assert.match(String(res.body.error), /cannot decrypt/);
  });

  test('a signed event with wrong padding is refused like one under another key', async () => {
    const iv = randomBytes(16);
    const cipher = createCipheriv('aes-256-cbc', createHash('sha256').update(KEY).digest(), iv).setAutoPadding(false);
    const plain = Buffer.alloc(16, 0x20);
    plain.write('{}', 0);
    plain[15] = 0x03; // claims 3 bytes of padding; the two before it are spaces
    const body = JSON.stringify({ encrypt: Buffer.concat([iv, cipher.update(plain), cipher.final()]).toString('base64') });
    const res = await send({ strategies: [], encryptKey: KEY }, body, { ...signEvent(body, KEY) });
    assert.deepEqual(res, { status: 400, body: { error: 'cannot decrypt the event: check encryptKey' } });
  });
});

describe('finding 10: de-duplication fails closed when the cache cannot be read', () => {
  /** A cache whose reads can be made to fail while its writes keep working. */
  class FlakyCache implements FeishuCache {
    readonly inner = new MemoryCache();
    readsFail = false;
    writesFail = false;
    get(key: string): Promise<unknown> {
      return this.readsFail ? Promise.reject(new Error('read timed out')) : this.inner.get(key);
    }
    set(key: string, value: unknown, ttl?: number): Promise<unknown> {
      return this.writesFail && key.includes(':seen:') ? Promise.reject(new Error('write refused')) : this.inner.set(key, value, ttl);
    }
    delete(key: string): Promise<unknown> {
      return this.inner.delete(key);
    }
  }

  function storeApp(cache: FeishuCache): FeishuStrategy {
    return new FeishuStrategy({ clientID: APP, clientSecret: 'secret', callbackURL: '/cb', appType: 'store', cache }, () => undefined);
  }

  const delivery = (ticket: string) => eventRequest({ encryptKey: KEY, verificationToken: TOKEN }, appTicketEvent(APP, ticket, { verificationToken: TOKEN }, { eventId: 'evt-replayed' }));

  test("a replay while the cache's reads fail is a 500 (Feishu retries), and nothing is stored", async () => {
    const cache = new FlakyCache();
    const strategy = storeApp(cache);
    const first = delivery('ticket-1');
    assert.deepEqual(await send({ strategies: strategy, encryptKey: KEY }, first.body, first.headers), { status: 200, body: { msg: 'success' } });
    cache.readsFail = true;
    const replay = await send({ strategies: strategy, encryptKey: KEY }, first.body, first.headers);
    assert.deepEqual(replay, { status: 500, body: { error: 'event handling failed' } });
    cache.readsFail = false;
    assert.equal(await send({ strategies: strategy, encryptKey: KEY }, first.body, first.headers).then((r) => r.body.msg), 'ignored: event seen before or older than what is stored');
  });

  test("onCacheError: 'accept' takes the event as new when the reads fail", async () => {
    const cache = new FlakyCache();
    const strategy = storeApp(cache);
    const first = delivery('ticket-1');
    await send({ strategies: strategy, encryptKey: KEY, onCacheError: 'accept' }, first.body, first.headers);
    cache.readsFail = true;
    const replay = await send({ strategies: strategy, encryptKey: KEY, onCacheError: 'accept' }, first.body, first.headers);
    assert.deepEqual(replay, { status: 200, body: { msg: 'success' } });
  });

  test("a seen-mark that cannot be written is a 500 by default, and taken with 'accept'", async () => {
    const cache = new FlakyCache();
    cache.writesFail = true;
    const event = delivery('ticket-2');
    assert.equal((await send({ strategies: storeApp(cache), encryptKey: KEY }, event.body, event.headers)).status, 500);
    assert.equal((await send({ strategies: storeApp(cache), encryptKey: KEY, onCacheError: 'accept' }, event.body, event.headers)).status, 200);
  });

  test("the stores' save gets onCacheError: 'accept' only when the handler was given it", async () => {
    const infos: unknown[] = [];
    const standIn = { appId: APP, saveAppTicket: (_ticket: string, info: unknown) => Promise.resolve(void infos.push(info)) };
    const event = delivery('ticket-3');
    await send({ strategies: standIn, encryptKey: KEY, onCacheError: 'accept' }, event.body, event.headers);
    await send({ strategies: standIn, encryptKey: KEY, onCacheError: 'retry' }, event.body, event.headers);
    const [accepting, retrying] = infos as Record<string, unknown>[];
    assert.equal(accepting?.onCacheError, 'accept');
    assert.equal(accepting?.eventId, 'evt-replayed');
    assert.deepEqual(Object.keys(retrying ?? {}).sort(), ['appId', 'createdAt', 'eventId']);
  });

  test('the error behind the 500 says which cache call failed, and carries its cause', async () => {
    const cache = new FlakyCache();
    const cause = new Error('read timed out');
    cache.readsFail = true;
    await assert.rejects(
      oncePerEvent(cache, 'p', { eventId: 'e' }, () => Promise.resolve(true)),
      (err: unknown) => err instanceof Error && err.name === 'EventCacheUnavailable' && /cache read failed/.test(err.message) && (err.cause as Error).message === cause.message,
    );
    cache.readsFail = false;
    cache.writesFail = true;
    await assert.rejects(
      oncePerEvent(cache, 'p', { eventId: 'e' }, () => Promise.resolve(true)),
      (err: unknown) => err instanceof Error && err.name === 'EventCacheUnavailable' && /cache write failed/.test(err.message) && (err.cause as Error).message === 'write refused',
    );
  });

  test("onCacheError other than 'retry' or 'accept' is a TypeError", () => {
    for (const onCacheError of ['ignore', true, 1]) {
      assert.throws(() => feishuEventHandler({ strategies: [], verificationToken: TOKEN, onCacheError } as unknown as FeishuEventHandlerOptions), {
        name: 'TypeError',
        message: /onCacheError must be 'retry' or 'accept'/,
      });
    }
    assert.doesNotThrow(() => feishuEventHandler({ strategies: [], verificationToken: TOKEN, onCacheError: 'retry' }));
  });
});

describe('finding 14: a refused large body leaves the keep-alive connection usable', () => {
  interface Answer {
    readonly status: number;
    readonly connection: string | undefined;
  }

  /** One POST of `size` bytes over `agent`; rejects on a socket error or after a generous 20 s. */
  function post(agent: Agent, size: number): Promise<Answer> {
    return new Promise((resolve, reject) => {
      const req = request(url, { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': size }, timeout: 20_000 }, (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode ?? 0, connection: res.headers.connection }));
      });
      req.on('timeout', () => req.destroy(new Error('no answer within 20 s')));
      req.on('error', reject);
      req.end(Buffer.alloc(size, 0x20));
    });
  }

  for (const size of [1024 * 1024 + 1, 1_200_000, 2_000_000]) {
    test(`after a 413 for ${size} bytes, the agent's next request is answered`, async () => {
      handler = feishuEventHandler({ strategies: [], verificationToken: TOKEN });
      // One socket at most, kept alive: the next request goes where the refused body went, unless it was closed.
      const agent = new Agent({ keepAlive: true, maxSockets: 1 });
      try {
        assert.deepEqual(await post(agent, size), { status: 413, connection: 'close' });
        assert.deepEqual(await post(agent, 2), { status: 400, connection: 'keep-alive' });
        assert.deepEqual(await post(agent, size), { status: 413, connection: 'close' });
        assert.deepEqual(await post(agent, 2), { status: 400, connection: 'keep-alive' });
      } finally {
        agent.destroy();
      }
    });
  }
});
