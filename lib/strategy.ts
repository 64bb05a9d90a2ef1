import type { Request } from 'express';
import { InternalOAuthError, Strategy as OAuth2Strategy, type VerifyFunction } from 'passport-oauth2';
import { appTicketKey, appTokenSource, saveAppTicket } from './app-ticket.js';
import { AppTokenManager } from './app-token.js';
import { boundedCache, MemoryCache, type FeishuCache } from './cache.js';
import { callbackURLFor } from './callback-url.js';
import { FeishuClient, type FeishuTokenParams, type FeishuTokenSet } from './client.js';
import { ClientAssertionError } from './client-assertion.js';
import { APP_TOKEN_PATHS, endpointURL, FLOWS, resolveHosts, type FeishuFlow } from './endpoints.js';
import { FeishuAPIError, FeishuTokenError, isLoginFailure } from './errors.js';
import type { AppTicketEventInfo } from './events.js';
import type {
  FeishuAuthenticateOptions,
  FeishuCommonOptions,
  FeishuCredentials,
  FeishuStrategyOptions,
  FeishuStrategyOptionsWithRequest,
  FeishuVerifyFunction,
  FeishuVerifyFunctionWithParams,
  FeishuVerifyFunctionWithRequest,
  FeishuVerifyFunctionWithRequestAndParams,
} from './options.js';
import { parseProfile, type FeishuIdField, type FeishuProfile, type FeishuUserInfo } from './profile.js';
import { HeldSecrets } from './secrets.js';
import { TenantNotAllowedError } from './tenants.js';
import { secretOrAssertion } from './keyless.js';
import { narrowedScope } from './token-scope.js';

/** Feishu pushes a ticket hourly; the Go SDK keeps one for 12 hours (feishu-api.md §9.9). */
const APP_TICKET_TTL_MS = 12 * 60 * 60 * 1000;

/** Codes are short tokens (v2: ≥64 chars reserved); anything far longer is not from Feishu. */
const MAX_CODE_LENGTH = 2048;

const DEFAULT_TIMEOUT_MS = 10_000;

/** The option's name in the TypeError a bad `tokenScope` raises. */
const TOKEN_SCOPE = 'tokenScope';

const ACCESS_DENIED = "The sign-in was declined on Feishu's consent page (access_denied).";

/**
 * The failure message for an `error` other than a Deny in the callback URL. The query is
 * anyone's to write, so its `error_description` is never shown (Feishu sends none with a Deny).
 */
function callbackErrorMessage(error: unknown): string {
  const name = typeof error === 'string' && /^[a-z_]{1,64}$/.test(error) ? ` (${error})` : '';
  return `Feishu did not sign you in${name}. Please try again.`;
}

/** The URLs a strategy talks to. */
export interface FeishuEndpoints {
  readonly authorization: string;
  readonly token: string;
  readonly refresh: string;
  readonly userInfo: string;
  readonly appAccessToken: string;
}

type AnyVerify = FeishuVerifyFunction | FeishuVerifyFunctionWithParams | FeishuVerifyFunctionWithRequest | FeishuVerifyFunctionWithRequestAndParams;
type Done = (err?: unknown, profile?: FeishuProfile) => void;

function credentialsOf(options: FeishuCredentials & FeishuCommonOptions): ReturnType<typeof secretOrAssertion> & { clientID: string } {
  const clientID = options.clientID ?? options.appId;
  if (typeof clientID !== 'string' || !clientID) throw new TypeError('FeishuStrategy requires a clientID option (the App ID, cli_…)');
  return { clientID, ...secretOrAssertion(options) };
}

function callbackCode(req: Request): unknown {
  const query = req.query as Record<string, unknown> | undefined;
  // A string or number body has no `code` property, so only null and undefined need the `?.`.
  const body = req.body as Record<string, unknown> | null | undefined;
  return query?.code ?? body?.code;
}

/**
 * Passport strategy for Feishu (飞书) and Lark. passport-oauth2 keeps running the state
 * store, PKCE, the verify arities and failure handling; this class changes what Feishu
 * does differently: the v1 authorize parameters, the code exchange, and the profile.
 */
export class FeishuStrategy extends OAuth2Strategy {
  /** The app id (`cli_…`) this strategy signs in for. */
  readonly appId: string;
  /** The Feishu flow this instance speaks. */
  readonly flow: FeishuFlow;
  /** Every URL this strategy uses, after `domain`, `flow` and explicit overrides. */
  readonly endpoints: FeishuEndpoints;
  /** 'lark' when `domain: 'lark'` (or `brand: 'lark'`), else 'feishu'; becomes `profile.provider`. */
  readonly brand: 'feishu' | 'lark';
  /** The app_access_token cache; `appTokens.fetches` counts requests to Feishu for it. */
  readonly appTokens: AppTokenManager;
  private readonly feishu: FeishuClient;
  private readonly cache: FeishuCache;
  private readonly ticketKey: string;
  private readonly idField: FeishuIdField | undefined;
  private readonly tenants: ReadonlySet<string> | undefined;
  private readonly alwaysFetchUserInfo: boolean;
  /**
   * User fields from the v1 token answer, handed to `userProfile` to save the user_info
   * call. passport-oauth2 calls `userProfile` synchronously from the token callback, so an
   * entry lives only for the duration of that call and nothing stays per login.
   */
  private readonly handoff = new Map<string, FeishuUserInfo | undefined>();

  constructor(options: FeishuStrategyOptions, verify: FeishuVerifyFunction);
  constructor(options: FeishuStrategyOptions, verify: FeishuVerifyFunctionWithParams);
  constructor(options: FeishuStrategyOptionsWithRequest, verify: FeishuVerifyFunctionWithRequest);
  constructor(options: FeishuStrategyOptionsWithRequest, verify: FeishuVerifyFunctionWithRequestAndParams);
  constructor(options: FeishuStrategyOptions | FeishuStrategyOptionsWithRequest, verify: AnyVerify) {
    if (!options || typeof options !== 'object') throw new TypeError('FeishuStrategy requires an options object');
    if (typeof verify !== 'function') throw new TypeError('FeishuStrategy requires a verify callback');
    const { clientID, clientSecret, clientAssertion } = credentialsOf(options);
    const flowName = options.flow ?? 'v1';
    const flow = Object.hasOwn(FLOWS, flowName) ? FLOWS[flowName] : undefined;
    // A keyless app (clientAssertion) has no secret; the placeholder is never sent, shown nor held (HeldSecrets gets clientSecret).
    // Stryker disable next-line StringLiteral: with clientAssertion the client sends the assertion instead, app tokens (v1 only) never fetch, and HeldSecrets holds clientSecret, so no value of it can be observed
    const secret = clientSecret ?? '';
    if (!flow) throw new TypeError(`FeishuStrategy: flow must be one of ${Object.keys(FLOWS).join(', ')}, got ${JSON.stringify(flowName)}`);
    const domain = options.domain ?? 'feishu';
    const hosts = resolveHosts(domain);
    const timeout = options.timeout ?? DEFAULT_TIMEOUT_MS;
    if (!(Number.isFinite(timeout) && timeout > 0)) throw new TypeError('FeishuStrategy: timeout must be a positive number of milliseconds');
    if (options.pkce && !flow.pkce) throw new TypeError(`FeishuStrategy: Feishu checks PKCE only in flows v2 and v3, not ${flowName}`);
    const endpoints: FeishuEndpoints = {
      authorization: options.authorizationURL ?? endpointURL(hosts, flow.authorize),
      token: options.tokenURL ?? endpointURL(hosts, flow.token),
      refresh: options.refreshURL ?? endpointURL(hosts, flow.refresh),
      userInfo: options.userProfileURL ?? endpointURL(hosts, flow.userInfo),
      appAccessToken: options.appAccessTokenURL ?? hosts.open + (options.appType === 'store' ? APP_TOKEN_PATHS.store : APP_TOKEN_PATHS.internal),
    };

    super(
      {
        ...passportOptions(options),
        authorizationURL: endpoints.authorization,
        tokenURL: endpoints.token,
        clientID,
        clientSecret: secret,
      },
      verify as VerifyFunction,
    );
    this.name = options.name ?? 'feishu';
    this.appId = clientID;
    this.flow = flowName;
    this.endpoints = endpoints;
    this.brand = options.brand ?? (domain === 'lark' ? 'lark' : 'feishu');
    this.idField = options.idField;
    this.tenants = options.tenants ? new Set(options.tenants) : undefined;
    this.alwaysFetchUserInfo = options.alwaysFetchUserInfo ?? false;

    // Our MemoryCache answers at once; a cache the app brings is bounded by `timeout`.
    const cache = options.cache ? boundedCache(options.cache, timeout) : new MemoryCache();
    this.cache = cache;
    this.ticketKey = appTicketKey(hosts, clientID);
    // A keyless app holds no secret; its assertions are scrubbed per request (client.ts).
    const secrets = new HeldSecrets(clientSecret);
    this.appTokens = new AppTokenManager({
      source: appTokenSource({ clientID, clientSecret: secret, hosts, cache, timeout, appType: options.appType, appTicket: options.appTicket, url: endpoints.appAccessToken }),
      cache,
      cacheKey: `passport-feishu:${hosts.open}:${clientID}:app_access_token`,
      timeout,
      secrets,
    });
    this.feishu = new FeishuClient({
      flow,
      tokenURL: endpoints.token,
      refreshURL: endpoints.refresh,
      userInfoURL: endpoints.userInfo,
      clientID,
      clientSecret: secret,
      clientAssertion,
      timeout,
      appTokens: this.appTokens,
      secrets,
    });

    // NOTE: passport-oauth2 exchanges the code through node-oauth, which form-posts
    //       client_id/secret and takes any 2xx for success. Feishu wants JSON (with an
    //       app token in v1) and reports errors with HTTP 200, so the exchange is ours.
    const exchange = (code: string, params: Record<string, string>, callback: ExchangeCallback): void => {
      deliver(
        this.feishu.exchangeCode(code, { redirectUri: params.redirect_uri, codeVerifier: params.code_verifier, scope: params.scope }),
        (set) => {
          this.handoff.set(set.accessToken, set.user);
          try {
            callback(null, set.accessToken, set.refreshToken ?? '', set.params);
          } finally {
            this.handoff.delete(set.accessToken);
          }
        },
        callback,
      );
    };
    // @types/oauth types the callback's error as never null, though node-oauth passes null on success.
    this._oauth2.getOAuthAccessToken = exchange as typeof this._oauth2.getOAuthAccessToken;
  }

  /**
   * [Passport method] Adds to passport-oauth2's own handling: bad callback input is a 400
   * failure, login-level Feishu errors (used code, tenant not allowed) are failures the app
   * can redirect on, and v1 authorize URLs name the app `app_id`.
   */
  override authenticate(req: Request, options?: FeishuAuthenticateOptions): void {
    try {
      narrowedScope(options?.tokenScope, this.flow, TOKEN_SCOPE);
    } catch (err) {
      this.error(err);
      return;
    }
    const code = callbackCode(req);
    if (code !== undefined && (typeof code !== 'string' || code.length === 0 || code.length > MAX_CODE_LENGTH)) {
      this.fail({ message: 'Invalid authorization code in the callback request.' }, 400);
      return;
    }
    const query = (req.query ?? {}) as Record<string, unknown>;
    if (query.error !== undefined) {
      // A Deny stays passport-oauth2's plain failure; any other error is a bad callback request.
      if (query.error === 'access_denied') this.fail({ message: ACCESS_DENIED });
      else this.fail({ message: callbackErrorMessage(query.error) }, 400);
      return;
    }
    const error = this.error.bind(this);
    this.error = (err: Error) => {
      const cause = unwrap(err);
      if (isLoginFailure(cause) || cause instanceof TenantNotAllowedError) {
        this.fail({ message: cause.message }, cause instanceof TenantNotAllowedError ? 403 : 400);
        return;
      }
      error(cause);
    };
    if (FLOWS[this.flow].authorize.clientIdParam === 'app_id') {
      const redirect = this.redirect.bind(this);
      this.redirect = (url: string, status?: number) => redirect(toAppIdURL(url), status);
    }
    // Resolved here, passport-oauth2 does not read `req.connection`, which Fastify requests lack.
    const callbackURL = callbackURLFor(req, options, this);
    if (callbackURL === null) {
      this.fail({ message: 'Cannot resolve the relative callbackURL: the request has no valid Host header.' }, 400);
      return;
    }
    super.authenticate(req, callbackURL ? { ...options, callbackURL } : options);
  }

  /**
   * The authorize URL a sign-in redirect would have used, with state (and PKCE, where the
   * flow has it) saved through the strategy's state store, so the ordinary callback route
   * completes the sign-in. For pages that start the sign-in themselves: the `goto` of
   * Feishu's QR-code SDK, a sign-in in a new window, a single-page app.
   */
  buildAuthorizationURL(req: Request, options: FeishuAuthenticateOptions = {}): Promise<string> {
    return new Promise<string>((resolve, reject) => {
      // Passport's own pattern: one object per request, so nothing leaks between requests.
      const probe = Object.create(this) as FeishuStrategy;
      probe.redirect = (url: string) => resolve(url);
      probe.error = (err: Error) => reject(err);
      probe.fail = () => reject(new Error('FeishuStrategy.buildAuthorizationURL: the sign-in could not start'));
      probe.success = () => reject(new Error('FeishuStrategy.buildAuthorizationURL: unexpected sign-in'));
      probe.pass = () => reject(new Error('FeishuStrategy.buildAuthorizationURL: unexpected pass'));
      // Without a code or error in it the request starts a sign-in; the session stays the caller's.
      const start = Object.create(req, { query: { value: {} }, body: { value: undefined } }) as Request;
      probe.authenticate(start, options);
    });
  }

  /** [Strategy method] Passes `prompt` through to Feishu's authorize page. */
  override authorizationParams(options: FeishuAuthenticateOptions): object {
    return options.prompt ? { prompt: options.prompt } : {};
  }

  /** [Strategy method] `tokenScope` narrows the token of this code exchange (v2/v3; checked in `authenticate`). */
  override tokenParams(options: FeishuAuthenticateOptions): object {
    const scope = narrowedScope(options.tokenScope, this.flow, TOKEN_SCOPE);
    return scope ? { scope } : {};
  }

  /** [Strategy method] Feishu's user, from the v1 token answer or user_info, as a Passport profile. */
  override userProfile(accessToken: string, done: Done): void {
    const handed = this.alwaysFetchUserInfo ? undefined : this.handoff.get(accessToken);
    if (handed) {
      this.finishProfile(handed, done);
      return;
    }
    deliver(this.feishu.userInfo(accessToken), (user) => this.finishProfile(user, done), done);
  }

  /**
   * Trades a refresh token for a new access token. v2/v3 refresh tokens are single-use:
   * store the returned `refreshToken` in place of the old one. `scope` (v2/v3) narrows the
   * new token to a subset of the granted scopes.
   */
  refreshAccessToken(refreshToken: string, options: { scope?: string | readonly string[] } = {}): Promise<FeishuTokenSet> {
    if (typeof refreshToken !== 'string' || !refreshToken) return Promise.reject(new TypeError('refreshAccessToken requires a refresh token'));
    // A bad `scope` (or a flow without one) rejects before any request.
    return new Promise<string | undefined>((resolve) => resolve(narrowedScope(options.scope, this.flow, 'refreshAccessToken({ scope })'))).then((scope) =>
      this.feishu.refresh(refreshToken, scope),
    );
  }

  /**
   * Stores a store app's app_ticket where this strategy (and, through a shared `cache`,
   * every instance of the app) reads it. `feishuEventHandler` calls it for each ticket event,
   * with the event's id and time: resolves to false, storing nothing, for an event id seen
   * before or an event older than the ticket already stored.
   */
  saveAppTicket(ticket: string, event: AppTicketEventInfo = {}): Promise<boolean> {
    return saveAppTicket(this.cache, this.ticketKey, ticket, event, APP_TICKET_TTL_MS);
  }

  private finishProfile(user: FeishuUserInfo, done: Done): void {
    let profile: FeishuProfile;
    try {
      profile = parseProfile(user, { provider: this.brand, idField: this.idField });
      if (this.tenants && (profile.tenantKey === undefined || !this.tenants.has(profile.tenantKey))) throw new TenantNotAllowedError(profile.tenantKey);
    } catch (err) {
      done(err);
      return;
    }
    done(null, profile);
  }
}

type ExchangeCallback = (err: Error | null, accessToken?: string, refreshToken?: string, params?: FeishuTokenParams) => void;

/**
 * Hands a promise's outcome to `onValue` or `onError` outside the promise chain, so an
 * exception thrown by the app's own code downstream is not turned into an unhandled rejection.
 */
function deliver<T>(promise: Promise<T>, onValue: (value: T) => void, onError: (err: Error) => void): void {
  promise.then(
    (value) => process.nextTick(onValue, value),
    (err: Error) => process.nextTick(onError, err),
  );
}

/** passport-oauth2 wraps exchange errors in InternalOAuthError; ours already say what went wrong. */
function unwrap(err: Error): Error {
  if (err instanceof InternalOAuthError) {
    const inner: unknown = err.oauthError;
    if (inner instanceof FeishuTokenError || inner instanceof FeishuAPIError || inner instanceof InternalOAuthError || inner instanceof ClientAssertionError) return inner;
  }
  return err;
}

/**
 * v1 names the app `app_id` and takes no `response_type` (seeds/003, goth's lark provider).
 * String edits on passport-oauth2's URL, not a re-parse: this runs on every sign-in, and
 * parameter values are percent-encoded, so `&client_id=` cannot occur inside one.
 */
function toAppIdURL(location: string): string {
  return location.replace(/([?&])response_type=code(?:&|$)/, '$1').replace(/([?&])client_id=/, '$1app_id=');
}

function passportOptions(options: FeishuCommonOptions & { passReqToCallback?: boolean }) {
  return {
    callbackURL: options.callbackURL,
    scope: options.scope,
    scopeSeparator: options.scopeSeparator,
    state: options.state,
    pkce: options.pkce as boolean | undefined,
    store: options.store as never,
    sessionKey: options.sessionKey,
    skipUserProfile: options.skipUserProfile,
    proxy: options.proxy,
    customHeaders: options.customHeaders,
    passReqToCallback: options.passReqToCallback as false | undefined,
  };
}
