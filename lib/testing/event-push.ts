import { createCipheriv, createHash, randomBytes, randomUUID } from 'node:crypto';

/** Where the mock delivers an app's events, as configured in the console's Event Subscriptions. */
export interface EventSubscription {
  /** The app's event URL. */
  url: string;
  /** Whose events; default the mock's first app. */
  appId?: string;
  /** Encrypt and sign payloads as Feishu does when an Encrypt Key is set. */
  encryptKey?: string;
  verificationToken?: string;
  /** Event schema; Feishu still sends app_ticket in the v1 shape (feishu-api.md §4.2). */
  schema?: '1.0' | '2.0';
}

/** What makes an event itself; defaults are a fresh id and the current time. */
export interface EventIdentity {
  /** v1 `uuid`, 2.0 `header.event_id`. */
  eventId?: string;
  /** ms since the epoch; v1 carries it as seconds (`ts`), 2.0 as milliseconds (`header.create_time`). */
  createdAt?: number;
}

/** AES-256-CBC, key = SHA-256(Encrypt Key), a random IV in front, base64. */
export function encryptEvent(payload: object, encryptKey: string): { encrypt: string } {
  const key = createHash('sha256').update(encryptKey).digest();
  const iv = randomBytes(16);
  const cipher = createCipheriv('aes-256-cbc', key, iv);
  const data = Buffer.concat([iv, cipher.update(JSON.stringify(payload), 'utf8'), cipher.final()]);
  return { encrypt: data.toString('base64') };
}

/** The three headers Feishu signs an event with. */
export interface SignatureHeaders {
  'x-lark-request-timestamp': string;
  'x-lark-request-nonce': string;
  'x-lark-signature': string;
}

/**
 * The headers Feishu signs an event with (feishu-api.md §10.1): `X-Lark-Signature` is the
 * lowercase hex SHA-256 of timestamp + nonce + Encrypt Key + the exact body bytes.
 * The timestamp's unit is not documented; Unix seconds here (no SDK reads its value).
 */
export function signEvent(body: Buffer | string, encryptKey: string, timestamp = String(Math.floor(Date.now() / 1000)), nonce = randomBytes(8).toString('hex')): SignatureHeaders {
  const signature = createHash('sha256')
    .update(Buffer.concat([Buffer.from(timestamp + nonce + encryptKey, 'utf8'), Buffer.isBuffer(body) ? body : Buffer.from(body, 'utf8')]))
    .digest('hex');
  return { 'x-lark-request-timestamp': timestamp, 'x-lark-request-nonce': nonce, 'x-lark-signature': signature };
}

/** An app_ticket event body as Feishu sends it, in the subscription's schema (v1 by default, or 2.0), before encryption. */
export function appTicketEvent(appId: string, ticket: string, sub: Partial<EventSubscription>, identity: EventIdentity = {}): object {
  const eventId = identity.eventId ?? randomUUID();
  const createdAt = identity.createdAt ?? Date.now();
  if (sub.schema === '2.0') {
    return {
      schema: '2.0',
      header: { event_id: eventId, event_type: 'app_ticket', create_time: String(createdAt), token: sub.verificationToken ?? '', app_id: appId },
      event: { app_id: appId, app_ticket: ticket },
    };
  }
  return { uuid: eventId, token: sub.verificationToken ?? '', ts: String(createdAt / 1000), type: 'event_callback', event: { app_id: appId, app_ticket: ticket, type: 'app_ticket' } };
}

/** What a revocation says: Feishu's `revoke_token_type` and `revoke_reason`. */
export interface RevocationDetails {
  /** Default `'user_access_token refresh_token'`. */
  tokenTypes?: string;
  /** Default `'Revoked by restriction action.'` (frozen, resigned, no longer allowed to use the app). */
  reason?: string;
}

/** The user a revocation names. */
export interface RevokedUser {
  open_id: string;
  union_id?: string;
  user_id?: string;
  tenant_key?: string;
}

/**
 * `auth.user_access_token.revoked_v4` as Feishu sends it (schema 2.0 only): the header names the
 * app and tenant, the event the user and what was revoked.
 */
export function userTokensRevokedEvent(appId: string, user: RevokedUser, sub: Partial<EventSubscription>, identity: EventIdentity = {}, details: RevocationDetails = {}): Record<string, unknown> {
  return {
    schema: '2.0',
    header: {
      event_id: identity.eventId ?? randomUUID(),
      event_type: 'auth.user_access_token.revoked_v4',
      create_time: String(identity.createdAt ?? Date.now()),
      token: sub.verificationToken ?? '',
      app_id: appId,
      tenant_key: user.tenant_key,
    },
    event: {
      revoke_token_type: details.tokenTypes ?? 'user_access_token refresh_token',
      revoke_reason: details.reason ?? 'Revoked by restriction action.',
      open_id: user.open_id,
      union_id: user.union_id,
      user_id: user.user_id,
    },
  };
}

/**
 * The request Feishu would send for `payload` to `sub`: encrypted and signed when the
 * subscription has an Encrypt Key. The signature covers exactly the returned bytes.
 */
export function eventRequest(sub: Partial<EventSubscription>, payload: object): { body: Buffer; headers: Record<string, string> } {
  const body = Buffer.from(JSON.stringify(sub.encryptKey ? encryptEvent(payload, sub.encryptKey) : payload), 'utf8');
  const headers: Record<string, string> = { 'content-type': 'application/json; charset=utf-8' };
  return { body, headers: sub.encryptKey ? { ...headers, ...signEvent(body, sub.encryptKey) } : headers };
}

/** POSTs one event; resolves to the app's HTTP status. */
export async function deliverEvent(sub: EventSubscription, payload: object): Promise<number> {
  const { body, headers } = eventRequest(sub, payload);
  const res = await fetch(sub.url, { method: 'POST', headers, body: new Uint8Array(body), signal: AbortSignal.timeout(5000) });
  await res.arrayBuffer();
  return res.status;
}
