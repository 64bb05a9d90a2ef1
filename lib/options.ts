import type { Request } from 'express';
import type { VerifyCallback, StateStore } from 'passport-oauth2';
import type { FeishuCache } from './cache.js';
import type { ClientAssertionProvider } from './client-assertion.js';
import type { FeishuTokenParams } from './client.js';
import type { FeishuFlow, FeishuHosts } from './endpoints.js';
import type { FeishuIdField, FeishuProfile } from './profile.js';
import type { FeishuStateStore } from './state/cookie-state-store.js';
import type { FeishuAppResolver } from './apps/app-options.js';

export type { VerifyCallback };

/** The App ID and App Secret, under OAuth's names or Feishu's. */
type SecretCredentials =
  | { clientID: string; clientSecret: string; appId?: never; appSecret?: never }
  | { appId: string; appSecret: string; clientID?: never; clientSecret?: never };

/**
 * A keyless (self-built) app: each v3 token request carries an RFC 7523 assertion from
 * `clientAssertion` instead of the App Secret, which may then be left out.
 */
export type FeishuKeylessCredentials = (
  | { clientID: string; clientSecret?: string; appId?: never; appSecret?: never }
  | { appId: string; appSecret?: string; clientID?: never; clientSecret?: never }
) & {
  /** Returns a fresh signed assertion for an audience (the accounts host); see README "Keyless apps". */
  clientAssertion: ClientAssertionProvider;
  /**
   * Lets the provider's `targetInfo` name a proxy on a loopback or link-local address
   * (localhost, 127.0.0.0/8, ::1, 169.254.0.0/16, fe80::/10), which is refused otherwise. For tests.
   */
  allowLoopbackProxy?: boolean;
  /** Client assertions exist only at Feishu's /oauth/v3/token. */
  flow: 'v3';
  /** Keyless apps are self-built apps. */
  appType?: 'internal';
};

/**
 * Names, in a type error, why `clientAssertion` was refused: a keyless app signs in with
 * flow 'v3' (and is a self-built app). No value has this type.
 */
export interface ClientAssertionNeedsFlowV3 {
  /** Never present: the type exists only to be named in an error message. */
  readonly 'clientAssertion needs flow: v3 (and no appType: store)': never;
}

/**
 * Many apps behind one strategy (docs/many-apps.md): `resolveApp` answers each sign-in's app, and
 * the per-app options (credentials, `domain`, `appType`, `appTicket`) come from it, never from here.
 */
export interface FeishuManyAppsCredentials {
  /** Finds the app of a sign-in, a callback (by the `appId` saved with the state), a refresh or a ticket. */
  resolveApp: FeishuAppResolver;
  /** How many apps are kept built (their app-token managers, clients); the least recently used is rebuilt on its next use. Default 1000. */
  appCacheSize?: number;
  /** The state is what binds a callback to its app: it cannot be turned off. */
  state?: true;
  /** Belongs to each app: give it in `resolveApp`'s answer. */
  clientID?: never;
  /** Belongs to each app: give it in `resolveApp`'s answer. */
  clientSecret?: never;
  /** Belongs to each app: give it in `resolveApp`'s answer. */
  appId?: never;
  /** Belongs to each app: give it in `resolveApp`'s answer. */
  appSecret?: never;
  /** Belongs to each app: give it in `resolveApp`'s answer. */
  clientAssertion?: never;
  /** Belongs to each (keyless) app. */
  allowLoopbackProxy?: never;
  /** Belongs to each app: give it in `resolveApp`'s answer. */
  domain?: never;
  /** Belongs to each app: give it in `resolveApp`'s answer. */
  appType?: never;
  /** Belongs to each app: give it in `resolveApp`'s answer. */
  appTicket?: never;
}

/** The app's credentials: App ID and App Secret (under OAuth's names or Feishu's), or a keyless app's assertion provider, or `resolveApp`. */
export type FeishuCredentials =
  | (SecretCredentials & { clientAssertion?: ClientAssertionNeedsFlowV3; allowLoopbackProxy?: never; resolveApp?: never; appCacheSize?: never })
  | (FeishuKeylessCredentials & { resolveApp?: never; appCacheSize?: never })
  | FeishuManyAppsCredentials;

/** Where the app_ticket of a store app comes from: a value, or a function asked at each token fetch. */
export type AppTicketSource = string | (() => string | undefined | Promise<string | undefined>);

/** The strategy's options besides the credentials; see the options table in README.md. */
export interface FeishuCommonOptions {
  /** Absolute, or relative to the request's URL; must be registered under Security Settings › Redirect URLs. */
  callbackURL?: string;
  /** Space-separated string or list; `offline_access` asks v2/v3 for a refresh token. */
  scope?: string | string[];
  /** passport-oauth2's: the separator used to join a scope list; default a space. */
  scopeSeparator?: string;
  /** Keep a nonce in the session and check it on the callback (CSRF protection). */
  state?: boolean;
  /** PKCE (S256 with `true`); needs `state`. v2/v3 only in Feishu's protocol. */
  pkce?: boolean | 'S256' | 'plain';
  /** A passport-oauth2 state store (such as `cookieStateStore`, which needs no session), or `true` for its session store with app state. */
  store?: StateStore | FeishuStateStore | boolean;
  /** Session key of the state store; default `oauth2:<authorize host>`. */
  sessionKey?: string;
  /** Skip the profile step: `true`, or a function deciding per login. */
  skipUserProfile?: boolean | (() => boolean) | ((accessToken: string, done: (err: Error | null, skip: boolean) => void) => void);
  /** Trust `X-Forwarded-*` when resolving a relative callbackURL. */
  proxy?: boolean;
  /** Extra headers for passport-oauth2's own requests (this strategy makes its requests itself). */
  customHeaders?: Record<string, string>;

  /** Registered strategy name; default 'feishu'. Set it to run two apps (or Feishu and Lark) side by side. */
  name?: string;
  /**
   * 'feishu' (default), 'lark', one origin per Feishu host (`{ open, accounts, passport }`, as the mock's
   * `hosts`), or one origin serving every Feishu path (a proxy or private deployment).
   */
  domain?: 'feishu' | 'lark' | FeishuHosts | (string & NonNullable<unknown>);
  /** With a custom `domain`: which brand it fronts, and so `profile.provider`. Default: 'lark' for domain 'lark', else 'feishu'. */
  brand?: 'feishu' | 'lark';
  /** Login protocol generation; default 'v1'. */
  flow?: FeishuFlow;
  /** Overrides the authorize page URL derived from `domain` and `flow`. */
  authorizationURL?: string;
  /** Overrides the code-exchange URL derived from `domain` and `flow`. */
  tokenURL?: string;
  /** Overrides the refresh URL; defaults to the flow's refresh endpoint on the token URL's origin. */
  refreshURL?: string;
  /** Overrides the user_info URL derived from `domain` and `flow`. */
  userProfileURL?: string;
  /** Overrides the app_access_token URL (v1 flow). */
  appAccessTokenURL?: string;
  /** Milliseconds allowed for every call to Feishu; default 10000. */
  timeout?: number;
  /** Always call user_info, even when the v1 token answer already carries the user. */
  alwaysFetchUserInfo?: boolean;
  /** Which id becomes `profile.id`; default 'open_id'. */
  idField?: FeishuIdField;
  /** Only users of these tenants may sign in (tenant_key allow-list). */
  tenants?: readonly string[];
  /** 'internal' (self-built, default) or 'store' (marketplace app, needs `appTicket`). */
  appType?: 'internal' | 'store';
  /** Store apps: the app_ticket Feishu pushes hourly, or where to read it. */
  appTicket?: AppTicketSource;
  /** Where tokens and tickets are kept between logins; Keyv-compatible. Default: in memory. */
  cache?: FeishuCache;
}

/** The strategy's options, with a verify callback that does not take `req`. */
export type FeishuStrategyOptions = FeishuCredentials & FeishuCommonOptions & { passReqToCallback?: false };
/** The strategy's options with `passReqToCallback: true`: the verify callback takes `req` first. */
export type FeishuStrategyOptionsWithRequest = FeishuCredentials & FeishuCommonOptions & { passReqToCallback: true };

/**
 * The options of the constructor's last overload. When no overload matches, TypeScript reports
 * the last one's error; against this narrow form (an App Secret, either `passReqToCallback`),
 * unlike the union of every form, the first error names the mistake: a missing `clientSecret`,
 * a bad `flow`, a verify whose first parameter does not match `passReqToCallback`,
 * `clientAssertion` without flow 'v3'. With its verify type, the overload accepts no call the
 * others refuse, but for a `passReqToCallback` typed `boolean` (not `true` or `false`) with a
 * verify whose parameters take anything (`unknown`), which is safe either way.
 */
export type FeishuSecretStrategyOptions = SecretCredentials &
  FeishuCommonOptions & { clientAssertion?: ClientAssertionNeedsFlowV3; passReqToCallback?: boolean };

/**
 * The verify callback: `(accessToken, refreshToken, profile, done)`.
 * `refreshToken` is `''` when Feishu issued none: flows v2 and v3 issue one only when the scope
 * includes `offline_access` (enabled for the app, granted by the user), so `''` there means "add
 * offline_access to scope". Do not store `''` for `refreshAccessToken`, which refuses it.
 */
export type FeishuVerifyFunction = (accessToken: string, refreshToken: string, profile: FeishuProfile, done: VerifyCallback) => void;
/**
 * The verify callback with Feishu's token answer: `(accessToken, refreshToken, params, profile, done)`.
 * `refreshToken` is `''` when Feishu issued none: flows v2 and v3 issue one only when the scope
 * includes `offline_access` (enabled for the app, granted by the user), so `''` there means "add
 * offline_access to scope". Do not store `''` for `refreshAccessToken`, which refuses it.
 */
export type FeishuVerifyFunctionWithParams = (
  accessToken: string,
  refreshToken: string,
  params: FeishuTokenParams,
  profile: FeishuProfile,
  done: VerifyCallback,
) => void;
/**
 * The verify callback with `passReqToCallback: true`: `(req, accessToken, refreshToken, profile, done)`.
 * `refreshToken` is `''` when Feishu issued none: flows v2 and v3 issue one only when the scope
 * includes `offline_access` (enabled for the app, granted by the user), so `''` there means "add
 * offline_access to scope". Do not store `''` for `refreshAccessToken`, which refuses it.
 */
export type FeishuVerifyFunctionWithRequest = (
  req: Request,
  accessToken: string,
  refreshToken: string,
  profile: FeishuProfile,
  done: VerifyCallback,
) => void;
/**
 * The verify callback with `passReqToCallback: true` and Feishu's token answer:
 * `(req, accessToken, refreshToken, params, profile, done)`.
 * `refreshToken` is `''` when Feishu issued none: flows v2 and v3 issue one only when the scope
 * includes `offline_access` (enabled for the app, granted by the user), so `''` there means "add
 * offline_access to scope". Do not store `''` for `refreshAccessToken`, which refuses it.
 */
export type FeishuVerifyFunctionWithRequestAndParams = (
  req: Request,
  accessToken: string,
  refreshToken: string,
  params: FeishuTokenParams,
  profile: FeishuProfile,
  done: VerifyCallback,
) => void;

/**
 * The verify callback of the constructor's last overload (see `FeishuSecretStrategyOptions`):
 * both forms at once, which only a callback that takes anything in every parameter is. Its name
 * says, in a type error, what the callback's first parameter depends on.
 */
export type FeishuVerifyFunctionMatchingPassReqToCallback = FeishuVerifyFunction & FeishuVerifyFunctionWithRequest;

/** Options for `passport.authenticate('feishu', …)`. */
export interface FeishuAuthenticateOptions {
  /** Overrides the strategy's scope for this request. */
  scope?: string | string[];
  /** 'consent' always shows Feishu's consent page (v2/v3). */
  prompt?: 'consent';
  /**
   * On the callback route: narrow the token of this exchange to these scopes, a subset of what the
   * user granted (v2/v3 only; Feishu refuses a repeat with 20067, a scope not granted with 20068).
   * Include `offline_access` to still get a refresh token.
   */
  tokenScope?: string | readonly string[];
  callbackURL?: string;
  state?: unknown;
  [option: string]: unknown;
}

/**
 * Passport's own `AuthenticateOptions` (from @types/passport) learns this strategy's options,
 * so an inline `passport.authenticate('feishu', { tokenScope: [...], failureRedirect })`
 * type-checks: the object literal's excess-property check refused `tokenScope` before.
 * Declaration merging is the only way in, since `passport.authenticate` is typed by
 * @types/passport, not by the strategy; the new member is optional, so every other
 * strategy's calls type-check as before.
 */
declare module 'passport' {
  interface AuthenticateOptions {
    /** Feishu (v2/v3), on the callback route: narrow this exchange's token to these granted scopes. See `FeishuAuthenticateOptions.tokenScope`. */
    tokenScope?: string | readonly string[] | undefined;
  }
}
