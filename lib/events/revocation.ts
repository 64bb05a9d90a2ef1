/*
 * Feishu's revocation event, `auth.user_access_token.revoked_v4` ("撤销用户授权事件").
 *
 * Sources: the official doc page /uAjLw4CM/ukTMukTMukTM/authentication-management/auth-v4/user_access_token/events/revoked
 * (copy read: riba2534/feishu-open-docs authentication-management/auth-v4/revoked.md, updated 2026-02),
 * feishu-api.md §10.10, and @larksuiteoapi/node-sdk 1.74.0 types/index.d.ts (its IHandles entry).
 * - Pushed when a user's user_access_token or refresh_token is revoked: by the user, a tenant
 *   administrator, security and risk control, or a restriction (account frozen, user resigned, app
 *   unavailable, user no longer allowed to use the app). Custom (self-built) and store apps.
 * - Subscribing needs the permission `auth:user_access_token:read`; `event.user_id` is only
 *   filled with `contact:user.employee_id:readonly` as well.
 * - Schema 2.0 only: `header {event_id, event_type, create_time (ms since the epoch, a string),
 *   token, app_id, tenant_key}`, `event {revoke_token_type, revoke_reason, open_id, union_id, user_id}`.
 * - `revoke_token_type`: "user_access_token", "refresh_token", or both separated by a space
 *   ("user_access_token refresh_token"); 0 to 10000 characters.
 * - `revoke_reason`: "Revoked by unknown action." (the default), "Revoked by user action.",
 *   "Revoked by administrator action.", "Revoked by security and risk control action.",
 *   "Revoked by restriction action."; 0 to 10000 characters.
 * - The doc's table lists webhook delivery; its sample code subscribes over the long connection
 *   (WSClient) too. The long connection serves self-built apps only, delivers each event to one
 *   connected client (not to all), and wants the handler done within 3 seconds (the event
 *   subscription guide, "使用长连接接收事件", quoted in several public repositories).
 *   Uncertain: whether `header.token` is set on the long connection (nothing here needs it).
 */

/** The event type Feishu gives a revocation. */
export const USER_TOKENS_REVOKED = 'auth.user_access_token.revoked_v4';

/** A user's tokens for this app were revoked: the app should end what it signed in with them. */
export interface UserTokensRevoked {
  /** The app (`cli_…`) whose grant was revoked. */
  readonly appId: string;
  /** The user's tenant; undefined when Feishu left it out. */
  readonly tenantKey: string | undefined;
  /** The user's open_id for this app: `profile.id` of the sign-in. Always present. */
  readonly openId: string;
  /** The user's union_id, when sent. */
  readonly unionId: string | undefined;
  /** The user's user_id, sent only with the `contact:user.employee_id:readonly` permission. */
  readonly userId: string | undefined;
  /**
   * What was revoked: `'user_access_token'`, `'refresh_token'`, or both, as Feishu listed them
   * (space-separated on the wire). Empty when Feishu said nothing; treat every revocation as
   * the end of the user's sign-ins either way.
   */
  readonly tokenTypes: readonly string[];
  /** Feishu's reason, such as `'Revoked by restriction action.'`; `''` when none was given. */
  readonly reason: string;
  /** Feishu's id for the event; retries share it. */
  readonly eventId: string | undefined;
  /**
   * When the revocation happened, in ms since the epoch: the event's `create_time`, never later
   * than when it was received (a time in the future would lock the user out until then), and
   * the time of receipt when Feishu sent none.
   */
  readonly createdAt: number;
}

/** The app's callback for revocations; a throw or a rejection is answered 500, so Feishu retries. */
export type UserTokensRevokedListener = (event: UserTokensRevoked) => void | Promise<void>;

/** A revocation event whose fields are not what Feishu documents. */
export class InvalidRevocationEvent extends Error {
  override readonly name = 'InvalidRevocationEvent';
}

/** Ids are short ASCII tokens (`ou_…`, `on_…`, tenant keys); 256 characters is ample. */
const ID = /^[\x21-\x7e]{1,256}$/;
/** The doc's bound for revoke_token_type and revoke_reason. */
const MAX_TEXT = 10_000;

function id(value: unknown, name: string, required: boolean): string | undefined {
  if (value === undefined || value === null || value === '') {
    if (required) throw new InvalidRevocationEvent(`revocation event without ${name}`);
    return undefined;
  }
  if (typeof value !== 'string' || !ID.test(value)) throw new InvalidRevocationEvent(`revocation event with an invalid ${name}`);
  return value;
}

function text(value: unknown, name: string): string {
  if (value === undefined || value === null) return '';
  if (typeof value !== 'string' || value.length > MAX_TEXT) throw new InvalidRevocationEvent(`revocation event with an invalid ${name}`);
  return value;
}

/** The fields of a revocation, wherever they sit: a 2.0 `header` and `event`, or node-sdk's flattened object (both at once). */
export interface RevocationFields {
  readonly header: Readonly<Record<string, unknown>>;
  readonly event: Readonly<Record<string, unknown>>;
}

/**
 * Reads a revocation event, every field as hostile input: ids must be short printable ASCII,
 * texts strings within the documented 10 000 characters, and `open_id` must be there.
 * `appId` is the app the event was matched to; `createdAt` is clamped to `now`.
 */
export function readRevocation(fields: RevocationFields, appId: string, createdAt: number | undefined, now: number): UserTokensRevoked {
  const { header, event } = fields;
  const tokenTypes = [...new Set(text(event.revoke_token_type, 'revoke_token_type').split(/\s+/).filter(Boolean))];
  return {
    appId,
    tenantKey: id(header.tenant_key, 'tenant_key', false),
    openId: id(event.open_id, 'open_id', true)!,
    unionId: id(event.union_id, 'union_id', false),
    userId: id(event.user_id, 'user_id', false),
    tokenTypes,
    reason: text(event.revoke_reason, 'revoke_reason'),
    eventId: id(header.event_id, 'event_id', false),
    createdAt: createdAt === undefined ? now : Math.min(createdAt, now),
  };
}
