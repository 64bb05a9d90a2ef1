import type { Request, RequestHandler, Response } from 'express';
import { rateLimit, type Store } from 'express-rate-limit';

/**
 * How many requests one client address may make to each group of routes in a window.
 * Counted per address (`req.ip`: with `trust proxy`, the client's as Express reads
 * X-Forwarded-For). Offices often share one address, so the limits leave room for a floor
 * of colleagues signing in at nine o'clock: tune them to your users.
 */
export interface RateLimitSettings {
  /** POST /login/password: the demo password, the one route that takes a guessable secret. Default 20. */
  password: number;
  /** Everything under /auth/ (sign-in starts, callbacks, the QR goto, in-app codes, link requests). Default 300. */
  auth: number;
  /** POST /feishu/events: Feishu's event pushes. Default 1200. */
  events: number;
  /** The window the counts are kept for, in milliseconds. Default 15 minutes. */
  windowMs: number;
}

/** The example's defaults. */
export const DEFAULT_RATE_LIMITS: RateLimitSettings = { password: 20, auth: 300, events: 1200, windowMs: 15 * 60 * 1000 };

/** Which limit a store counts for: each limiter needs a store of its own (express-rate-limit refuses a shared one). */
export type RateLimitName = 'password' | 'auth' | 'events';

/**
 * Where the counts live. Default: this process's memory, which is right for one instance;
 * behind a load balancer every instance must count in one place (redis.ts gives a Redis
 * store), or each instance grants the full limit again.
 */
export type RateLimitStoreFactory = (name: RateLimitName) => Store;

/** The route where the example takes Feishu's event pushes. */
export const EVENTS_PATH = '/feishu/events';

/** The three limiters, each a middleware to put in front of its routes. */
export type RateLimiters = Readonly<Record<RateLimitName, RequestHandler>>;

/**
 * Builds the limiters. `tooMany` answers a client over its limit (the app's own page or
 * JSON); express-rate-limit has already set `Retry-After` and the `RateLimit` headers.
 */
export function rateLimiters(settings: Partial<RateLimitSettings> = {}, storeFor?: RateLimitStoreFactory, tooMany?: (req: Request, res: Response) => void): RateLimiters {
  // A setting left undefined keeps its default (a spread alone would copy the undefined).
  const given = Object.fromEntries(Object.entries(settings).filter(([, value]) => value !== undefined));
  const { windowMs, ...limits }: RateLimitSettings = { ...DEFAULT_RATE_LIMITS, ...given };
  const limiter = (name: RateLimitName): RequestHandler =>
    rateLimit({
      windowMs,
      limit: limits[name],
      // The IETF draft's combined RateLimit / RateLimit-Policy headers, not the X-RateLimit-* ones.
      standardHeaders: 'draft-8',
      legacyHeaders: false,
      identifier: name,
      store: storeFor?.(name),
      handler: (req, res) => {
        if (tooMany) tooMany(req, res);
        else res.status(429).send('Too many requests. Please wait a moment and try again.');
      },
    });
  return { password: limiter('password'), auth: limiter('auth'), events: limiter('events') };
}
