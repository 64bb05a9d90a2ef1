/**
 * Reading and writing one cookie from a strategy, in every framework Passport runs in.
 * A strategy sees only the request; Express and koa-passport hang the response on it as
 * `req.res`, and a Fastify app does so with one hook (see docs/without-a-session.md).
 */

/** The attributes of a cookie this package sets. */
export interface CookieAttributes {
  readonly path: string;
  readonly maxAgeSeconds: number;
  readonly secure: boolean;
}

/** Node's and Express's response (`setHeader`), koa-passport's stand-in, or a Fastify reply (`header`). */
interface ResponseLike {
  setHeader?: (name: string, value: string | string[]) => unknown;
  getHeader?: (name: string) => unknown;
  header?: (name: string, value: string) => unknown;
}

interface RequestLike {
  readonly headers?: Readonly<Record<string, string | string[] | undefined>>;
  readonly res?: unknown;
}

/** Cookie names and values this package writes: no separators, nothing to escape. */
const TOKEN = /^[A-Za-z0-9._-]+$/;

/** The value of cookie `name` in the request, or `undefined`. Only values this package could have written are returned. */
export function readCookie(req: unknown, name: string): string | undefined {
  const header = (req as RequestLike).headers?.cookie;
  const text = Array.isArray(header) ? header.join('; ') : header;
  if (typeof text !== 'string') return undefined;
  for (const part of text.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0 || part.slice(0, eq).trim() !== name) continue;
    const value = part.slice(eq + 1).trim();
    if (TOKEN.test(value)) return value;
  }
  return undefined;
}

function serialize(name: string, value: string, attributes: CookieAttributes): string {
  // HttpOnly: no script reads it. SameSite=Lax: sent on Feishu's top-level redirect back, not on cross-site subrequests.
  return `${name}=${value}; Path=${attributes.path}; Max-Age=${attributes.maxAgeSeconds}; HttpOnly; SameSite=Lax${attributes.secure ? '; Secure' : ''}`;
}

/** Adds a Set-Cookie to the response of `req`, keeping those already set (a session's, another sign-in's). */
export function writeCookie(req: unknown, name: string, value: string, attributes: CookieAttributes): void {
  const res = (req as RequestLike).res as ResponseLike | null | undefined;
  const cookie = serialize(name, value, attributes);
  if (typeof res?.setHeader === 'function') {
    const before = typeof res.getHeader === 'function' ? res.getHeader('set-cookie') : undefined;
    const list = Array.isArray(before) ? before.map(String) : typeof before === 'string' ? [before] : [];
    res.setHeader('Set-Cookie', [...list, cookie]);
    return;
  }
  // A Fastify reply appends each set-cookie header it is given.
  if (typeof res?.header === 'function') {
    res.header('set-cookie', cookie);
    return;
  }
  throw new Error('cookieStateStore cannot set its cookie: the request has no response at req.res (under Fastify, add an onRequest hook that sets request.res = reply; see docs/without-a-session.md)');
}
