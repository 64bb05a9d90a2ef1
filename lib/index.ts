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
export { decryptEvent, feishuEventHandler, type AppTicketEventInfo, type AppTicketStore, type FeishuEventHandler, type FeishuEventHandlerOptions } from './events.js';
export { MemoryCache, type FeishuCache } from './cache.js';
export { BRAND_HOSTS, FLOWS, type FeishuBrand, type FeishuFlow, type FeishuHosts } from './endpoints.js';
export type { FeishuTokenParams, FeishuTokenSet } from './client.js';
export type {
  AppTicketSource,
  FeishuAuthenticateOptions,
  FeishuCommonOptions,
  FeishuCredentials,
  FeishuKeylessCredentials,
  FeishuStrategyOptions,
  FeishuStrategyOptionsWithRequest,
  FeishuVerifyFunction,
  FeishuVerifyFunctionWithParams,
  FeishuVerifyFunctionWithRequest,
  FeishuVerifyFunctionWithRequestAndParams,
  VerifyCallback,
} from './options.js';
export { AuthorizationError, InternalOAuthError, TokenError } from 'passport-oauth2';
