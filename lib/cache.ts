/**
 * Where the strategy keeps what outlives a login (the app_access_token, the app_ticket).
 * The shape is Keyv's, so `new Keyv(new KeyvRedis(url))` plugs in as it is and several
 * app instances share one token.
 */
export interface FeishuCache {
  /** The value stored under `key`, or `undefined` when there is none or it expired. */
  get(key: string): Promise<unknown>;
  /** `ttl` in milliseconds. */
  set(key: string, value: unknown, ttl?: number): Promise<unknown>;
  /** Removes `key`. */
  delete(key: string): Promise<unknown>;
}

interface Entry {
  readonly value: unknown;
  readonly expiresAt: number;
}

/**
 * The default: one process, a bounded number of keys (one app uses two or three).
 *
 * Full, it makes room in this order: entries already expired, then entries written with a
 * TTL (oldest write first), and only then permanent ones (oldest write first). Whatever
 * expires on its own is what a caller chose to lose; a flood of short-lived writes (demo
 * accounts, per-visitor notes) must not push out what has no other copy.
 */
export class MemoryCache implements FeishuCache {
  /** Entries with a TTL and entries without, each in write order (Maps iterate in insertion order). */
  private readonly expiring = new Map<string, Entry>();
  private readonly permanent = new Map<string, Entry>();
  /** Writes since the last sweep for expired entries: a sweep is O(n), so it runs at most once per quarter of the capacity. */
  private writesSinceSweep: number;

  constructor(private readonly maxEntries = 1000) {
    this.writesSinceSweep = maxEntries;
  }

  /** The value stored under `key`, or `undefined` when there is none or it expired. */
  get(key: string): Promise<unknown> {
    const entry = this.expiring.get(key) ?? this.permanent.get(key);
    if (entry && entry.expiresAt <= Date.now()) this.expiring.delete(key);
    return Promise.resolve(entry && entry.expiresAt > Date.now() ? entry.value : undefined);
  }

  set(key: string, value: unknown, ttl?: number): Promise<boolean> {
    this.expiring.delete(key);
    this.permanent.delete(key);
    this.writesSinceSweep += 1;
    if (this.expiring.size + this.permanent.size >= this.maxEntries) this.makeRoom();
    if (ttl === undefined) this.permanent.set(key, { value, expiresAt: Infinity });
    else this.expiring.set(key, { value, expiresAt: Date.now() + ttl });
    return Promise.resolve(true);
  }

  /** Removes `key`; resolves to whether it was there. */
  delete(key: string): Promise<boolean> {
    return Promise.resolve(this.expiring.delete(key) || this.permanent.delete(key));
  }

  /** Frees one place: an expired entry if a sweep finds one, else the oldest with a TTL, else the oldest. */
  private makeRoom(): void {
    if (this.writesSinceSweep >= Math.max(1, this.maxEntries / 4)) {
      this.writesSinceSweep = 0;
      const now = Date.now();
      for (const [key, entry] of this.expiring) if (entry.expiresAt <= now) this.expiring.delete(key);
      if (this.expiring.size + this.permanent.size < this.maxEntries) return;
    }
    const victims = this.expiring.size > 0 ? this.expiring : this.permanent;
    victims.delete(victims.keys().next().value as string);
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
