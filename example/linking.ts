import type { Request, RequestHandler, Response } from 'express';
import { sameOriginOnly } from './guards.js';

/**
 * Linking a Feishu account to the account a visitor is signed in to happens only after that
 * visitor asked for it: a same-origin POST to {@link LINK_PATH} leaves a one-time, short-lived
 * mark in the session, and only the next Feishu sign-in started from the button reads it.
 *
 * Without the mark, a Feishu sign-in while signed in is a sign-in: it replaces the session.
 * Linking whatever Feishu account comes back would let anyone who can make the victim's
 * browser finish a sign-in (a forged QR message, a crafted callback) attach the attacker's
 * Feishu account to the victim's account, and then sign in as the victim.
 */
export const LINK_PATH = '/auth/link/feishu';

/** How long the mark waits for the Feishu round trip. */
const LINK_TTL_MS = 10 * 60 * 1000;

/** What the mark holds: whose account asked, and until when. */
interface LinkIntent {
  readonly accountId: string;
  readonly expiresAt: number;
}

/** express-session's session, with this module's one field. */
interface LinkingSession {
  linkFeishu?: LinkIntent;
}

function sessionOf(req: Request): LinkingSession | undefined {
  return req.session as LinkingSession | undefined;
}

/**
 * Whether this request carries a live link request made by `accountId`. The mark is spent
 * either way: one request links at most one Feishu account.
 */
export function takeLinkIntent(req: Request, accountId: string): boolean {
  const session = sessionOf(req);
  const intent = session?.linkFeishu;
  if (session) delete session.linkFeishu;
  return intent !== undefined && intent.accountId === accountId && intent.expiresAt > Date.now();
}

/** Drops an unspent mark (a cancelled or failed sign-in): it must not wait for the next one. */
export function forgetLinkIntent(req: Request): void {
  const session = sessionOf(req);
  if (session?.linkFeishu) delete session.linkFeishu;
}

/**
 * `POST /auth/link/feishu`: from our own pages only, by a signed-in visitor; marks the
 * session and sends the browser on to `start` (the button's sign-in route).
 */
export function linkRoute(options: { accountIdOf: (req: Request) => string | undefined; start: string; refuse: (res: Response) => void }): RequestHandler[] {
  return [
    sameOriginOnly(options.refuse),
    (req, res) => {
      const accountId = options.accountIdOf(req);
      const session = sessionOf(req);
      if (!accountId || !session) {
        res.redirect(303, '/login');
        return;
      }
      session.linkFeishu = { accountId, expiresAt: Date.now() + LINK_TTL_MS };
      res.redirect(303, options.start);
    },
  ];
}
