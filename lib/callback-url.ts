/**
 * A relative `callbackURL` resolved against the request that is signing in, in any framework.
 *
 * passport-oauth2 does this itself (lib/utils.js `originalURL`), but reads `req.connection`,
 * which only Node's own request (Express, koa-passport's request) carries: Fastify 5's
 * request has none, and the sign-in crashed with a TypeError. This module keeps
 * passport-oauth2's rules (TLS from the socket, `X-Forwarded-Proto`/`-Host` only when
 * `proxy` is set or Express's `trust proxy` is on) and reads the socket wherever the
 * framework keeps it.
 */

/** What this module reads from a request: Node's, Express's, Fastify's or koa-passport's. */
interface RequestLike {
  readonly headers?: Readonly<Record<string, string | string[] | undefined>>;
  readonly url?: string;
  /** Express, Fastify and Koa: the URL before a mounted router or prefix cut it. */
  readonly originalUrl?: string;
  readonly socket?: { readonly encrypted?: boolean } | null;
  readonly connection?: { readonly encrypted?: boolean } | null;
  /** Fastify: the Node request. */
  readonly raw?: { readonly socket?: { readonly encrypted?: boolean } | null };
  /** Express's app, or koa-passport's stand-in that answers `trust proxy` from `app.proxy`. */
  readonly app?: { readonly get?: (setting: string) => unknown };
}

/** passport-oauth2's own fields; its type declarations leave them out. */
interface OAuth2Internals {
  readonly _callbackURL?: string;
  readonly _trustProxy?: unknown;
}

/** A host name, IPv4 or bracketed IPv6 address, and an optional port: nothing that could reshape the URL. */
const HOST = /^(?:[a-z0-9_](?:[a-z0-9_.-]*[a-z0-9_])?|\[[0-9a-f:.]+\])(?::\d{1,5})?$/i;

/** RFC 3986 scheme: `https:`, `lark:`…; without one the URL is relative (passport-oauth2 tests `url.parse().protocol`). */
const SCHEME = /^[a-z][a-z0-9+.-]*:/i;

/**
 * The absolute callback URL for this request when the one in the authenticate options or
 * the strategy's is relative; `undefined` when there is nothing to resolve (absolute, or
 * none at all as in in-app sign-in), and `null` when the request does not say where it was
 * sent (no usable Host).
 */
export function callbackURLFor(req: unknown, options: { callbackURL?: unknown } | undefined, strategy: object): string | null | undefined {
  const { _callbackURL, _trustProxy } = strategy as OAuth2Internals;
  // `||`, as passport-oauth2 chooses between the two.
  const callbackURL = (typeof options?.callbackURL === 'string' && options.callbackURL) || _callbackURL;
  if (!callbackURL || SCHEME.test(callbackURL)) return undefined;
  return resolveCallbackURL(req as RequestLike, callbackURL, Boolean(_trustProxy));
}

/** `callbackURL` resolved against the URL the browser asked for, or `null` without a usable Host. */
export function resolveCallbackURL(req: RequestLike, callbackURL: string, proxy: boolean): string | null {
  const trusted = proxy || Boolean(req.app?.get?.('trust proxy'));
  const headers = req.headers ?? {};
  const forwardedHost = trusted ? first(headers['x-forwarded-host']) : undefined;
  // HTTP/2 carries the host as :authority.
  const host = forwardedHost || first(headers.host) || first(headers[':authority']);
  if (!host || !HOST.test(host)) return null;
  const encrypted = (req.socket ?? req.connection ?? req.raw?.socket)?.encrypted === true;
  const tls = encrypted || (trusted && first(headers['x-forwarded-proto'])?.toLowerCase() === 'https');
  // Anything but an origin-form path (none, `*`, an absolute-form target) resolves against the root.
  const path = req.originalUrl ?? req.url;
  // A path-absolute callbackURL (`/auth/feishu/callback`) does not depend on the request's path,
  // so its answer is kept: every sign-in of one host resolves the same URL twice.
  // Stryker disable all: the kept answers only save time; every answer is the one new URL() gives (callback-url-edges.test.ts)
  const key = callbackURL.startsWith('/') && !callbackURL.startsWith('//') ? `${tls ? 'https' : 'http'}://${host} ${callbackURL}` : undefined;
  const known = key === undefined ? undefined : RESOLVED.get(key);
  if (known !== undefined) return known;
  // Stryker restore all
  let resolved: string;
  try {
    resolved = new URL(callbackURL, `${tls ? 'https' : 'http'}://${host}${path?.startsWith('/') ? path : ''}`).href;
  } catch {
    return null;
  }
  // Stryker disable all: as above, time only; the bound keeps memory flat under a flood of hosts
  if (key !== undefined) {
    // The Host header is the client's: a flood of hosts empties the map instead of growing it.
    if (RESOLVED.size >= MAX_RESOLVED) RESOLVED.clear();
    RESOLVED.set(key, resolved);
  }
  // Stryker restore all
  return resolved;
}

/** Resolved path-absolute callback URLs by origin and path; a handful of hosts in practice. */
const RESOLVED = new Map<string, string>();
const MAX_RESOLVED = 64;

/** The first value of a header that may be repeated or a comma-separated list (one per proxy hop). */
function first(value: string | string[] | undefined): string | undefined {
  const raw = Array.isArray(value) ? value[0] : value;
  // split() returns one element here: the loop runs once, or not at all when there is no header.
  for (const head of raw?.split(',', 1) ?? []) return head.trim() || undefined;
  return undefined;
}
