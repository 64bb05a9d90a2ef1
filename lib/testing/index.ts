/**
 * `passport-feishu-oauth2/testing`: a mock Feishu for offline tests of your own login routes.
 *
 *   const feishu = await startMockFeishu({ consent: 'auto' });
 *   new FeishuStrategy({ domain: feishu.hosts, clientID: feishu.app.appId, clientSecret: feishu.app.appSecret, … }, verify);
 *
 * For tests of your own login routes (docs/testing.md): `startTestFeishu`, `testStrategyOptions`,
 * `completeFeishuSignIn`, `failCodeExchange` and `failUserFetch`.
 */
export { MockFeishu, startMockFeishu, type MockEndpoint, type MockFeishuOptions } from './mock-feishu.js';
export { QR_SDK_PATH } from './qr-stand-in.js';
export { DEFAULT_APP, DEFAULT_USERS, MOCK_TENANT_KEY, type MockApp, type MockUser } from './fixtures.js';
export type { EchoEncoding, MockFault } from './faults.js';
export type { AssertionJwk, AssertionKeys } from './assertion-verifier.js';
export { appTicketEvent, encryptEvent, eventRequest, signEvent, type EventIdentity, type EventSubscription, type SignatureHeaders } from './event-push.js';
export { completeFeishuSignIn, MockAuthorizeError, type FeishuConsent } from './sign-in.js';
export { codeExchangeEndpoint, failCodeExchange, failUserFetch, userFetchEndpoint, type SignInFaultTarget } from './sign-in-faults.js';
export { startTestFeishu, TEST_TIMEOUT_MS, testMockOptions, testStrategyOptions, type TestMockOptions, type TestStrategyOptions } from './test-preset.js';
export { userTokensRevokedEvent, type RevocationDetails, type RevokedUser } from './event-push.js';
