import type { Request, RequestHandler, Response } from 'express';

/**
 * Whether the browser says this request came from one of our own pages. `Sec-Fetch-Site`
 * first (every current browser sends it), else `Origin` against our own origin (with
 * `trust proxy`, the proxy's scheme and host). A request with neither is refused: every
 * browser that can run these pages sends one of them on a POST, so only a non-browser
 * client or an old browser would be turned away, and neither can be told from a forgery.
 */
export function isSameOrigin(req: Request): boolean {
  const site = req.get('sec-fetch-site');
  if (site !== undefined) return site === 'same-origin';
  const origin = req.get('origin');
  return origin !== undefined && origin === `${req.protocol}://${req.host}`;
}

/** Refuses cross-site requests (CSRF, login CSRF) before anything else runs. */
export function sameOriginOnly(refuse: (res: Response) => void): RequestHandler {
  return (req, res, next) => {
    if (isSameOrigin(req)) next();
    else refuse(res);
  };
}

function isTooLarge(err: unknown): boolean {
  const type = err && typeof err === 'object' && 'type' in err ? err.type : undefined;
  return type === 'entity.too.large' || type === 'parameters.too.many';
}

/**
 * Runs a body parser and answers its errors itself, 413 for a body too large and 400 for
 * anything else, with our own text: the parser's message quotes the body it choked on.
 */
export function parseBody(parser: RequestHandler, refuse: (res: Response, status: 400 | 413) => void): RequestHandler {
  return (req, res, next) => {
    void parser(req, res, (err?: unknown) => {
      if (err === undefined || err === null) next();
      else refuse(res, isTooLarge(err) ? 413 : 400);
    });
  };
}
