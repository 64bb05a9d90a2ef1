import { createHash } from 'node:crypto';
import type { FeishuApp } from './app-options.js';

/** The default bound: apps kept built at once. */
export const DEFAULT_APP_CACHE_SIZE = 1000;

/** A fingerprint of a secret: a hash, so no key or log line ever holds the secret itself. */
export function secretFingerprint(secret: string): string {
  return createHash('sha256').update(secret).digest('base64url');
}

/**
 * The apps built from `resolveApp`'s answers, least recently used first out. An evicted app is
 * rebuilt on its next use: that costs a few objects, not a request, as its app token stays in
 * the cache. Two answers share an entry only when every input of the build is the same, so two
 * secrets (or two assertion providers, or two ticket sources) for one App ID never share one.
 */
export class AppRegistry<T> {
  private readonly entries = new Map<string, T>();
  /** Functions (assertion providers, ticket sources) have no value to key on: each gets a number. */
  private readonly functionIds = new WeakMap<object, number>();
  private nextFunctionId = 0;

  constructor(
    private readonly build: (app: FeishuApp) => T,
    /** The most apps kept at once. */
    readonly capacity: number = DEFAULT_APP_CACHE_SIZE,
  ) {}

  /** How many apps are built now; never more than `capacity`. */
  get size(): number {
    return this.entries.size;
  }

  /** The built app for `app`, built now if it is not kept; a malformed app throws the strategy's TypeError. */
  get(app: FeishuApp): T {
    const key = this.keyOf(app);
    const kept = this.entries.get(key);
    if (kept !== undefined) {
      // Maps iterate in insertion order: re-inserting makes this the most recently used.
      this.entries.delete(key);
      this.entries.set(key, kept);
      return kept;
    }
    const built = this.build(app);
    if (this.entries.size >= this.capacity) this.entries.delete(this.entries.keys().next().value as string);
    this.entries.set(key, built);
    return built;
  }

  private keyOf(app: FeishuApp): string {
    // The aliases credentialsOf reads as well, in its order.
    const loose = app as FeishuApp & { appId?: unknown; appSecret?: unknown };
    const secret: unknown = app.clientSecret ?? loose.appSecret;
    // A domain object keys as JSON: an equal one spelt in another order only costs a second entry.
    return JSON.stringify([
      app.clientID ?? loose.appId,
      app.domain,
      app.brand,
      app.appType,
      typeof secret === 'string' ? secretFingerprint(secret) : typeof secret,
      this.idOf(app.clientAssertion),
      typeof app.appTicket === 'string' ? secretFingerprint(app.appTicket) : this.idOf(app.appTicket),
    ]);
  }

  private idOf(value: unknown): number | string {
    if (typeof value !== 'function') return typeof value;
    let id = this.functionIds.get(value);
    if (id === undefined) {
      // Stryker disable next-line AssignmentOperator: any sequence of distinct ids does
      id = (this.nextFunctionId += 1);
      this.functionIds.set(value, id);
    }
    return id;
  }
}
