import { timingSafeEqual, createHash } from 'node:crypto';
import { eventActor, type ReceivedEvent } from './actions.js';
import type { CacheErrorPolicy } from './dedup.js';
import { cacheErrorOption, listenerOption, type AppTicketStore } from './handler.js';
import { USER_TOKENS_REVOKED, type UserTokensRevokedListener } from './revocation.js';

/**
 * Handlers for the official node-sdk's `EventDispatcher.register()`, so an app that takes
 * Feishu's events over the long connection (`new Lark.WSClient(…).start({ eventDispatcher })`)
 * or through node-sdk's own webhook adapters gets the same checks and callbacks as
 * `feishuEventHandler`.
 *
 * How node-sdk 1.74.0 calls a handler (lib/index.js, `EventDispatcher.invoke`, `RequestHandle.parse`):
 * with one object, the decrypted event flattened, for 2.0 `{ schema, ...header, ...event }`, for
 * v1 `{ ...event, uuid, token, ts, type }`, awaiting what it returns. Over a webhook it first
 * checks `X-Lark-Signature` when it has an Encrypt Key (and never the Verification Token);
 * over the long connection it checks nothing (`needCheck: false`): the connection itself was
 * opened with the app's id and secret. A handler that throws makes the WSClient answer 500, so
 * Feishu delivers the event again.
 */

/** node-sdk's flattened event: a 2.0 event's header and event fields in one object. */
export type FeishuDispatcherEvent = Readonly<Record<string, unknown>>;

/** A handler as node-sdk's `EventDispatcher.register()` takes it; resolves to the acknowledgement. */
export type FeishuDispatcherHandler = (data: FeishuDispatcherEvent) => Promise<string>;

/** What `feishuEventDispatcherHandlers` returns: pass it to `EventDispatcher.register()`. */
export interface FeishuDispatcherHandlers {
  /** The revocation event, handed to `onUserTokensRevoked` once per event id. */
  readonly 'auth.user_access_token.revoked_v4': FeishuDispatcherHandler;
  /** Present with `appTickets: true`: replaces node-sdk's own app_ticket handler. */
  readonly app_ticket?: FeishuDispatcherHandler;
}

/** Options of `feishuEventDispatcherHandlers`. */
export interface FeishuDispatcherHandlerOptions {
  /**
   * The strategy of the app whose events these are (a `FeishuStrategy`): an event of another
   * app is refused, and event ids are remembered in its cache, shared by every instance.
   */
  strategy: AppTicketStore;
  /** Called once per revocation; a throw or a rejection makes the long connection answer 500, so Feishu retries. */
  onUserTokensRevoked: UserTokensRevokedListener;
  /**
   * The console's Verification Token. node-sdk never checks it: set it when node-sdk's
   * dispatcher serves a webhook without an Encrypt Key. Events carrying another are refused.
   */
  verificationToken?: string;
  /** As `feishuEventHandler`'s: `'retry'` (default) fails an event whose id the cache cannot check. */
  onCacheError?: CacheErrorPolicy;
  /**
   * Also take `app_ticket` events into `strategy.saveAppTicket` (store apps behind node-sdk's
   * webhook adapters). This replaces node-sdk's own app_ticket handler, so node-sdk's Client no
   * longer sees tickets: call `dispatcher.unregister('app_ticket')` first to say so on purpose.
   */
  appTickets?: boolean;
}

function sameSecret(a: string, b: string): boolean {
  // Digests: equal lengths for timingSafeEqual, whatever was sent.
  return timingSafeEqual(createHash('sha256').update(a).digest(), createHash('sha256').update(b).digest());
}

/**
 * The revocation (and, on request, app_ticket) handlers for node-sdk's `EventDispatcher`:
 * `new Lark.EventDispatcher({}).register(feishuEventDispatcherHandlers({ strategy, onUserTokensRevoked }))`.
 * Each event is matched to the strategy's app, read as hostile input, and acted on once per
 * event id, exactly as `feishuEventHandler` does.
 */
export function feishuEventDispatcherHandlers(options: FeishuDispatcherHandlerOptions): FeishuDispatcherHandlers {
  if (!options || typeof options !== 'object') throw new TypeError('feishuEventDispatcherHandlers requires an options object');
  const where = 'feishuEventDispatcherHandlers';
  const { strategy } = options;
  if (!strategy || typeof strategy !== 'object' || typeof strategy.appId !== 'string' || !strategy.appId) {
    throw new TypeError(`${where}: strategy must be the FeishuStrategy of the app whose events these are`);
  }
  const onUserTokensRevoked = listenerOption(options.onUserTokensRevoked, where);
  if (!onUserTokensRevoked) throw new TypeError(`${where}: onUserTokensRevoked is required`);
  const token = options.verificationToken;
  if (token !== undefined && (typeof token !== 'string' || !token)) throw new TypeError(`${where}: verificationToken must be a non-empty string`);
  const act = eventActor({ strategies: [strategy], onUserTokensRevoked, onCacheError: cacheErrorOption(options.onCacheError, where) });

  const handler =
    (type: string): FeishuDispatcherHandler =>
    async (data) => {
      if (typeof data !== 'object' || data === null) throw new Error(`${type} event is not an object`);
      if (token !== undefined && !(typeof data.token === 'string' && sameSecret(data.token, token))) throw new Error('verification token mismatch');
      // node-sdk merged the 2.0 header and event into one object; v1 keeps uuid and ts at the top.
      const event: ReceivedEvent = { type, header: 'schema' in data ? data : undefined, body: data, envelope: data };
      return act(event);
    };
  const handlers = { [USER_TOKENS_REVOKED]: handler(USER_TOKENS_REVOKED) };
  return options.appTickets === true ? { ...handlers, app_ticket: handler('app_ticket') } : handlers;
}
