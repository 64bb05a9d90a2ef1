import type { AppTokenSource } from './app-token.js';
import type { FeishuCache } from './cache.js';
import { APP_TOKEN_PATHS, type FeishuHosts } from './endpoints.js';
import { oncePerEvent } from './events/dedup.js';
import { FeishuAPIError } from './errors.js';
import type { AppTicketEventInfo } from './events/handler.js';
import { requestFeishu } from './http.js';
import type { AppTicketSource } from './options.js';

/** Feishu's code for "get app access token fail", which the Go SDK reads as a stale app_ticket. */
const TICKET_REJECTED = 10012;

/** Where the event handler leaves app_ticket events and store-app strategies read them. */
export function appTicketKey(hosts: FeishuHosts, appId: string): string {
  return `passport-feishu:${hosts.open}:${appId}:app_ticket`;
}

/** The cached value: the ticket and the time of the event that brought it. */
interface StoredTicket {
  readonly ticket: string;
  readonly createdAt?: number;
}

/** An event time to compare: `Number.isFinite` is false for what is not a number at all, too (no coercion). */
const isTime = (value: unknown): value is number => Number.isFinite(value);

/** Reads what `saveAppTicket` stored; a plain string is a ticket saved by version 0.1. */
function storedTicket(value: unknown): StoredTicket | undefined {
  if (typeof value === 'string') return value ? { ticket: value } : undefined;
  if (typeof value !== 'object' || value === null) return undefined;
  const { ticket, createdAt } = value as Partial<Record<keyof StoredTicket, unknown>>;
  if (typeof ticket !== 'string' || !ticket) return undefined;
  return isTime(createdAt) ? { ticket, createdAt } : { ticket };
}

/**
 * Stores a ticket under `key` unless its event id was seen before or a ticket from a
 * later event is already there; resolves to whether it was stored. Replays are told apart
 * by `oncePerEvent`, the path every event takes; two deliveries of one event racing each
 * other may both be stored, which is harmless, as they carry the same ticket.
 */
export function saveAppTicket(cache: FeishuCache, key: string, ticket: string, event: AppTicketEventInfo, ttlMs: number): Promise<boolean> {
  return oncePerEvent(cache, key, event, async () => {
    const createdAt = isTime(event.createdAt) ? event.createdAt : undefined;
    const stored = storedTicket(await cache.get(key));
    // A ticket or an event without a time never counts as the older one.
    if ((createdAt ?? Infinity) < (stored?.createdAt ?? -Infinity)) return false;
    // An undefined createdAt reads back as none, whether the cache keeps the key (memory) or drops it (JSON).
    const record: StoredTicket = { ticket, createdAt };
    await cache.set(key, record, ttlMs);
    return true;
  });
}

export interface AppTokenSourceOptions {
  readonly clientID: string;
  readonly clientSecret: string;
  readonly hosts: FeishuHosts;
  readonly cache: FeishuCache;
  readonly timeout: number;
  readonly appType: 'internal' | 'store' | undefined;
  readonly appTicket: AppTicketSource | undefined;
  /** The app_access_token URL (internal or store endpoint, or the `appAccessTokenURL` option). */
  readonly url: string;
}

/**
 * How to ask for the app_access_token. Self-built apps send id and secret; store apps
 * add the app_ticket that Feishu pushes hourly to the app's event URL, and when it is
 * missing or rejected ask Feishu to push it again (feishu-api.md §4.2).
 */
export function appTokenSource(options: AppTokenSourceOptions): AppTokenSource {
  const { clientID, clientSecret, hosts } = options;
  const credentials = { app_id: clientID, app_secret: clientSecret };
  if (options.appType !== 'store') {
    return { url: options.url, body: () => Promise.resolve(credentials) };
  }

  const resend = async (): Promise<void> => {
    // Best effort: the ticket arrives later as an event, and this login fails either way.
    await requestFeishu({ url: hosts.open + APP_TOKEN_PATHS.resendTicket, method: 'POST', json: credentials }, options.timeout).catch(() => undefined);
  };
  const readTicket = async (): Promise<string | undefined> => {
    const source = options.appTicket;
    if (source !== undefined) {
      const value = typeof source === 'function' ? await source() : source;
      return typeof value === 'string' && value ? value : undefined;
    }
    return storedTicket(await options.cache.get(appTicketKey(hosts, clientID)))?.ticket;
  };

  return {
    url: options.url,
    async body() {
      const ticket = await readTicket();
      if (!ticket) {
        await resend();
        throw new FeishuAPIError('Failed to obtain app_access_token', {
          feishuCode: TICKET_REJECTED,
          msg: 'no app_ticket yet for this store app; Feishu was asked to resend it to the event URL',
          logId: undefined,
          feishuStatus: 0,
        });
      }
      return { ...credentials, app_ticket: ticket };
    },
    async onError(code) {
      if (code === TICKET_REJECTED) await resend();
    },
  };
}
