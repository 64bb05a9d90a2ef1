import type { AppTokenSource } from './app-token.js';
import type { FeishuCache } from './cache.js';
import { APP_TOKEN_PATHS, type FeishuHosts } from './endpoints.js';
import { FeishuAPIError } from './errors.js';
import { requestFeishu } from './http.js';
import type { AppTicketSource } from './options.js';

/** Feishu's code for "get app access token fail", which the Go SDK reads as a stale app_ticket. */
const TICKET_REJECTED = 10012;

/** Where the event handler leaves app_ticket events and store-app strategies read them. */
export function appTicketKey(hosts: FeishuHosts, appId: string): string {
  return `passport-feishu:${hosts.open}:${appId}:app_ticket`;
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
    const value = typeof source === 'function' ? await source() : source ?? (await options.cache.get(appTicketKey(hosts, clientID)));
    return typeof value === 'string' && value ? value : undefined;
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
          status: 0,
        });
      }
      return { ...credentials, app_ticket: ticket };
    },
    async onError(code) {
      if (code === TICKET_REJECTED) await resend();
    },
  };
}
