import type { FeishuCache } from './cache.js';
import { FeishuAPIError } from './errors.js';
import { requestFeishu, TransportError, transportFailure } from './http.js';
import type { HeldSecrets } from './secrets.js';

/**
 * The official SDKs renew 3 minutes before `expire` (node-sdk issue #14): a token
 * that is valid when read must still be valid when Feishu checks it.
 */
export const EXPIRY_MARGIN_MS = 3 * 60 * 1000;

/** Feishu's answers when the app_access_token it was sent is no good (feishu-api.md §2.5, §4.4). */
// Typed `unknown` so that any `feishuCode` (a number, or undefined) can be looked up as it is.
// 10202 "access token invalid": the mini-program login's answer to a bad app token (code2session doc).
const REJECTED_APP_TOKEN: ReadonlySet<unknown> = new Set([99991663, 99991664, 99991671, 20013, 20014, 10202]);

interface CachedToken {
  readonly token: string;
  readonly expiresAt: number;
}

function isCachedToken(value: unknown): value is CachedToken {
  return typeof value === 'object' && value !== null && typeof (value as CachedToken).token === 'string' && typeof (value as CachedToken).expiresAt === 'number';
}

export interface AppTokenSource {
  /** The auth/v3 endpoint to ask. */
  readonly url: string;
  /** The request body: app id and secret, plus the app_ticket for store apps. */
  body(): Promise<Record<string, string>>;
  /** Called when Feishu answers with `code` so the source can react (store apps resend the ticket on 10012). */
  onError?(code: number | undefined): Promise<void>;
}

export interface AppTokenManagerOptions {
  readonly source: AppTokenSource;
  readonly cache: FeishuCache;
  readonly cacheKey: string;
  readonly timeout: number;
  /** Where the tokens this manager hands out are recorded, so no message ever quotes one. */
  readonly secrets: HeldSecrets;
}

/**
 * Holds the app_access_token for every login of one strategy. Made once in the
 * constructor: passport runs each request on `Object.create(strategy)`, so state put on
 * `this` during a request would be lost to the next one.
 */
export class AppTokenManager {
  /** One fetch at a time however many logins race for a cold cache (node-sdk issue #182). */
  private inflight: Promise<string> | undefined;
  /** Counts calls to Feishu's app-token endpoint; the benchmark and tests read it. */
  fetches = 0;

  constructor(private readonly options: AppTokenManagerOptions) {}

  async get(): Promise<string> {
    if (this.inflight) return this.inflight;
    const cached = await this.options.cache.get(this.options.cacheKey);
    if (isCachedToken(cached) && cached.expiresAt > Date.now()) {
      // Another instance may have fetched it (a shared cache): this one holds it from now on.
      this.options.secrets.holdAppToken(cached.token);
      return cached.token;
    }
    this.inflight ??= this.fetch().finally(() => {
      this.inflight = undefined;
    });
    return this.inflight;
  }

  /**
   * Runs `call` with the app token; when Feishu says the token is no good (revoked,
   * expired early, from before a secret reset) drops it, fetches a new one and tries once more.
   */
  async use<T>(call: (appToken: string) => Promise<T>): Promise<T> {
    const token = await this.get();
    try {
      return await call(token);
    } catch (err) {
      if (!isRejectedAppToken(err)) throw err;
      await this.invalidate(token);
      return call(await this.get());
    }
  }

  /** Drops `token` unless another login already replaced it. Best effort: the caller fetches anew either way. */
  async invalidate(token: string): Promise<void> {
    const cached = await this.options.cache.get(this.options.cacheKey);
    if (!isCachedToken(cached) || cached.token === token) await this.options.cache.delete(this.options.cacheKey).catch(() => undefined);
  }

  private async fetch(): Promise<string> {
    const { source, timeout, cache, cacheKey, secrets } = this.options;
    this.fetches += 1;
    let res;
    const body = await source.body();
    try {
      res = await requestFeishu({ url: source.url, method: 'POST', json: body, vetLogId: (logId) => secrets.logId(logId, body.app_ticket) }, timeout);
    } catch (err) {
      if (err instanceof TransportError) throw transportFailure('Failed to obtain app_access_token', err);
      throw err;
    }
    const answer = (typeof res.body === 'object' && res.body !== null ? res.body : {}) as Record<string, unknown>;
    // auth/v3 answers carry their fields at top level, not under `data` (feishu-api.md §4.1).
    const token = answer.app_access_token;
    const expire = answer.expire;
    if (answer.code !== 0 || typeof token !== 'string' || !token || typeof expire !== 'number') {
      const feishuCode = typeof answer.code === 'number' ? answer.code : undefined;
      await source.onError?.(feishuCode);
      throw new FeishuAPIError('Failed to obtain app_access_token', {
        feishuCode,
        msg: secrets.scrub(typeof answer.msg === 'string' ? answer.msg : 'answer without app_access_token', body.app_ticket),
        logId: res.logId,
        feishuStatus: res.status,
      });
    }
    secrets.holdAppToken(token);
    const ttl = expire * 1000 - EXPIRY_MARGIN_MS;
    // A cache that cannot store it costs a fetch next time, not this login.
    if (ttl > 0) await cache.set(cacheKey, { token, expiresAt: Date.now() + ttl } satisfies CachedToken, ttl).catch(() => undefined);
    return token;
  }
}

function isRejectedAppToken(err: unknown): boolean {
  const code = err instanceof Error && 'feishuCode' in err ? err.feishuCode : undefined;
  return REJECTED_APP_TOKEN.has(code);
}
