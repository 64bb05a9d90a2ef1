import type { Request } from 'express';

/**
 * The absolute callback URL for this request, from Express's own reading of it.
 *
 * A relative callbackURL is otherwise resolved by the strategy, which believes
 * X-Forwarded-Proto/-Host whenever Express's `trust proxy` is set at all: with
 * `TRUST_PROXY=10.0.0.0/8`, a client that reached the app directly could still name the host
 * in the redirect_uri. `req.protocol` and `req.host` go through Express's compiled
 * `trust proxy fn`: the forwarded headers count only when the peer that sent them is
 * trusted (an address in the list, or within the hop count), exactly as for `req.secure`
 * and the session cookie.
 *
 * `undefined` when the request names no usable host: the caller refuses it.
 */
export function callbackURLOf(req: Request, callbackURL: string): string | undefined {
  // Already absolute (FEISHU_CALLBACK_URL): nothing to resolve, nothing to believe.
  if (/^[a-z][a-z0-9+.-]*:/i.test(callbackURL)) return callbackURL;
  const host = req.host;
  // A host name or address and an optional port: nothing that could reshape the URL.
  if (!host || !/^(?:[a-z0-9_](?:[a-z0-9_.-]*[a-z0-9_])?|\[[0-9a-f:.]+\])(?::\d{1,5})?$/i.test(host)) return undefined;
  return new URL(callbackURL, `${req.protocol}://${host}`).href;
}
