import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { secretOrAssertion } from '../lib/keyless.js';

/**
 * README "Keyless apps": the App Secret or a clientAssertion provider, checked when the
 * strategy is made, so a misconfigured app fails at start-up with a TypeError naming the fix.
 */

type Options = Parameters<typeof secretOrAssertion>[0];
const options = (extra: Record<string, unknown>): Options => ({ clientID: 'cli_app', ...extra }) as unknown as Options;
const provider = () => 'a.b.c';

describe('an app with neither a usable secret nor a provider', () => {
  for (const [name, secret] of [['no secret', undefined], ['an empty secret', ''], ['a secret that is a number', 42]] as const) {
    test(`${name} is a TypeError asking for the App Secret`, () => {
      assert.throws(() => secretOrAssertion(options({ clientSecret: secret })), (err: unknown) => err instanceof TypeError && /requires a clientSecret/.test(err.message));
    });
  }

  test('a secret given as appSecret is taken', () => {
    assert.deepEqual(secretOrAssertion(options({ appSecret: 'the-secret' })), { clientSecret: 'the-secret', clientAssertion: undefined });
  });
});

describe('a keyless app', () => {
  test('without a flow is told its flow (the default v1) takes no assertion', () => {
    assert.throws(() => secretOrAssertion(options({ clientAssertion: provider })), (err: unknown) => err instanceof TypeError && /flow 'v3' only.*not "v1"$/.test(err.message));
  });

  for (const [name, secret] of [['empty', ''], ['a number', 42]] as const) {
    test(`with a clientSecret that is ${name} is a TypeError`, () => {
      assert.throws(
        () => secretOrAssertion(options({ flow: 'v3', clientAssertion: provider, clientSecret: secret })),
        (err: unknown) => err instanceof TypeError && /clientSecret, when given with clientAssertion, must be a non-empty string/.test(err.message),
      );
    });
  }

  test('with flow v3 keeps the provider, and a secret beside it; a loopback proxy only when allowed in so many words', () => {
    const refused = { provider, allowLoopbackProxy: false };
    assert.deepEqual(secretOrAssertion(options({ flow: 'v3', clientAssertion: provider })), { clientSecret: undefined, clientAssertion: refused });
    assert.deepEqual(secretOrAssertion(options({ flow: 'v3', clientAssertion: provider, clientSecret: 'kept' })), { clientSecret: 'kept', clientAssertion: refused });
    assert.deepEqual(secretOrAssertion(options({ flow: 'v3', clientAssertion: provider, allowLoopbackProxy: 'yes' })), { clientSecret: undefined, clientAssertion: refused });
    assert.deepEqual(secretOrAssertion(options({ flow: 'v3', clientAssertion: provider, allowLoopbackProxy: true })), {
      clientSecret: undefined,
      clientAssertion: { provider, allowLoopbackProxy: true },
    });
  });
});
