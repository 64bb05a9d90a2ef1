import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { appTokenSource, saveAppTicket } from '../lib/app-ticket.js';
import type { FeishuCache } from '../lib/cache.js';
import { FeishuAPIError } from '../lib/index.js';

/**
 * The app_ticket store on its own: what `saveAppTicket` keeps and refuses, and what a store
 * app's token request reads back, from whatever a shared cache happens to hold.
 */

const KEY = 'passport-feishu:https://open.example:cli_1:app_ticket';
const HOUR = 60 * 60 * 1000;

/** A cache that records every key it is asked about, with the TTL of each write. */
class RecordingCache implements FeishuCache {
  readonly values = new Map<string, unknown>();
  readonly keys: unknown[] = [];
  readonly ttls = new Map<string, number | undefined>();

  get(key: string): Promise<unknown> {
    this.keys.push(key);
    return Promise.resolve(this.values.get(key));
  }

  set(key: string, value: unknown, ttl?: number): Promise<boolean> {
    this.keys.push(key);
    this.values.set(key, value);
    this.ttls.set(key, ttl);
    return Promise.resolve(true);
  }

  delete(key: string): Promise<boolean> {
    this.keys.push(key);
    return Promise.resolve(this.values.delete(key));
  }
}

/** What a store app would read as its ticket now. */
function ticketIn(cache: RecordingCache): unknown {
  return (cache.values.get(KEY) as { ticket?: unknown } | undefined)?.ticket;
}

describe('saveAppTicket: retries and late events', () => {
  test("an event id is remembered 8 hours (README), past Feishu's whole retry schedule (15 s, 5 min, 1 h, 6 h)", async () => {
    const cache = new RecordingCache();
    assert.equal(await saveAppTicket(cache, KEY, 't1', { eventId: 'evt-1' }, HOUR), true);
    const marks = [...cache.ttls].filter(([key]) => key !== KEY);
    assert.equal(marks.length, 1);
    const [, ttl] = marks[0]!;
    assert.equal(ttl, 8 * HOUR, 'remembered for 8 hours exactly');
    assert.equal(await saveAppTicket(cache, KEY, 't1', { eventId: 'evt-1' }, HOUR), false, 'the retry is refused');
  });

  test('every cache key is printable ASCII and none carries the event id', async () => {
    const cache = new RecordingCache();
    const eventId = 'évt\n{"x":1}';
    await saveAppTicket(cache, KEY, 't1', { eventId }, HOUR);
    for (const key of cache.keys) {
      assert.equal(typeof key, 'string');
      assert.match(key as string, /^[\x21-\x7e]+$/);
      assert.ok(!(key as string).includes('x":1'), String(key));
    }
  });

  test('without an event id, only the ticket key is read and written', async () => {
    const cache = new RecordingCache();
    assert.equal(await saveAppTicket(cache, KEY, 't1', {}, HOUR), true);
    assert.equal(await saveAppTicket(cache, KEY, 't2', { createdAt: 1000 }, HOUR), true);
    assert.deepEqual(new Set(cache.keys), new Set([KEY]));
    assert.equal(ticketIn(cache), 't2');
  });

  test('a ticket from an older event does not replace a newer one', async () => {
    const cache = new RecordingCache();
    await saveAppTicket(cache, KEY, 't1', { createdAt: 5000 }, HOUR);
    assert.equal(await saveAppTicket(cache, KEY, 't0', { createdAt: 4000 }, HOUR), false);
    assert.equal(ticketIn(cache), 't1');
  });

  test('a ticket from an event of the same time replaces the stored one', async () => {
    const cache = new RecordingCache();
    await saveAppTicket(cache, KEY, 't1', { createdAt: 5000 }, HOUR);
    assert.equal(await saveAppTicket(cache, KEY, 't2', { createdAt: 5000 }, HOUR), true);
    assert.equal(ticketIn(cache), 't2');
  });

  test('an event without a time, or a time that is no number of ms, is never refused as older', async () => {
    for (const createdAt of [undefined, Number.NEGATIVE_INFINITY, Number.NaN, '500' as unknown as number]) {
      const cache = new RecordingCache();
      await saveAppTicket(cache, KEY, 't1', { createdAt: 5000 }, HOUR);
      assert.equal(await saveAppTicket(cache, KEY, 't2', { createdAt }, HOUR), true, String(createdAt));
      assert.equal(ticketIn(cache), 't2', String(createdAt));
      // …and it leaves no time behind that a later event could be compared with.
      assert.equal(await saveAppTicket(cache, KEY, 't3', { createdAt: 1 }, HOUR), true, String(createdAt));
    }
  });

  test('a stored time that is no finite number does not block a newer event', async () => {
    for (const createdAt of [Number.POSITIVE_INFINITY, '9000', null]) {
      const cache = new RecordingCache();
      cache.values.set(KEY, { ticket: 'old', createdAt });
      assert.equal(await saveAppTicket(cache, KEY, 't2', { createdAt: 1000 }, HOUR), true, String(createdAt));
      assert.equal(ticketIn(cache), 't2');
    }
  });

  test('whatever else the cache holds under the key (a 0.1 string, null, junk) is replaced', async () => {
    for (const junk of ['old', null, 42, { ticket: 42, createdAt: 9000 }, { ticket: '', createdAt: 9000 }]) {
      const cache = new RecordingCache();
      cache.values.set(KEY, junk);
      assert.equal(await saveAppTicket(cache, KEY, 't2', { createdAt: 1000 }, HOUR), true, JSON.stringify(junk));
      assert.equal(ticketIn(cache), 't2');
    }
  });
});

describe("appTokenSource: the store app's ticket as read back", () => {
  const hosts = { open: 'http://127.0.0.1:1', accounts: 'http://127.0.0.1:1', passport: 'http://127.0.0.1:1' };
  const ticketKey = `passport-feishu:${hosts.open}:cli_1:app_ticket`;

  function source(cache: RecordingCache, appTicket?: () => string | undefined) {
    return appTokenSource({
      clientID: 'cli_1',
      clientSecret: 'secret',
      hosts,
      cache,
      timeout: 2000,
      appType: 'store',
      appTicket,
      url: `${hosts.open}/open-apis/auth/v3/app_access_token`,
    });
  }

  /** No usable ticket: no token request, a 10012 error that says why. */
  const noTicket = (err: unknown) => {
    assert.ok(err instanceof FeishuAPIError, String(err));
    assert.equal(err.feishuCode, 10012);
    assert.match(err.message, /^Failed to obtain app_access_token/);
    assert.match(err.msg, /no app_ticket/);
    return true;
  };

  test('a ticket saved as a plain string (version 0.1) is still sent', async () => {
    const cache = new RecordingCache();
    cache.values.set(ticketKey, 'ticket-01');
    assert.deepEqual(await source(cache).body(), { app_id: 'cli_1', app_secret: 'secret', app_ticket: 'ticket-01' });
  });

  test('a saved record is sent as its ticket', async () => {
    const cache = new RecordingCache();
    cache.values.set(ticketKey, { ticket: 'ticket-02', createdAt: 5000 });
    assert.equal((await source(cache).body())['app_ticket'], 'ticket-02');
  });

  test('an empty, missing or non-string ticket in the cache is no ticket', async () => {
    for (const junk of ['', null, 42, {}, { ticket: 42 }, { ticket: '' }, { ticket: ['t'] }]) {
      const cache = new RecordingCache();
      cache.values.set(ticketKey, junk);
      await assert.rejects(source(cache).body(), noTicket, JSON.stringify(junk));
    }
  });

  test('an appTicket function that answers with no string is no ticket', async () => {
    for (const answer of [42, '', { ticket: 't' }]) {
      await assert.rejects(source(new RecordingCache(), () => answer as unknown as string).body(), noTicket, JSON.stringify(answer));
    }
  });
});
