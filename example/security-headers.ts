import { createHash } from 'node:crypto';
import type { RequestHandler } from 'express';
import helmet from 'helmet';
import { INLINE_CODE } from './views.js';

/** The origins the pages load code or frames from, besides our own. */
export interface ThirdPartyOrigins {
  /** Scripts: Feishu's QR SDK (and the H5 JSSDK of the in-app page). */
  readonly scripts: readonly string[];
  /** Frames: the QR SDK frames its QR code from Feishu's passport host. */
  readonly frames: readonly string[];
  /**
   * fetch() targets beyond our own origin: the JSSDK's. The mock's JSSDK stand-in asks its own
   * origin for the code; Feishu's JSSDK goes through the client's bridge, and whether it also
   * fetches from its CDN's origin is not known.
   */
  readonly connects?: readonly string[];
  /** Images beyond https: (the mock's avatars on loopback, in mock mode). */
  readonly images?: readonly string[];
  /**
   * Where a form on our pages may end up: the "Link your Feishu account" form POSTs to us and
   * is redirected on to Feishu's authorize page, and Chromium applies form-action to every
   * hop of a form's redirects.
   */
  readonly forms?: readonly string[];
}

/** The origin of a URL, or nothing for a value that is not one (the CSP then names nothing for it). */
export function originOf(url: string | undefined): string[] {
  if (!url) return [];
  try {
    return [new URL(url).origin];
  } catch {
    return [];
  }
}

/** A source list with each source once; an empty one is 'none' (helmet would drop the directive). */
function sources(list: readonly string[]): string[] {
  return list.length ? [...new Set(list)] : ["'none'"];
}

function hashSource(code: string): string {
  return `'sha256-${createHash('sha256').update(code, 'utf8').digest('base64')}'`;
}

/** One year, as HSTS preload lists ask. */
const HSTS_MAX_AGE_S = 365 * 24 * 3600;

/**
 * Security headers with helmet. The Content-Security-Policy names exactly what the pages use:
 * our own origin, the QR SDK's and JSSDK's script origins, the QR frame's origin, and our
 * inline scripts by hash (no 'unsafe-inline' for scripts). No one may frame our pages
 * (frame-ancestors 'none': a framed sign-in page invites clickjacking).
 *
 * HSTS only on a request that arrived over TLS (req.secure: directly, or through a trusted
 * proxy that says https): on http://localhost it would pin the browser to HTTPS for every
 * app on localhost.
 */
export function securityHeaders(origins: ThirdPartyOrigins): RequestHandler[] {
  const inlineScripts = INLINE_CODE.scripts.map(hashSource);
  // Inline event handlers need 'unsafe-hashes' besides their hash (CSP Level 3).
  const handlers = INLINE_CODE.handlers.length ? ["'unsafe-hashes'", ...INLINE_CODE.handlers.map(hashSource)] : [];
  const headers = helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: sources(["'self'", ...inlineScripts, ...handlers, ...origins.scripts]),
        // Only the QR frame; child-src for browsers that predate frame-src's return.
        frameSrc: sources(origins.frames),
        childSrc: sources(origins.frames),
        connectSrc: sources(["'self'", ...(origins.connects ?? [])]),
        // Feishu avatars come from several CDN hosts; they load with no referrer.
        imgSrc: sources(["'self'", 'https:', 'data:', ...(origins.images ?? [])]),
        styleSrc: ["'self'"],
        // The QR SDK sets a style attribute on its iframe.
        styleSrcAttr: ["'unsafe-inline'"],
        fontSrc: ["'self'"],
        objectSrc: ["'none'"],
        baseUri: ["'none'"],
        formAction: sources(["'self'", ...(origins.forms ?? [])]),
        frameAncestors: ["'none'"],
      },
    },
    // The QR frame reads the page's origin from its referrer (the mock does; Feishu's may):
    // cross-origin requests carry the origin only, never the path or query.
    referrerPolicy: { policy: 'strict-origin-when-cross-origin' },
    strictTransportSecurity: false,
    // helmet's COEP/CORP defaults would keep Feishu's frame and scripts out.
    crossOriginEmbedderPolicy: false,
    crossOriginResourcePolicy: { policy: 'same-origin' },
    // The QR SDK's frame posts to this window: 'same-origin-allow-popups' keeps that, no opener for others.
    crossOriginOpenerPolicy: { policy: 'same-origin-allow-popups' },
  });
  const hsts: RequestHandler = (req, res, next) => {
    if (req.secure) res.setHeader('strict-transport-security', `max-age=${HSTS_MAX_AGE_S}; includeSubDomains`);
    next();
  };
  return [headers, hsts];
}
