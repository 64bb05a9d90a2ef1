import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, mock, test } from 'node:test';
import { boundedCache, type FeishuCache } from '../lib/cache.js';
import { MemoryCache } from '../lib/index.js';

/** The default cache and the bound put around an app's own: read, expiry, eviction, late and failing stores. */

beforeEach(() => mock.timers.enable({ apis: ['Date', 'setTimeout'], now: 1_000_000 }));
afterEach(() => mock.timers.reset());

describe('MemoryCache', () => {
  test('a value reads back until its TTL (ms) runs out, and not at the instant it does', async () => {
    const cache = new MemoryCache();
    assert.equal(await cache.set('token', { token: 't-1' }, 1000), true);
    mock.timers.tick(999);
    assert.deepEqual(await cache.get('token'), { token: 't-1' });
    assert.deepEqual(await cache.get('token'), { token: 't-1' }, 'reading does not consume it');
    mock.timers.tick(1);
    assert.equal(await cache.get('token'), undefined);
  });

  test('without a TTL a value stays', async () => {
    const cache = new MemoryCache();
    await cache.set('ticket', 'mock-ticket');
    mock.timers.tick(365 * 24 * 60 * 60 * 1000);
    assert.equal(await cache.get('ticket'), 'mock-ticket');
  });

  test('a key never set reads as undefined', async () => {
    assert.equal(await new MemoryCache().get('nothing'), undefined);
  });

  test('delete removes a key and says whether there was one', async () => {
    const cache = new MemoryCache();
    await cache.set('k', 'v');
    assert.equal(await cache.delete('k'), true);
    assert.equal(await cache.get('k'), undefined);
    assert.equal(await cache.delete('k'), false);
  });

  test('a write over a key replaces its value and its TTL', async () => {
    const cache = new MemoryCache();
    await cache.set('k', 'old', 10);
    await cache.set('k', 'new');
    mock.timers.tick(20);
    assert.equal(await cache.get('k'), 'new');
  });

  test('full, it drops the oldest write to make room; rewriting a key makes it the newest', async () => {
    const cache = new MemoryCache(2);
    await cache.set('a', 1);
    await cache.set('b', 2);
    await cache.set('a', 10); // now b is the oldest write
    await cache.set('c', 3);
    assert.deepEqual([await cache.get('a'), await cache.get('b'), await cache.get('c')], [10, undefined, 3]);
  });

  test('an expired key read is dropped at once, so it takes no room from live ones', async () => {
    const cache = new MemoryCache(2);
    await cache.set('live', 'kept');
    await cache.set('short', 'gone', 100);
    mock.timers.tick(100);
    assert.equal(await cache.get('short'), undefined);
    await cache.set('next', 'new'); // one live entry before this write: nothing to evict
    assert.equal(await cache.get('live'), 'kept');
    assert.equal(await cache.get('next'), 'new');
  });

  test('full, it drops an expired entry before any live one, even when the expired one is not the oldest', async () => {
    const cache = new MemoryCache(3);
    await cache.set('long', 'live', 10_000);
    await cache.set('short', 'gone', 100);
    await cache.set('forever', 'kept');
    mock.timers.tick(100);
    await cache.set('next', 'new');
    assert.deepEqual([await cache.get('long'), await cache.get('forever'), await cache.get('next')], ['live', 'kept', 'new']);
  });

  test('full, it drops entries with a TTL (oldest write first) before permanent ones', async () => {
    const cache = new MemoryCache(3);
    await cache.set('p1', 'kept');
    await cache.set('t1', 'first to go', 60_000);
    await cache.set('t2', 'second to go', 60_000);
    await cache.set('n1', 'new');
    assert.deepEqual([await cache.get('p1'), await cache.get('t1'), await cache.get('t2')], ['kept', undefined, 'second to go']);
    await cache.set('n2', 'new', 60_000);
    assert.deepEqual([await cache.get('p1'), await cache.get('t2'), await cache.get('n1'), await cache.get('n2')], ['kept', undefined, 'new', 'new']);
  });

  test('a flood of writes with a TTL never pushes out a permanent entry', async () => {
    const cache = new MemoryCache(100);
    await cache.set('account:real', { id: 'real' });
    for (let i = 0; i < 5000; i += 1) await cache.set(`demo:${i}`, i, 7 * 24 * 3600 * 1000);
    assert.deepEqual(await cache.get('account:real'), { id: 'real' });
    assert.equal(await cache.get('demo:4999'), 4999);
    assert.equal(await cache.get('demo:0'), undefined);
  });

  test('rewriting a permanent key with a TTL makes it expiring, and the other way round', async () => {
    const cache = new MemoryCache(2);
    await cache.set('a', 'permanent');
    await cache.set('a', 'expiring', 60_000);
    await cache.set('b', 'permanent');
    await cache.set('c', 'permanent'); // full: 'a' now has a TTL, so it goes first
    assert.deepEqual([await cache.get('a'), await cache.get('b'), await cache.get('c')], [undefined, 'permanent', 'permanent']);
    await cache.set('b', 'expiring', 60_000);
    await cache.set('b', 'permanent again');
    await cache.set('d', 'permanent'); // no TTL left: the oldest write ('c') goes
    assert.deepEqual([await cache.get('b'), await cache.get('c'), await cache.get('d')], ['permanent again', undefined, 'permanent']);
  });

  test('delete finds a key with or without a TTL', async () => {
    const cache = new MemoryCache();
    await cache.set('t', 1, 1000);
    await cache.set('p', 2);
    assert.deepEqual([await cache.delete('t'), await cache.delete('p'), await cache.delete('t')], [true, true, false]);
    assert.deepEqual([await cache.get('t'), await cache.get('p')], [undefined, undefined]);
  });

  test('holds 1000 keys by default', async () => {
    const cache = new MemoryCache();
    for (let i = 0; i < 1000; i += 1) await cache.set(`k${i}`, i);
    assert.equal(await cache.get('k0'), 0);
    await cache.set('k1000', 1000);
    assert.equal(await cache.get('k0'), undefined);
    assert.equal(await cache.get('k1'), 1);
  });
});

/** An app's cache whose calls answer only when the test says (a Redis client queueing while offline). */
function controlled() {
  let answer: (value: unknown) => void = () => undefined;
  const hang = () =>
    new Promise<unknown>((resolve) => {
      answer = resolve;
    });
  const cache: FeishuCache = { get: hang, set: hang, delete: hang };
  return { cache, answer: (value: unknown) => answer(value) };
}

/** An app's cache whose every call fails: by throwing at once, or by rejecting. */
function failing(how: 'throw' | 'reject', value: unknown): FeishuCache {
  const fail = (): Promise<unknown> => {
    if (how === 'throw') throw value;
    // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- adapters that reject with a string are what this covers
    return Promise.reject(value);
  };
  return { get: fail, set: fail, delete: fail };
}

describe('boundedCache: the app\'s cache, bounded by the strategy\'s timeout', () => {
  test('calls pass through with their arguments, and answers come back', async () => {
    const inner = new MemoryCache();
    const cache = boundedCache(inner, 500);
    assert.equal(await cache.set('k', 'v', 1000), true);
    assert.equal(await cache.get('k'), 'v');
    mock.timers.tick(1000);
    assert.equal(await inner.get('k'), undefined, 'the TTL reached the inner cache');
    await cache.set('k2', 'v2');
    assert.equal(await cache.delete('k2'), true);
    assert.equal(await inner.get('k2'), undefined);
  });

  test('an answer just inside the timeout counts', async () => {
    const { cache: inner, answer } = controlled();
    const cache = boundedCache(inner, 500);
    const read = cache.get('k');
    mock.timers.tick(499);
    answer('v');
    assert.equal(await read, 'v');
  });

  test('a read that does not answer within the timeout is a miss', async () => {
    const { cache: inner, answer } = controlled();
    const read = boundedCache(inner, 500).get('k');
    mock.timers.tick(500);
    assert.equal(await read, undefined);
    answer('too late'); // changes nothing
    assert.equal(await read, undefined);
  });

  test('a write or delete that does not answer within the timeout rejects, naming the call and the limit', async () => {
    const { cache: inner } = controlled();
    const cache = boundedCache(inner, 500);
    const write = cache.set('k', 'v', 1);
    const drop = cache.delete('k');
    mock.timers.tick(500);
    await assert.rejects(write, (err: Error) => /\bset\b/.test(err.message) && /\b500 ms\b/.test(err.message));
    await assert.rejects(drop, (err: Error) => /\bdelete\b/.test(err.message) && /\b500 ms\b/.test(err.message));
  });

  test('a read that rejects or throws is a miss', async () => {
    for (const how of ['throw', 'reject'] as const) {
      assert.equal(await boundedCache(failing(how, new Error('ECONNREFUSED')), 500).get('k'), undefined, how);
    }
  });

  test('a write or delete that rejects or throws rejects with that error; a non-Error becomes an Error', async () => {
    const original = new Error("READONLY You can't write against a read only replica.");
    for (const how of ['throw', 'reject'] as const) {
      await assert.rejects(boundedCache(failing(how, original), 500).set('k', 'v'), (err) => err === original, how);
      await assert.rejects(boundedCache(failing(how, original), 500).delete('k'), (err) => err === original, how);
      await assert.rejects(
        boundedCache(failing(how, 'connection lost'), 500).set('k', 'v'),
        (err) => err instanceof Error && err.message === 'connection lost',
        how,
      );
    }
  });
});
