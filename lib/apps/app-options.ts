import type { Request } from 'express';
import type { ClientAssertionProvider } from '../client-assertion.js';
import type { FeishuHosts } from '../endpoints.js';
import type { AppTicketSource } from '../options.js';

/**
 * One Feishu (or Lark) app, as `resolveApp` answers it: the options that belong to an app
 * rather than to the sign-in flow. They mean, and are checked, exactly as the strategy's
 * own options of the same names.
 */
export interface FeishuApp {
  /** The App ID (`cli_…`). */
  clientID: string;
  /** The App Secret; may be left out by a keyless app that gives `clientAssertion` (flow v3). */
  clientSecret?: string;
  /** A keyless (self-built) app: returns a fresh signed assertion for an audience (flow v3 only). */
  clientAssertion?: ClientAssertionProvider;
  /** 'feishu' (default), 'lark', one origin per Feishu host, or one origin for every path (a private deployment). */
  domain?: 'feishu' | 'lark' | FeishuHosts | (string & NonNullable<unknown>);
  /** With a custom `domain`: which brand it fronts (`profile.provider`). Default: 'lark' for domain 'lark', else the strategy's `brand`, else 'feishu'. */
  brand?: 'feishu' | 'lark';
  /** 'internal' (self-built, default) or 'store' (marketplace app, needs an app_ticket). */
  appType?: 'internal' | 'store';
  /** Store apps: the app_ticket, or where to read it; default: what `saveAppTicket` stored for this app. */
  appTicket?: AppTicketSource;
}

/**
 * What `resolveApp` is asked. At the start of a sign-in: the request, which names the
 * customer (a subdomain, a path). At the callback: the request and the `appId` saved with
 * the state when that sign-in started. For `refreshAccessToken` and `saveAppTicket`: the
 * `appId` alone.
 */
export interface FeishuAppQuery {
  /** The request being served; absent for a refresh and a saved ticket. */
  req?: Request;
  /** The app id (`cli_…`) saved when the sign-in started, or given to a refresh; absent at the start. */
  appId?: string;
}

/**
 * Finds the app that signs in this request's customer. `null` or `undefined` means there is no
 * such app (the sign-in fails 404, with no request to Feishu); a throw or a rejection reaches
 * Passport's error handler unchanged. Asked with `appId`, it must answer that app or none.
 */
export type FeishuAppResolver = (query: FeishuAppQuery) => FeishuApp | null | undefined | Promise<FeishuApp | null | undefined>;
