import type { Request, RequestHandler } from 'express';
import { feishuEventHandler, MemoryCache, type AppTicketStore, type FeishuCache, type FeishuEventHandler, type UserTokensRevoked } from 'passport-feishu-oauth2';
import type { Identity } from './accounts.js';

/**
 * Ending sign-ins when Feishu revokes a user's grant (a user who left the company, was
 * frozen, or whose access an admin or risk control took away): Feishu pushes
 * `auth.user_access_token.revoked_v4` to the event URL, the handler marks the user as revoked
 * at that time in the shared store (Redis behind several instances), and every instance ends,
 * at its next request, each session that user signed in to with Feishu before that time.
 * A sign-in made after the revocation (the user consented again) is kept.
 */

/** The console's Event Subscription secrets, as `feishuEventHandler` takes them. */
export interface EventSecrets {
  encryptKey?: string;
  verificationToken?: string;
}

/** FEISHU_ENCRYPT_KEY and FEISHU_VERIFICATION_TOKEN, when either is set: then the example mounts `POST /feishu/events`. */
export function eventSecretsFromEnv(env: NodeJS.ProcessEnv): EventSecrets | undefined {
  const secrets = { encryptKey: env.FEISHU_ENCRYPT_KEY || undefined, verificationToken: env.FEISHU_VERIFICATION_TOKEN || undefined };
  return secrets.encryptKey || secrets.verificationToken ? secrets : undefined;
}

declare module 'express-session' {
  interface SessionData {
    /** The Feishu user this session signed in as, and when: what a revocation is compared with. */
    feishuSignIn?: { id: string; at: number };
  }
}

/** A mark outlives the longest session (the cookie's 7 days) it could still have to end. */
const MARK_TTL_MS = 8 * 24 * 3600 * 1000;

const markKey = (openId: string): string => `feishu-revoked:${openId}`;

/** Sign-ins as verify sees them, until passport's login (after the session is regenerated) stamps them. */
const pending = new WeakMap<Request, { id: string; at: number }>();

export class Revocations {
  constructor(private readonly store: FeishuCache = new MemoryCache(100_000)) {}

  /** Keeps the latest revocation time for the user. */
  async record(event: UserTokensRevoked): Promise<void> {
    const before = await this.store.get(markKey(event.openId));
    const at = typeof before === 'number' && before > event.createdAt ? before : event.createdAt;
    await this.store.set(markKey(event.openId), at, MARK_TTL_MS);
  }

  /** `POST /feishu/events`: Feishu's signed events, revocations to `record`, app_tickets to the strategy. */
  eventHandler(strategy: AppTicketStore, secrets: EventSecrets): FeishuEventHandler {
    return feishuEventHandler({ strategies: strategy, ...secrets, onUserTokensRevoked: (event) => this.record(event) });
  }

  /** In verify: this request signs in as a Feishu (or Lark) user, now. */
  noteSignIn(req: Request, identity: Identity): void {
    if (identity.provider !== 'local') pending.set(req, { id: identity.id, at: Date.now() });
  }

  /** In serializeUser (with `req`): the new session remembers which Feishu user signed in, and when. */
  stampSession(req: Request): void {
    const signIn = pending.get(req);
    if (signIn) req.session.feishuSignIn = signIn;
  }

  /** After `passport.session()`: a session signed in to before its user's revocation is signed out. */
  guard(): RequestHandler {
    return (req, _res, next) => {
      const signIn = req.session?.feishuSignIn;
      if (!req.user || !signIn) {
        next();
        return;
      }
      // A store that cannot answer fails the request (500) rather than letting a revoked session through.
      this.store.get(markKey(signIn.id)).then((revokedAt) => {
        if (typeof revokedAt !== 'number' || signIn.at > revokedAt) {
          next();
          return;
        }
        req.logout((err: unknown) => next(err));
      }, next);
    };
  }
}
