import { createDecipheriv, createHash, timingSafeEqual } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { eventActor, EventRejected } from './actions.js';
import { BodyTooLarge, readEventBody, type EventRequest } from './body.js';
import type { CacheErrorPolicy } from './dedup.js';
import { unpaddedLength } from './padding.js';
import { checkEventSignature } from './signature.js';
import type { UserTokensRevokedListener } from './revocation.js';

/** Where an app_ticket event came from, for telling a fresh ticket from a replayed one. */
export interface AppTicketEventInfo {
  /** When Feishu created the event, in ms since the epoch (v1 `ts`, 2.0 `header.create_time`). */
  readonly createdAt?: number;
  /** Feishu's id for the event (v1 `uuid`, 2.0 `header.event_id`); retries of one event share it. */
  readonly eventId?: string;
  /** What to do when the cache cannot tell whether the event was seen before; absent means `'retry'`. */
  readonly onCacheError?: CacheErrorPolicy;
  /** The app the event is for (its `app_id`): a strategy with `resolveApp` serves many, and needs to know which. */
  readonly appId?: string;
}

/** What the handler needs of a strategy (a `FeishuStrategy` is one): where its app's tickets go, and its memory of events. */
export interface AppTicketStore {
  /** The app id (`cli_…`) the strategy signs in for; '' for a strategy with `resolveApp`, which takes any app's events it resolves. */
  readonly appId: string;
  /**
   * Keeps `ticket` unless the event was seen before or is older than the ticket kept.
   * Resolves to whether it was taken; `void` counts as taken.
   */
  saveAppTicket(ticket: string, event: AppTicketEventInfo): Promise<boolean | void>;
  /**
   * Runs `action` unless an event of this id was taken before, then remembers the id (in the
   * strategy's cache, so every instance sharing it agrees); resolves to whether it ran.
   * Without it the handler remembers ids in its own memory, for this process only.
   */
  handleEventOnce?(event: AppTicketEventInfo, action: () => void | Promise<void>): Promise<boolean>;
}

/** Options of `feishuEventHandler`: which strategies, and how events are checked. */
export interface FeishuEventHandlerOptions {
  /** The strategies (store apps) whose app_ticket events this URL receives, matched by app id. */
  strategies: AppTicketStore | readonly AppTicketStore[];
  /** The console's Verification Token; events carrying another are refused. */
  verificationToken?: string;
  /** The console's Encrypt Key: events must then be encrypted and carry a valid `X-Lark-Signature`. */
  encryptKey?: string;
  /**
   * Accept events with neither a Verification Token nor an Encrypt Key to check them by.
   * Anyone who can reach the URL can then plant an app_ticket; meant for local tests only.
   */
  allowUnverifiedEvents?: boolean;
  /**
   * Called once per `auth.user_access_token.revoked_v4` event (a user left, was frozen, or an
   * admin, risk control or the user revoked the app's access): end that user's sign-ins there.
   * A throw or a rejection answers 500, so Feishu delivers the event again. Without it,
   * revocations are acknowledged and ignored.
   */
  onUserTokensRevoked?: UserTokensRevokedListener;
  /**
   * When the cache cannot say whether an event was seen before: `'retry'` (the default)
   * answers 500 and Feishu delivers it again later; `'accept'` takes it as new, so a replay
   * during a cache outage gets through.
   */
  onCacheError?: CacheErrorPolicy;
}

type Json = Record<string, unknown>;

/** Express-compatible: `(req, res, next)`; works with or without `express.json()` before it. */
export type FeishuEventHandler = (req: EventRequest, res: ServerResponse, next?: (err?: unknown) => void) => void;

function asJson(value: unknown): Json | undefined {
  if (typeof value !== 'object' || Array.isArray(value)) return undefined;
  // typeof null is 'object' too. `?? undefined` turns it away; a `!== null` test would be
  // redundant with every caller's `if`, `?.` and `??`, so no test could show it is there.
  return (value ?? undefined) as Json | undefined;
}

function parseJson(bytes: Buffer): Json {
  const json = parseObject(bytes);
  if (json) return json;
  throw new EventRejected(400, 'event body is not a JSON object');
}

/**
 * The largest unsigned body decrypted, in bytes. Only the url_verification challenge comes
 * unsigned: `{"challenge":"<random string>","token":"<32-character Verification Token>",
 * "type":"url_verification"}`, about 100 bytes with the documented examples' challenges
 * (15 to 36 characters). Encrypted that is 16 bytes of IV plus at most 160 of ciphertext,
 * some 240 characters of base64, and `{"encrypt":"…"}` adds 14: about 260 bytes. 2 KiB leaves
 * room for a challenge string eight times longer, and keeps an attacker's unsigned body away
 * from the decryption (issue 17, finding 4).
 */
const MAX_UNSIGNED_BYTES = 2048;

/**
 * Feishu's event encryption: AES-256-CBC, key = SHA-256 of the Encrypt Key, the first
 * 16 bytes of the base64 payload are the IV. The padding is checked by `unpaddedLength`,
 * which takes the same time whether it is right or wrong, and every failure leaves by the
 * same error.
 */
export function decryptEvent(encrypted: string, encryptKey: string): Json {
  const key = createHash('sha256').update(encryptKey).digest();
  const data = Buffer.from(encrypted, 'base64');
  if (data.length < 32) throw new EventRejected(400, 'encrypted event too short');
  // The length is public: a ciphertext that is not whole blocks is refused before any work.
  if (data.length % 16 === 0) {
    const decipher = createDecipheriv('aes-256-cbc', key, data.subarray(0, 16)).setAutoPadding(false);
    const plain = Buffer.concat([decipher.update(data.subarray(16)), decipher.final()]);
    const length = unpaddedLength(plain);
    // Parsed either way (the whole block when the padding is wrong, which fails as JSON).
    const json = parseObject(plain.subarray(0, length < 0 ? plain.length : length));
    if (length >= 0 && json) return json;
  }
  throw new EventRejected(400, 'cannot decrypt the event: check encryptKey');
}

function parseObject(bytes: Buffer): Json | undefined {
  try {
    return asJson(JSON.parse(bytes.toString('utf8')));
  } catch {
    return undefined; // a wrong key shows up as garbage JSON
  }
}

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function nonEmpty(value: unknown): string | undefined {
  return typeof value === 'string' && value ? value : undefined;
}

function reply(res: ServerResponse, status: number, body: Json, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

function optionalSecret(value: unknown, name: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw new TypeError(`feishuEventHandler: ${name} must be a string`);
  return value || undefined; // '' (say, an empty environment variable) is none
}

/** Checks an `onUserTokensRevoked` option: a function or nothing. */
export function listenerOption(value: unknown, where: string): UserTokensRevokedListener | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'function') throw new TypeError(`${where}: onUserTokensRevoked must be a function`);
  return value as UserTokensRevokedListener;
}

/** Checks an `onCacheError` option: 'retry' (the default) or 'accept'. */
export function cacheErrorOption(value: unknown, where: string): CacheErrorPolicy {
  if (value === undefined || value === 'retry' || value === 'accept') return value ?? 'retry';
  throw new TypeError(`${where}: onCacheError must be 'retry' or 'accept'`);
}

/**
 * Receives Feishu's event callbacks: answers the `url_verification` challenge, checks the
 * signature and Verification Token, decrypts encrypted events, saves each `app_ticket` where
 * the matching strategy reads it, and hands each user-token revocation to
 * `onUserTokensRevoked`, each once per event id. Other events are acknowledged. Both event
 * schemas are read: v1 (`type`, `token`, `event.type`) and 2.0 (`header.event_type`, `header.token`).
 */
export function feishuEventHandler(options: FeishuEventHandlerOptions): FeishuEventHandler {
  if (!options || typeof options !== 'object') throw new TypeError('feishuEventHandler requires an options object');
  const verificationToken = optionalSecret(options.verificationToken, 'verificationToken');
  const encryptKey = optionalSecret(options.encryptKey, 'encryptKey');
  if (!verificationToken && !encryptKey && options.allowUnverifiedEvents !== true) {
    throw new TypeError(
      'feishuEventHandler requires verificationToken or encryptKey (or both): the Verification Token and Encrypt Key ' +
        'shown in the developer console under Events & Callbacks › Encryption Strategy. Without them anyone can post ' +
        'an app_ticket; pass allowUnverifiedEvents: true only to accept that on purpose.',
    );
  }
  const strategies = Array.isArray(options.strategies) ? (options.strategies as readonly AppTicketStore[]) : [options.strategies as AppTicketStore];
  const act = eventActor({ strategies, onUserTokensRevoked: listenerOption(options.onUserTokensRevoked, 'feishuEventHandler'), onCacheError: cacheErrorOption(options.onCacheError, 'feishuEventHandler') });

  function tokenMatches(event: Json): boolean {
    if (!verificationToken) return false;
    const token = asJson(event.header)?.token ?? event.token;
    return typeof token === 'string' && sameSecret(token, verificationToken);
  }

  /** The event as Feishu sent it, decrypted, once it is known to come from Feishu. */
  async function authenticEvent(req: EventRequest): Promise<Json> {
    const body = await readEventBody(req);
    const outer = parseJson(body.bytes);
    if (!encryptKey) {
      if (outer.encrypt !== undefined) throw new EventRejected(400, 'encrypted event, but no encryptKey configured');
      return outer;
    }
    // With an Encrypt Key Feishu encrypts every event; the Go and Java SDKs refuse anything else.
    const encrypted = nonEmpty(outer.encrypt);
    if (!encrypted) throw new EventRejected(400, 'plaintext event refused: with an encryptKey, Feishu sends every event encrypted');
    const signature = checkEventSignature(req.headers, body.bytes, encryptKey);
    if (signature === 'valid') return decryptEvent(encrypted, encryptKey);

    // The official SDKs answer the url_verification challenge without a signature, and check
    // its Verification Token instead. Nothing else is decrypted unsigned, and a failed
    // decryption reads the same as a bad signature, so no answer tells padding errors apart.
    let inner: Json | undefined;
    try {
      // No challenge is that long: refused as unsigned, without decrypting.
      inner = body.bytes.length > MAX_UNSIGNED_BYTES ? undefined : decryptEvent(encrypted, encryptKey);
    } catch {
      // left undefined: read below as an unsigned event that is no challenge
    }
    if (inner?.type === 'url_verification' && tokenMatches(inner)) return inner;
    if (inner?.type === 'url_verification' && !verificationToken) {
      throw new EventRejected(401, 'unsigned url_verification challenge: set verificationToken so it can be checked');
    }
    if (signature === 'missing') throw new EventRejected(401, 'unsigned event: X-Lark-Request-Timestamp, X-Lark-Request-Nonce and X-Lark-Signature are required');
    throw new EventRejected(
      401,
      body.raw
        ? 'event signature mismatch: check encryptKey'
        : 'event signature mismatch: check encryptKey, or let the handler see the raw body (mount it before express.json(), or keep req.rawBody)',
    );
  }

  async function handle(req: EventRequest): Promise<Json> {
    const event = await authenticEvent(req);
    if (verificationToken && !tokenMatches(event)) throw new EventRejected(401, 'verification token mismatch');
    if (event.type === 'url_verification') return { challenge: event.challenge };

    const header = asJson(event.header);
    const body = asJson(event.event) ?? {};
    return { msg: await act({ type: header?.event_type ?? body.type, header, body, envelope: event }) };
  }

  return (req, res) => {
    handle(req).then(
      (answer) => reply(res, 200, answer),
      (err: unknown) => {
        if (err instanceof EventRejected) reply(res, err.status, { error: err.message });
        // The rest of the body is still on its way: the connection cannot carry another
        // request, so say so and let Node end it once the answer is out.
        else if (err instanceof BodyTooLarge) reply(res, 413, { error: err.message }, { connection: 'close' });
        else reply(res, 500, { error: 'event handling failed' });
      },
    );
  };
}
