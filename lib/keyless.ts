import type { ClientAssertionProvider, ProxyPolicy } from './client-assertion.js';
import { FLOWS, type FeishuFlow } from './endpoints.js';
import type { FeishuCommonOptions, FeishuCredentials } from './options.js';

/** A keyless app's provider, with the proxy policy its options chose. */
export interface KeylessAssertion extends ProxyPolicy {
  readonly provider: ClientAssertionProvider;
}

/**
 * How the app proves itself at the token endpoint: its App Secret, or (a keyless app) an
 * assertion provider. Misuse is a TypeError at construction, not a failed sign-in later.
 */
export function secretOrAssertion(options: FeishuCredentials & FeishuCommonOptions): {
  clientSecret: string | undefined;
  clientAssertion: KeylessAssertion | undefined;
} {
  const secret: unknown = options.clientSecret ?? options.appSecret;
  const clientAssertion: unknown = options.clientAssertion;
  if (clientAssertion === undefined) {
    if (typeof secret !== 'string' || !secret) throw new TypeError('FeishuStrategy requires a clientSecret option (the App Secret), or clientAssertion for a keyless app with flow v3');
    return { clientSecret: secret, clientAssertion: undefined };
  }
  if (typeof clientAssertion !== 'function') throw new TypeError('FeishuStrategy: clientAssertion must be a function (audience) => assertion');
  const flow: FeishuFlow = options.flow ?? 'v1';
  if (!Object.hasOwn(FLOWS, flow) || !FLOWS[flow].clientAssertion) {
    throw new TypeError(`FeishuStrategy: clientAssertion works with flow 'v3' only (Feishu takes client assertions at /oauth/v3/token), not ${JSON.stringify(flow)}`);
  }
  // node-sdk refuses a provider for marketplace apps too (its error 7100): keyless apps are self-built.
  if (options.appType === 'store') throw new TypeError("FeishuStrategy: clientAssertion is for self-built apps, not appType 'store'");
  if (secret !== undefined && (typeof secret !== 'string' || !secret)) throw new TypeError('FeishuStrategy: clientSecret, when given with clientAssertion, must be a non-empty string');
  // With both, the assertion is sent and the secret never is (Feishu refuses both at once: 20070).
  return { clientSecret: secret, clientAssertion: { provider: clientAssertion as ClientAssertionProvider, allowLoopbackProxy: options.allowLoopbackProxy === true } };
}
