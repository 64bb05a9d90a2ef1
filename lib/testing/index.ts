/**
 * `passport-feishu-oauth2/testing`: a mock Feishu for offline tests of your own login routes.
 *
 *   const feishu = await startMockFeishu({ consent: 'auto' });
 *   new FeishuStrategy({ domain: feishu.hosts, clientID: feishu.app.appId, clientSecret: feishu.app.appSecret, … }, verify);
 */
export { MockFeishu, startMockFeishu, type MockEndpoint, type MockFeishuOptions } from './mock-feishu.js';
export { QR_SDK_PATH } from './qr-stand-in.js';
export { DEFAULT_APP, DEFAULT_USERS, MOCK_TENANT_KEY, type MockApp, type MockUser } from './fixtures.js';
export type { EchoEncoding, MockFault } from './faults.js';
export type { AssertionKeys } from './assertion-verifier.js';
export { appTicketEvent, encryptEvent, eventRequest, signEvent, type EventIdentity, type EventSubscription, type SignatureHeaders } from './event-push.js';
