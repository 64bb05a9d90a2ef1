/**
 * Where the strategy keeps what outlives a login (the app_access_token, the app_ticket).
 * The shape is Keyv's, so `new Keyv(new KeyvRedis(url))` plugs in as it is and several
 * app instances share one token.
 */
export interface FeishuCache {
  get(key: string): Promise<unknown>;
  /** `ttl` in milliseconds. */
  set(key: string, value: unknown, ttl?: number): Promise<unknown>;
  delete(key: string): Promise<unknown>;
}

interface Entry {
  readonly value: unknown;
  readonly expiresAt: number;
}

/** The default: one process, a bounded number of keys (one app uses two or three). */
export class MemoryCache implements FeishuCache {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly maxEntries = 1000) {}

  get(key: string): Promise<unknown> {
    const entry = this.entries.get(key);
    if (entry && entry.expiresAt <= Date.now()) this.entries.delete(key);
    return Promise.resolve(entry && entry.expiresAt > Date.now() ? entry.value : undefined);
  }

  set(key: string, value: unknown, ttl?: number): Promise<boolean> {
    this.entries.delete(key);
    // Maps iterate in insertion order, so the first key is the oldest write.
    if (this.entries.size >= this.maxEntries) this.entries.delete(this.entries.keys().next().value as string);
    this.entries.set(key, { value, expiresAt: ttl === undefined ? Infinity : Date.now() + ttl });
    return Promise.resolve(true);
  }

  delete(key: string): Promise<boolean> {
    return Promise.resolve(this.entries.delete(key));
  }
}

/** Reads that fail rather than miss, for the caches `boundedCache` made. */
const strictReads = new WeakMap<FeishuCache, (key: string) => Promise<unknown>>();

/**
 * Reads `key`, rejecting when the cache fails or runs late, where `get` of a bounded cache
 * would answer a miss: event de-duplication must tell "not seen" from "cannot tell".
 */
export function readOrThrow(cache: FeishuCache, key: string): Promise<unknown> {
  const strict = strictReads.get(cache);
  return strict ? strict(key) : Promise.resolve().then(() => cache.get(key));
}

/**
 * Bounds a cache the app supplied by the strategy's `timeout`: a store that is down or
 * unreachable (a Redis client still connecting) must not hold a login open forever.
 * A read that fails or runs late counts as a miss, so the login asks Feishu instead;
 * writes and deletes reject, and callers decide whether that matters.
 */
export function boundedCache(cache: FeishuCache, timeoutMs: number): FeishuCache {
  function within<T>(call: () => Promise<T>, what: string): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`cache ${what} took longer than ${timeoutMs} ms`)), timeoutMs);
      let pending: Promise<T>;
      try {
        pending = Promise.resolve(call());
      } catch (err) {
        pending = Promise.reject(err instanceof Error ? err : new Error(String(err)));
      }
      pending.then(
        (value) => {
          clearTimeout(timer);
          resolve(value);
        },
        (err: unknown) => {
          clearTimeout(timer);
          reject(err instanceof Error ? err : new Error(String(err)));
        },
      );
    });
  }
  const bounded: FeishuCache = {
    // Stryker disable next-line StringLiteral: a get that fails or runs late is a miss, so its error and this label are never seen.
    get: (key) => within(() => cache.get(key), 'get').catch(() => undefined),
    set: (key, value, ttl) => within(() => cache.set(key, value, ttl), 'set'),
    delete: (key) => within(() => cache.delete(key), 'delete'),
  };
  strictReads.set(bounded, (key) => within(() => cache.get(key), 'get'));
  return bounded;
}
