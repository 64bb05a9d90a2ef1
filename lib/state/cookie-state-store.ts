import { randomBytes, timingSafeEqual } from 'node:crypto';
import { readCookie, writeCookie } from './cookies.js';
import { open, seal, sealingKeys } from './sealed.js';
import { StateRefusal } from './state-refusal.js';

/** Options of {@link cookieStateStore}. */
export interface CookieStateStoreOptions {
  /**
   * The secret the cookie is encrypted with (at least 32 characters), or a list to rotate:
   * the first seals new cookies, every one opens them. Every instance of the app needs it.
   */
  secret: string | readonly string[];
  /** The cookie name's prefix; each sign-in in progress has its own cookie `<prefix>.<id>`. Default `feishu_state`. */
  cookieName?: string;
  /** How long a sign-in may take, in milliseconds. Default 600000 (10 minutes). */
  maxAge?: number;
}

/** What passport-oauth2 hands a store about the sign-in. */
interface StoreMeta {
  readonly callbackURL?: string | undefined;
}


/**
 * A passport-oauth2 state store (the `store` option) with no server state: what the
 * callback must check is sealed into a cookie of the browser that started the sign-in.
 */
export interface FeishuStateStore {
  /** passport-oauth2 calls this at the start of a sign-in; the callback gets the `state` to send to Feishu. */
  store(req: unknown, verifier: string | undefined, state: unknown, meta: { readonly callbackURL?: string | undefined }, callback: (err: Error | null, handle?: string) => void): void;
  /** passport-oauth2 calls this at the callback; `ok` is the PKCE verifier (or `true`), or `false` with a {@link StateRefusal}. */
  verify(
    req: unknown,
    providedState: string,
    meta: { readonly callbackURL?: string | undefined },
    callback: (err: Error | null, ok: string | boolean, state?: unknown) => void,
  ): void;
}

/** What the cookie holds, sealed. */
interface Sealed {
  /** The state sent to Feishu. */
  readonly h: string;
  /** The PKCE verifier, in flows that use one. */
  readonly v?: string;
  /** passport-oauth2's "app state" (the `state` authenticate option, and the app id with `resolveApp`). */
  readonly s?: unknown;
  /** When the sign-in started, epoch milliseconds. */
  readonly t: number;
}

/** The state's first characters name its cookie, so parallel sign-ins in several tabs each keep their own. */
const ID_LENGTH = 8;
const DEFAULT_MAX_AGE_MS = 10 * 60 * 1000;
const COOKIE_NAME = /^[A-Za-z0-9_-]{1,64}$/;
/** Browsers keep cookies up to 4096 bytes; a larger app state would be dropped silently. */
const MAX_COOKIE_BYTES = 4000;

const REFUSED = {
  missing: 'No sign-in is in progress in this browser: its state cookie is missing (expired, already used, or the sign-in started in another browser).',
  invalid: 'The sign-in state cookie is not valid (changed, or sealed with a secret this app does not hold).',
  expired: 'The sign-in took too long and its state expired. Please sign in again.',
  mismatch: 'The state in the callback does not match the sign-in this browser started.',
} as const;

function cookiePath(meta: StoreMeta): string {
  // Scoped to the callback: the cookie travels with no other request of the site.
  try {
    return meta.callbackURL ? new URL(meta.callbackURL, 'http://relative.invalid').pathname : '/';
  } catch {
    return '/';
  }
}

function isSecure(meta: StoreMeta): boolean {
  // The callback URL is resolved from the request under the strategy's `proxy` rules, so it says what the browser sees.
  return typeof meta.callbackURL === 'string' && meta.callbackURL.startsWith('https:');
}

function sameText(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

function parse(text: string): Sealed | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  const sealed = value as Partial<Sealed> | null;
  if (typeof sealed !== 'object' || sealed === null || typeof sealed.h !== 'string' || typeof sealed.t !== 'number') return undefined;
  if (sealed.v !== undefined && typeof sealed.v !== 'string') return undefined;
  return sealed as Sealed;
}

/**
 * A state store for passport-oauth2 (`store: cookieStateStore({ secret })`) that needs no
 * session: the state, the PKCE verifier, the app state and the start time are encrypted and
 * authenticated (AES-256-GCM, a key derived from `secret`) into an `HttpOnly`,
 * `SameSite=Lax` cookie scoped to the callback path, `Secure` when the callback URL is https.
 * The callback clears it whatever the outcome, so it serves one callback. A missing, changed,
 * foreign or expired cookie, or a state that does not match it, fails the callback with 400.
 */
export function cookieStateStore(options: CookieStateStoreOptions): FeishuStateStore {
  if (!options || typeof options !== 'object') throw new TypeError('cookieStateStore requires an options object with a secret');
  const keys = sealingKeys(options.secret, 'oauth state cookie', 'cookieStateStore: secret');
  const prefix = options.cookieName ?? 'feishu_state';
  if (typeof prefix !== 'string' || !COOKIE_NAME.test(prefix)) throw new TypeError('cookieStateStore: cookieName must be 1 to 64 letters, digits, _ or -');
  const maxAge = options.maxAge ?? DEFAULT_MAX_AGE_MS;
  if (!(Number.isFinite(maxAge) && maxAge >= 1000)) throw new TypeError('cookieStateStore: maxAge must be a number of milliseconds, at least 1000');
  const maxAgeSeconds = Math.ceil(maxAge / 1000);
  const nameFor = (handle: string): string => `${prefix}.${handle.slice(0, ID_LENGTH)}`;

  return {
    store(req, verifier, state, meta, callback) {
      let handle: string;
      try {
        handle = randomBytes(18).toString('base64url');
        const name = nameFor(handle);
        const sealed = seal(keys, JSON.stringify({ h: handle, v: verifier, s: state, t: Date.now() } satisfies Sealed), name);
        if (sealed.length + name.length > MAX_COOKIE_BYTES) throw new Error('cookieStateStore: the sign-in state is too large for a cookie; keep the `state` option small');
        writeCookie(req, name, sealed, { path: cookiePath(meta), maxAgeSeconds, secure: isSecure(meta) });
      } catch (err) {
        callback(err instanceof Error ? err : new Error(String(err)));
        return;
      }
      callback(null, handle);
    },

    verify(req, providedState, meta, callback) {
      let outcome: { ok: string | true; state: unknown } | StateRefusal;
      try {
        outcome = check(req, providedState, meta);
      } catch (err) {
        callback(err instanceof Error ? err : new Error(String(err)), false);
        return;
      }
      if (outcome instanceof StateRefusal) callback(null, false, outcome);
      else callback(null, outcome.ok, outcome.state);
    },
  };

  function check(req: unknown, providedState: unknown, meta: StoreMeta): { ok: string | true; state: unknown } | StateRefusal {
    if (typeof providedState !== 'string' || providedState.length < ID_LENGTH) return new StateRefusal(REFUSED.missing);
    const name = nameFor(providedState);
    const value = readCookie(req, name);
    if (value === undefined) return new StateRefusal(REFUSED.missing);
    // Single use: gone from the browser whatever this callback's outcome.
    writeCookie(req, name, '', { path: cookiePath(meta), maxAgeSeconds: 0, secure: isSecure(meta) });
    const text = open(keys, value, name);
    const sealed = text === undefined ? undefined : parse(text);
    if (!sealed) return new StateRefusal(REFUSED.invalid);
    if (!(Date.now() - sealed.t < maxAge)) return new StateRefusal(REFUSED.expired);
    if (!sameText(sealed.h, providedState)) return new StateRefusal(REFUSED.mismatch);
    return { ok: sealed.v ?? true, state: sealed.s };
  }
}
