import type { Request } from 'express';
import type { OAuth2 } from 'oauth';
import * as timers from 'node:timers';
import { InternalOAuthError, Strategy as OAuth2Strategy, type VerifyFunction } from 'passport-oauth2';
import { saveAppTicket } from './app-ticket.js';
import { oncePerEvent } from './events/dedup.js';
import type { AppTokenManager } from './app-token.js';
import { boundedCache, MemoryCache, type FeishuCache } from './cache.js';
import { callbackURLFor } from './callback-url.js';
import type { FeishuTokenParams, FeishuTokenSet } from './client.js';
import { ClientAssertionError } from './client-assertion.js';
import { FLOWS, resolveHosts, type FeishuFlow } from './endpoints.js';
import { FeishuAPIError, FeishuTokenError, isLoginFailure } from './errors.js';
import type { AppTicketEventInfo } from './events/handler.js';
import type {
  FeishuAuthenticateOptions,
  FeishuCommonOptions,
  FeishuSecretStrategyOptions,
  FeishuStrategyOptions,
  FeishuStrategyOptionsWithRequest,
  FeishuVerifyFunction,
  FeishuVerifyFunctionWithParams,
  FeishuVerifyFunctionWithRequest,
  FeishuVerifyFunctionWithRequestAndParams,
  FeishuVerifyFunctionMatchingPassReqToCallback,
} from './options.js';
import { parseProfile, type FeishuIdField, type FeishuProfile, type FeishuUserInfo } from './profile.js';
import { TenantNotAllowedError } from './tenants.js';
import { narrowedScope } from './token-scope.js';
import { StateRefusal } from './state/state-refusal.js';
import { reviveTokenSet } from './refresh/token-set.js';
import { missingCallbackURL } from './checks/callback-required.js';
import { checkOptionNames } from './checks/known-options.js';
import { noRefreshToken } from './checks/refresh-token.js';
import { buildAppContext, checkedApp, credentialsOf, type AppContext, type AppSettings } from './apps/app-context.js';
import { AppRegistry, secretFingerprint } from './apps/app-registry.js';
import type { FeishuApp } from './apps/app-options.js';
import { readingApp, savingApp, type AppStateStore } from './apps/app-state.js';
import { ManyApps, manyAppsOptions, UnknownAppError } from './apps/many-apps.js';

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

/** One app of a many-apps strategy, built: its state, and the OAuth2 object passport-oauth2 reads for it. */
interface AppEntry {
  readonly context: AppContext;
  readonly oauth2: OAuth2;
}

/** passport-oauth2's OAuth2 needs URLs and an id; with many apps each request sets its app's, so these are never used. */
const NO_APP_URL = 'https://resolve-app.invalid/';

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
  /** The Feishu flow this instance speaks. */
  readonly flow: FeishuFlow;
  private readonly cache: FeishuCache;
  private readonly idField: FeishuIdField | undefined;
  private readonly tenants: ReadonlySet<string> | undefined;
  private readonly alwaysFetchUserInfo: boolean;
  /**
   * The app's state (endpoints, app token, client). A one-app strategy sets it once, here;
   * with `resolveApp` it is set on Passport's per-request object (`Object.create(strategy)`)
   * for the app of that request, and the strategy itself has none.
   */
  private context: AppContext | undefined;
  /** With `resolveApp`: its answers, built and kept (LRU). */
  private readonly apps: ManyApps<AppEntry> | undefined;
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
  // Last, as TypeScript names the last overload's error when none matches: see FeishuSecretStrategyOptions.
  constructor(options: FeishuSecretStrategyOptions, verify: FeishuVerifyFunctionMatchingPassReqToCallback);
  constructor(options: FeishuStrategyOptions | FeishuStrategyOptionsWithRequest | FeishuSecretStrategyOptions, verify: AnyVerify) {
    if (!options || typeof options !== 'object') throw new TypeError('FeishuStrategy requires an options object');
    if (typeof verify !== 'function') throw new TypeError('FeishuStrategy requires a verify callback');
    checkOptionNames(options);
    const many = manyAppsOptions(options);
    const credentials = many ? undefined : credentialsOf(options);
    const flowName = options.flow ?? 'v1';
    const flow = Object.hasOwn(FLOWS, flowName) ? FLOWS[flowName] : undefined;
    if (!flow) throw new TypeError(`FeishuStrategy: flow must be one of ${Object.keys(FLOWS).join(', ')}, got ${JSON.stringify(flowName)}`);
    const domain = options.domain ?? 'feishu';
    const hosts = credentials && resolveHosts(domain);
    const timeout = options.timeout ?? DEFAULT_TIMEOUT_MS;
    if (!(Number.isFinite(timeout) && timeout > 0)) throw new TypeError('FeishuStrategy: timeout must be a positive number of milliseconds');
    if (options.pkce && !flow.pkce) throw new TypeError(`FeishuStrategy: Feishu checks PKCE only in flows v2 and v3, not ${flowName}`);
    // Our MemoryCache answers at once; a cache the app brings is bounded by `timeout`.
    // Each app keeps two or three keys: many apps get room for theirs.
    const cache = options.cache ? boundedCache(options.cache, timeout) : many ? new MemoryCache(4 * many.capacity) : new MemoryCache();
    const urls = { authorizationURL: options.authorizationURL, tokenURL: options.tokenURL, refreshURL: options.refreshURL, userProfileURL: options.userProfileURL, appAccessTokenURL: options.appAccessTokenURL };
    const settings: AppSettings = { flowName, flow, timeout, cache, sharedCache: options.cache !== undefined, urls, brand: many ? options.brand : undefined };
    const context =
      credentials && hosts
        ? buildAppContext({ ...credentials, domain, hosts, brand: options.brand, appType: options.appType, appTicket: options.appTicket }, settings)
        : undefined;

    super(
      {
        ...passportOptions(options),
        // passport-oauth2 wants one even where the flow has none (a mini-program); it is never visited there.
        authorizationURL: context ? context.endpoints.authorization || context.endpoints.token : NO_APP_URL,
        tokenURL: context?.endpoints.token ?? NO_APP_URL,
        clientID: context?.appId ?? 'resolveApp',
        clientSecret: context?.secret ?? '',
        // Many apps: a store that keeps the app state (passport-oauth2's StateStore, or its
        // PKCE store), under one session key for every app, since a callback names no app.
        ...(many && { store: (options.store ?? true) as never, sessionKey: options.sessionKey ?? `oauth2:feishu-apps:${options.name ?? 'feishu'}` }),
      },
      verify as VerifyFunction,
    );
    this.name = options.name ?? 'feishu';
    this.flow = flowName;
    this.idField = options.idField;
    this.tenants = options.tenants ? new Set(options.tenants) : undefined;
    this.alwaysFetchUserInfo = options.alwaysFetchUserInfo ?? false;
    this.cache = cache;
    this.context = context;

    // NOTE: passport-oauth2 exchanges the code through node-oauth, which form-posts
    //       client_id/secret and takes any 2xx for success. Feishu wants JSON (with an
    //       app token in v1) and reports errors with HTTP 200, so the exchange is ours.
    // @types/oauth types the callback's error as never null, though node-oauth passes null on success.
    if (context) this._oauth2.getOAuthAccessToken = this.exchangeFor(context) as typeof this._oauth2.getOAuthAccessToken;
    if (many) {
      // Never used: each request sets its app's OAuth2. Refused all the same, rather than sent to NO_APP_URL.
      this._oauth2.getOAuthAccessToken = ((_code: string, _params: unknown, callback: ExchangeCallback) =>
        process.nextTick(callback, new Error('FeishuStrategy: no app was resolved for this request'))) as typeof this._oauth2.getOAuthAccessToken;
      this.apps = new ManyApps(many.resolveApp, new AppRegistry((app) => this.buildApp(app, settings), many.capacity));
    }
  }

  /** The app id (`cli_…`) this strategy signs in for; '' with `resolveApp`, where each sign-in has its own. */
  get appId(): string {
    return this.context?.appId ?? '';
  }

  /** Every URL this strategy uses, after `domain`, `flow` and explicit overrides. With `resolveApp`, a TypeError: each app has its own. */
  get endpoints(): FeishuEndpoints {
    return this.oneApp('endpoints').endpoints;
  }

  /** 'lark' when `domain: 'lark'` (or `brand: 'lark'`), else 'feishu'; becomes `profile.provider`. With `resolveApp`, a TypeError: each app has its own. */
  get brand(): 'feishu' | 'lark' {
    return this.oneApp('brand').brand;
  }

  /** The app_access_token cache; `appTokens.fetches` counts requests to Feishu for it. With `resolveApp`, a TypeError: each app has its own. */
  get appTokens(): AppTokenManager {
    return this.oneApp('appTokens').appTokens;
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
    if (code === undefined && !FLOWS[this.flow].authorize) {
      this.fail({ message: 'No sign-in code in the request: post the code from tt.login as `code`.' }, 400);
      return;
    }
    const query = (req.query ?? {}) as Record<string, unknown>;
    if (query.error !== undefined) {
      // A Deny stays passport-oauth2's plain failure; any other error is a bad callback request.
      if (query.error === 'access_denied') this.fail({ message: ACCESS_DENIED });
      else this.fail({ message: callbackErrorMessage(query.error) }, 400);
      return;
    }
    const unset = code === undefined ? missingCallbackURL(this.flow, options, this) : undefined;
    if (unset) {
      this.error(unset);
      return;
    }
    if (this.apps) this.authenticateApp(this.apps, req, options, code !== undefined);
    else this.authenticateWith(req, options);
  }

  /** The rest of `authenticate`, once the request's app is known. */
  private authenticateWith(req: Request, options: FeishuAuthenticateOptions | undefined): void {
    // A store of this package says why it refused a state, and that the answer is a 400.
    const fail = this.fail.bind(this);
    this.fail = (challenge?: unknown, status?: number) => fail(challenge as StateRefusal, challenge instanceof StateRefusal ? challenge.status : status);
    const error = this.error.bind(this);
    this.error = (err: Error) => {
      const cause = unwrap(err);
      if (isLoginFailure(cause) || cause instanceof TenantNotAllowedError) {
        this.fail({ message: cause.message }, cause instanceof TenantNotAllowedError ? 403 : 400);
        return;
      }
      error(cause);
    };
    if (FLOWS[this.flow].authorize?.clientIdParam === 'app_id') {
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
   * Many apps. The start of a sign-in asks `resolveApp({ req })` and saves the app id with the
   * state; the callback, once passport-oauth2's store has verified that state, asks
   * `resolveApp({ req, appId })` for the app saved there and exchanges the code as that app
   * only. `this` is Passport's per-request object, so the app set here is this request's alone.
   */
  private authenticateApp(apps: ManyApps<AppEntry>, req: Request, options: FeishuAuthenticateOptions | undefined, callback: boolean): void {
    // Taken before authenticateWith wraps it: what resolveApp throws reaches the app unchanged.
    const raise = this.error.bind(this);
    const stateStore = (this as unknown as { _stateStore: AppStateStore })._stateStore;
    const useStore = (store: AppStateStore) => {
      (this as unknown as { _stateStore: AppStateStore })._stateStore = store;
    };
    // What runs after resolveApp runs outside the framework's own try: a throw there (a
    // subclass's authorizationParams, say) reaches the error handler, as it would with one app.
    const guarded = (run: () => void) => {
      try {
        run();
      } catch (err) {
        raise(err);
      }
    };
    if (!callback) {
      // A string `state` is sent as it is and saved nowhere (passport-oauth2), so it could not carry the app.
      if (typeof options?.state === 'string') {
        raise(new TypeError('FeishuStrategy: with resolveApp the state is saved by the strategy; pass app state as an object, not a string'));
        return;
      }
      deliver(
        apps.resolve({ req }),
        (entry) => {
          if (!entry) {
            this.fail({ message: new UnknownAppError(undefined).message }, 404);
            return;
          }
          this.useApp(entry);
          useStore(savingApp(stateStore, entry.context.appId));
          guarded(() => this.authenticateWith(req, options));
        },
        raise,
      );
      return;
    }
    useStore(
      readingApp(stateStore, (appId, resume) => {
        if (appId === undefined) {
          this.fail({ message: 'This sign-in was not started for a Feishu app here. Please start the sign-in again.' }, 400);
          return;
        }
        deliver(
          apps.resolve({ req, appId }),
          (entry) => {
            if (!entry) this.fail({ message: new UnknownAppError(appId).message }, 404);
            // The code is exchanged as the app the sign-in started with, or not at all.
            else if (entry.context.appId !== appId) this.fail({ message: 'resolveApp answered another app than the one this sign-in started with.' }, 400);
            else {
              this.useApp(entry);
              guarded(resume);
            }
          },
          raise,
        );
      }),
    );
    this.authenticateWith(req, options);
  }

  /** Makes `entry` the app of this request (Passport's per-request object). */
  private useApp(entry: AppEntry): void {
    this.context = entry.context;
    this._oauth2 = entry.oauth2;
  }

  /** Builds one app of `resolveApp`'s answers (AppRegistry calls it on a miss). */
  private buildApp(app: FeishuApp, settings: AppSettings): AppEntry {
    const checked = checkedApp(app, settings.flowName);
    const context = buildAppContext(checked, settings, `:${secretFingerprint(checked.clientSecret ?? '')}`);
    // What passport-oauth2 reads of its OAuth2 (lib/strategy.js): the ids and URLs, and the exchange.
    const oauth2 = Object.assign(Object.create(this._oauth2) as OAuth2, {
      _clientId: context.appId,
      _clientSecret: context.secret,
      _authorizeUrl: context.endpoints.authorization,
      _accessTokenUrl: context.endpoints.token,
      getOAuthAccessToken: this.exchangeFor(context),
    });
    return { context, oauth2 };
  }

  /** The code exchange of one app, in node-oauth's shape, for passport-oauth2. */
  private exchangeFor(context: AppContext) {
    return (code: string, params: Record<string, string>, callback: ExchangeCallback): void => {
      deliver(
        context.feishu.exchangeCode(code, { redirectUri: params.redirect_uri, codeVerifier: params.code_verifier, scope: params.scope }),
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
  }

  /** The strategy's one app; with `resolveApp`, outside a request, a TypeError naming `what`. */
  private oneApp(what: string): AppContext {
    if (this.context) return this.context;
    throw new TypeError(`FeishuStrategy: with resolveApp each app has its own ${what}; the strategy as a whole has none`);
  }

  /**
   * Runs `use` with the app `appId` names: the strategy's one app (whose id `appId`, if given,
   * must be), or with `resolveApp` the app it answers for `appId`.
   */
  private withApp<T>(appId: string | undefined, what: string, use: (context: AppContext) => Promise<T>): Promise<T> {
    const { apps, context } = this;
    if (!apps) {
      if (!context || (appId !== undefined && appId !== context.appId)) return Promise.reject(new TypeError(`${what}: this strategy signs in for app ${this.appId} only`));
      return use(context);
    }
    if (typeof appId !== 'string' || !appId) return Promise.reject(new TypeError(`${what}: with resolveApp, say which app: { appId }`));
    return apps.resolve({ appId }).then((entry) => {
      if (!entry) throw new UnknownAppError(appId);
      if (entry.context.appId !== appId) throw new TypeError(`${what}: resolveApp answered another app than ${appId}`);
      return use(entry.context);
    });
  }

  /**
   * The authorize URL a sign-in redirect would have used, with state (and PKCE, where the
   * flow has it) saved through the strategy's state store, so the ordinary callback route
   * completes the sign-in. For pages that start the sign-in themselves: the `goto` of
   * Feishu's QR-code SDK, a sign-in in a new window, a single-page app. With `resolveApp`,
   * rejects with UnknownAppError when it answers no app for `req`.
   */
  buildAuthorizationURL(req: Request, options: FeishuAuthenticateOptions = {}): Promise<string> {
    return new Promise<string>((resolve, reject) => {
      // Passport's own pattern: one object per request, so nothing leaks between requests.
      const probe = Object.create(this) as FeishuStrategy;
      probe.redirect = (url: string) => resolve(url);
      probe.error = (err: Error) => reject(err);
      probe.fail = (_challenge?: unknown, status?: unknown) =>
        reject(status === 404 ? new UnknownAppError(undefined) : new Error('FeishuStrategy.buildAuthorizationURL: the sign-in could not start'));
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
    const context = this.context;
    if (!context) {
      done(new TypeError('FeishuStrategy: with resolveApp, userProfile needs the app of a request'));
      return;
    }
    const handed = this.alwaysFetchUserInfo ? undefined : this.handoff.get(accessToken);
    if (handed && FLOWS[this.flow].userInTokenAnswer) {
      this.finishProfile(context, handed, done);
      return;
    }
    // A mini-program's answer names the user; user_info adds the name and avatar.
    deliver(context.feishu.userInfo(accessToken), (user) => this.finishProfile(context, handed ? { ...handed, ...user } : user, done), done);
  }

  /**
   * Trades a refresh token for a new access token. Refresh tokens are single-use in v1, v2 and v3
   * (suite's refresh is undocumented; treat it the same): store the returned `refreshToken` in
   * place of the old one. Concurrent calls with one token (here or in any instance sharing
   * `cache`) send one request and share its result, as does a repeat within 60 s. `scope`
   * (v2/v3) narrows the new token to a subset of the granted scopes; `refreshExpiresAt` (the
   * stored token set's) tells the 365-day consent limit apart. A refusal no retry can fix
   * rejects with `ReauthorizationRequiredError` (see docs/tokens.md). With `resolveApp`,
   * `appId` (`profile.appId` at sign-in) says which app the token belongs to; it rejects with
   * UnknownAppError when `resolveApp` answers none.
   */
  refreshAccessToken(refreshToken: string, options: { scope?: string | readonly string[]; refreshExpiresAt?: number; appId?: string } = {}): Promise<FeishuTokenSet> {
    if (typeof refreshToken !== 'string' || !refreshToken) return Promise.reject(noRefreshToken(this.flow));
    // A bad `scope` (or a flow without one) rejects before any request.
    return new Promise<string | undefined>((resolve) => resolve(narrowedScope(options.scope, this.flow, 'refreshAccessToken({ scope })'))).then((scope) =>
      this.withApp(options.appId, 'refreshAccessToken', (app) =>
        app.refreshes.run(refreshToken, () => app.feishu.refresh(refreshToken, scope, options.refreshExpiresAt), reviveTokenSet),
      ),
    );
  }

  /**
   * Stores a store app's app_ticket where this strategy (and, through a shared `cache`,
   * every instance of the app) reads it. `feishuEventHandler` calls it for each ticket event,
   * with the event's id and time: resolves to false, storing nothing, for an event id seen
   * before or an event older than the ticket already stored. With `resolveApp`, `appId`
   * (the event's) says which app the ticket is for.
   */
  saveAppTicket(ticket: string, event: AppTicketEventInfo & { readonly appId?: string } = {}): Promise<boolean> {
    return this.withApp(event.appId, 'saveAppTicket', (app) => saveAppTicket(this.cache, app.ticketKey, ticket, event, APP_TICKET_TTL_MS));
  }

  /**
   * Runs `action` unless this app (on any instance sharing `cache`) took an event of this id
   * before, then remembers the id for Feishu's whole retry schedule; resolves to whether it
   * ran. `feishuEventHandler` and `feishuEventDispatcherHandlers` call it for revocations.
   * With `resolveApp`, `appId` (the event's) says which app the event is for.
   */
  handleEventOnce(event: AppTicketEventInfo & { readonly appId?: string }, action: () => void | Promise<void>): Promise<boolean> {
    // One memory of ids for all of the app's events: Feishu's event ids are unique across types.
    return this.withApp(event.appId, 'handleEventOnce', (app) =>
      oncePerEvent(this.cache, app.ticketKey, event, async () => {
        await action();
        return true;
      }),
    );
  }

  private finishProfile(context: AppContext, user: FeishuUserInfo, done: Done): void {
    let profile: FeishuProfile;
    try {
      profile = parseProfile(user, { provider: context.brand, idField: this.idField, appId: context.appId });
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
 * Hands a promise's outcome to `onValue` or `onError` in the promise's own reaction, with no
 * tick or timer in between: a test's fake timers (Jest's default fakes `process.nextTick`)
 * would hold those back forever. An exception thrown by the app's own code downstream leaves
 * the chain through `rethrow`, an uncaught exception as from any callback API, never an
 * unhandled rejection, and never swallowed.
 */
function deliver<T>(promise: Promise<T>, onValue: (value: T) => void, onError: (err: Error) => void): void {
  promise.then(
    (value) => settle(onValue, value),
    (err: Error) => settle(onError, err),
  );
}

function settle<A>(callback: (arg: A) => void, arg: A): void {
  try {
    callback(arg);
  } catch (err) {
    rethrow(err);
  }
}

/**
 * node:timers' own setImmediate, not the global: Jest fakes the globals of the test's realm
 * only, so the app's exception still surfaces at once under Jest's default fake timers.
 */
function rethrow(err: unknown): void {
  timers.setImmediate(() => {
    throw err;
  });
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
