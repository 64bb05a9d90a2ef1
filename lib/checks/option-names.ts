import type { FeishuStrategyOptions, FeishuStrategyOptionsWithRequest } from '../options.js';

/** Every key of every member of a union (`keyof` of a union keeps only the shared ones). */
type KeysOf<T> = T extends unknown ? keyof T : never;

/**
 * Every option name `new FeishuStrategy(options, verify)` reads, as data: the constructor
 * refuses any other name (a JavaScript typo such as `callbackUrl` would otherwise be ignored
 * without a word). A branch that adds an option adds its name here, one line; the `satisfies`
 * fails to compile while an option of the types is missing here or a name here is not one.
 */
const NAMES = {
  // The app's credentials, under OAuth's names or Feishu's (options.ts `FeishuCredentials`).
  clientID: true,
  clientSecret: true,
  appId: true,
  appSecret: true,
  clientAssertion: true,
  // Keyless apps: a loopback or link-local proxy for the assertion (tests).
  allowLoopbackProxy: true,
  // Many apps (options.ts `FeishuManyAppsCredentials`).
  resolveApp: true,
  appCacheSize: true,

  // Read by passport-oauth2 itself (its lib/strategy.js).
  callbackURL: true,
  scope: true,
  scopeSeparator: true,
  state: true,
  pkce: true,
  store: true,
  sessionKey: true,
  skipUserProfile: true,
  proxy: true,
  customHeaders: true,
  passReqToCallback: true,

  // This strategy's own (options.ts `FeishuCommonOptions`).
  name: true,
  domain: true,
  brand: true,
  flow: true,
  authorizationURL: true,
  tokenURL: true,
  refreshURL: true,
  userProfileURL: true,
  appAccessTokenURL: true,
  timeout: true,
  alwaysFetchUserInfo: true,
  idField: true,
  tenants: true,
  appType: true,
  appTicket: true,
  cache: true,
} as const satisfies Record<KeysOf<FeishuStrategyOptions | FeishuStrategyOptionsWithRequest>, true>;

/** The option names, in the order above. */
export const OPTION_NAMES: readonly string[] = Object.keys(NAMES);
