import { appTicketKey, appTokenSource } from '../app-ticket.js';
import { AppTokenManager } from '../app-token.js';
import type { FeishuCache } from '../cache.js';
import { FeishuClient } from '../client.js';
import { APP_TOKEN_PATHS, endpointURL, resolveHosts, type FeishuHosts, type FlowSpec, type FeishuFlow } from '../endpoints.js';
import { secretOrAssertion, type KeylessAssertion } from '../keyless.js';
import { RefreshCoordinator } from '../refresh/coordinator.js';
import type { AppTicketSource, FeishuCommonOptions, FeishuCredentials } from '../options.js';
import { HeldSecrets } from '../secrets.js';
import type { FeishuEndpoints } from '../strategy.js';
import type { FeishuApp } from './app-options.js';

/** The App ID and how the app proves itself; misuse is a TypeError. */
export function credentialsOf(options: FeishuCredentials & FeishuCommonOptions): ReturnType<typeof secretOrAssertion> & { clientID: string } {
  const clientID = options.clientID ?? options.appId;
  if (typeof clientID !== 'string' || !clientID) throw new TypeError('FeishuStrategy requires a clientID option (the App ID, cli_…)');
  return { clientID, ...secretOrAssertion(options) };
}

/** What every app of a strategy shares: the flow and the strategy-wide options. */
export interface AppSettings {
  readonly flowName: FeishuFlow;
  readonly flow: FlowSpec;
  readonly timeout: number;
  readonly cache: FeishuCache;
  /** Whether `cache` is the app's own (shared between instances), which refresh coordination then shares too. */
  readonly sharedCache: boolean;
  /** The strategy's URL overrides, which apply to every app. */
  readonly urls: {
    readonly authorizationURL?: string | undefined;
    readonly tokenURL?: string | undefined;
    readonly refreshURL?: string | undefined;
    readonly userProfileURL?: string | undefined;
    readonly appAccessTokenURL?: string | undefined;
  };
  /** With many apps, the strategy's `brand`: the brand of an app that names none and whose domain is not 'lark'. */
  readonly brand: 'feishu' | 'lark' | undefined;
}

/** One app's checked options. */
export interface AppCredentials {
  readonly clientID: string;
  readonly clientSecret: string | undefined;
  readonly clientAssertion: KeylessAssertion | undefined;
  readonly domain: FeishuApp['domain'];
  readonly hosts: FeishuHosts;
  readonly brand: 'feishu' | 'lark' | undefined;
  readonly appType: 'internal' | 'store' | undefined;
  readonly appTicket: AppTicketSource | undefined;
}

/** Everything one app holds between sign-ins: built once per app, shared by each of its requests. */
export interface AppContext {
  /** The App ID (`cli_…`). */
  readonly appId: string;
  readonly hosts: FeishuHosts;
  readonly endpoints: FeishuEndpoints;
  readonly brand: 'feishu' | 'lark';
  /** The secret as passport-oauth2 holds it: '' for a keyless app, never sent nor shown. */
  readonly secret: string;
  readonly appTokens: AppTokenManager;
  readonly feishu: FeishuClient;
  /** Where this app's store ticket is kept. */
  readonly ticketKey: string;
  /** One refresh per refresh token across every instance sharing `cache` (lib/refresh/coordinator.ts). */
  readonly refreshes: RefreshCoordinator;
}

/**
 * Checks one app as `resolveApp` answered it, with the strategy's own checks: an answer that
 * would be a TypeError as strategy options is one here.
 */
export function checkedApp(answer: unknown, flowName: FeishuFlow): AppCredentials {
  if (typeof answer !== 'object' || answer === null) throw new TypeError('FeishuStrategy: resolveApp must answer an app object ({ clientID, clientSecret, … }), null or undefined');
  const app = answer as FeishuApp;
  // The strategy's flow decides what the app may use (a client assertion needs v3).
  const { clientID, clientSecret, clientAssertion } = credentialsOf({ ...app, flow: flowName } as FeishuCredentials & FeishuCommonOptions);
  const brand: unknown = app.brand;
  if (brand !== undefined && brand !== 'feishu' && brand !== 'lark') throw new TypeError(`FeishuStrategy: an app's brand must be 'feishu' or 'lark', got ${JSON.stringify(brand)}`);
  const domain = app.domain ?? 'feishu';
  return { clientID, clientSecret, clientAssertion, domain, hosts: resolveHosts(domain), brand, appType: app.appType, appTicket: app.appTicket };
}

/**
 * Builds what the constructor built for its one app: endpoints, held secrets, the app-token
 * manager and the client. `tokenKeySuffix` sets this app's app tokens apart in the cache
 * (many apps: a fingerprint of the secret, so an app answered with a wrong secret never
 * reads the token the right secret earned).
 */
export function buildAppContext(app: AppCredentials, settings: AppSettings, tokenKeySuffix = ''): AppContext {
  const { clientID, hosts } = app;
  const { flow, urls, cache, timeout } = settings;
  // A keyless app (clientAssertion) has no secret; the placeholder is never sent, shown nor held (HeldSecrets gets clientSecret).
  // Stryker disable next-line StringLiteral: with clientAssertion the client sends the assertion instead, app tokens (v1 only) never fetch, and HeldSecrets holds clientSecret, so no value of it can be observed
  const secret = app.clientSecret ?? '';
  const endpoints: FeishuEndpoints = {
    // A mini-program has no authorize page: its code comes from tt.login (authenticate refuses a request without one).
    authorization: urls.authorizationURL ?? (flow.authorize ? endpointURL(hosts, flow.authorize) : ''),
    token: urls.tokenURL ?? endpointURL(hosts, flow.token),
    refresh: urls.refreshURL ?? endpointURL(hosts, flow.refresh),
    userInfo: urls.userProfileURL ?? endpointURL(hosts, flow.userInfo),
    appAccessToken: urls.appAccessTokenURL ?? hosts.open + (app.appType === 'store' ? APP_TOKEN_PATHS.store : APP_TOKEN_PATHS.internal),
  };
  // A keyless app holds no secret; its assertions are scrubbed per request (client.ts).
  const secrets = new HeldSecrets(app.clientSecret);
  const appTokens = new AppTokenManager({
    source: appTokenSource({ clientID, clientSecret: secret, hosts, cache, timeout, appType: app.appType, appTicket: app.appTicket, url: endpoints.appAccessToken }),
    cache,
    cacheKey: `passport-feishu:${hosts.open}:${clientID}:app_access_token${tokenKeySuffix}`,
    timeout,
    secrets,
  });
  const feishu = new FeishuClient({
    flow,
    tokenURL: endpoints.token,
    refreshURL: endpoints.refresh,
    userInfoURL: endpoints.userInfo,
    clientID,
    clientSecret: secret,
    clientAssertion: app.clientAssertion,
    timeout,
    appTokens,
    secrets,
  });
  return {
    appId: clientID,
    hosts,
    endpoints,
    brand: app.brand ?? (app.domain === 'lark' ? 'lark' : (settings.brand ?? 'feishu')),
    secret,
    appTokens,
    feishu,
    ticketKey: appTicketKey(hosts, clientID),
    // Without an app cache the coordinator keeps its own, so its entries never crowd out the app token or ticket.
    // A holder may spend a timeout on the app token and one on the refresh before it is taken for dead.
    refreshes: new RefreshCoordinator({ cache: settings.sharedCache ? cache : undefined, namespace: `${hosts.open}|${clientID}${tokenKeySuffix}`, lockTimeoutMs: 2 * timeout }),
  };
}
