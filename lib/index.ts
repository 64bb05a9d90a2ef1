export { FeishuStrategy, FeishuStrategy as Strategy, type FeishuEndpoints } from './strategy.js';
export { FeishuAPIError, FeishuTokenError, type FeishuErrorDetails, type HttpMeaning } from './errors.js';
export { TransportError, type TransportFailure } from './http.js';
export {
  ClientAssertionError,
  type ClientAssertionFailure,
  type ClientAssertionProvider,
  type ClientAssertionTarget,
  type ClientAssertionToken,
} from './client-assertion.js';
export { MissingIdError, parseProfile, type FeishuProfile, type FeishuUserInfo, type FeishuIdField } from './profile.js';
export { TenantNotAllowedError } from './tenants.js';
export { UnknownAppError } from './apps/many-apps.js';
export type { FeishuApp, FeishuAppQuery, FeishuAppResolver } from './apps/app-options.js';
export { decryptEvent, feishuEventHandler, type AppTicketEventInfo, type AppTicketStore, type FeishuEventHandler, type FeishuEventHandlerOptions } from './events/handler.js';
export { feishuEventDispatcherHandlers, type FeishuDispatcherEvent, type FeishuDispatcherHandler, type FeishuDispatcherHandlerOptions, type FeishuDispatcherHandlers } from './events/dispatcher.js';
export { USER_TOKENS_REVOKED, type UserTokensRevoked, type UserTokensRevokedListener } from './events/revocation.js';
export type { CacheErrorPolicy } from './events/dedup.js';
export { MemoryCache, type FeishuCache } from './cache.js';
export { cookieStateStore, StateRefusal, type CookieStateStoreOptions, type FeishuStateStore } from './state/index.js';
export { BRAND_HOSTS, FLOWS, type FeishuBrand, type FeishuFlow, type FeishuHosts } from './endpoints.js';
export type { FeishuTokenParams, FeishuTokenSet } from './client.js';
export type {
  AppTicketSource,
  ClientAssertionNeedsFlowV3,
  FeishuSecretStrategyOptions,
  FeishuVerifyFunctionMatchingPassReqToCallback,
  FeishuAuthenticateOptions,
  FeishuCommonOptions,
  FeishuCredentials,
  FeishuKeylessCredentials,
  FeishuManyAppsCredentials,
  FeishuStrategyOptions,
  FeishuStrategyOptionsWithRequest,
  FeishuVerifyFunction,
  FeishuVerifyFunctionWithParams,
  FeishuVerifyFunctionWithRequest,
  FeishuVerifyFunctionWithRequestAndParams,
  VerifyCallback,
} from './options.js';
export { AuthorizationError, InternalOAuthError, TokenError } from 'passport-oauth2';
export { ReauthorizationRequiredError } from './refresh/reauthorization-error.js';
export { REAUTHORIZATION_REASONS, type ReauthorizationReason } from './refresh/reasons.js';
export { RefreshCoordinator, type RefreshCoordinatorOptions } from './refresh/coordinator.js';
