import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { assertionProof, ClientAssertionError, proxyURL, type ClientAssertionProvider, type ClientAssertionTarget } from '../lib/client-assertion.js';

/**
 * README "Keyless apps": what a clientAssertion provider hands back is checked before any
 * request is made; anything unusable is a ClientAssertionError whose message names the problem.
 */

const TOKEN_URL = 'https://accounts.feishu.cn/oauth/v3/token';

function refusal(code: ClientAssertionError['code'], message: RegExp) {
  return (err: unknown) => err instanceof ClientAssertionError && err.code === code && message.test(err.message);
}

describe('a proxy target that is not a plain https origin with a clean prefix is refused, naming the problem', () => {
  const cases: Array<[string, unknown, RegExp]> = [
    ['a service that is not a string', { targetService: 42 }, /targetService is empty/],
    ['an empty service', { targetService: '' }, /targetService is empty/],
    ['a service that is no host', { targetService: 'proxy example.org' }, /targetService is not a host or https origin/],
    ['a user name without a password', { targetService: 'https://user@proxy.example.org' }, /targetService must not carry user info/],
    ['a password without a user name', { targetService: 'https://:pass@proxy.example.org' }, /targetService must not carry user info/],
    ['a path in the service', { targetService: 'https://proxy.example.org/gdpr' }, /targetService must be an origin/],
    ['a prefix without a leading /', { targetService: 'proxy.example.org', targetPrefix: 'gdpr' }, /targetPrefix must be empty or a path/],
    ['a prefix that climbs out with ..', { targetService: 'proxy.example.org', targetPrefix: '/gdpr/..' }, /targetPrefix must not contain \. or \.\. segments/],
  ];
  for (const [name, target, message] of cases) {
    test(name, () => {
      assert.throws(() => proxyURL(target as ClientAssertionTarget, '/oauth/v3/token'), refusal('invalid_target', message));
    });
  }
});

describe('a provider answer that is not a usable assertion sends nothing', () => {
  const empty: Array<[string, unknown]> = [
    ['null', null],
    ['a number', 42],
    ['only spaces', '  \t '],
    ['a token object with only spaces', { value: '   ' }],
    // A provider that hands back its signer instead of calling it: only a string or a token object counts.
    ['a function, even one carrying a value', Object.assign(() => 'a.b.c', { value: 'a.b.c' })],
  ];
  for (const [name, answer] of empty) {
    test(name, async () => {
      await assert.rejects(assertionProof((() => answer) as ClientAssertionProvider, 'cli_app', TOKEN_URL), refusal('empty_assertion', /returned no assertion/));
    });
  }

  for (const [name, targetInfo] of [['a string', 'proxy.example.org'], ['null', null], ['a number', 7]] as const) {
    test(`targetInfo that is ${name} is refused`, async () => {
      const provider = (() => ({ value: 'a.b.c', targetInfo })) as unknown as ClientAssertionProvider;
      await assert.rejects(assertionProof(provider, 'cli_app', TOKEN_URL), refusal('invalid_target', /targetInfo must be an object/));
    });
  }

  test('a token object without targetInfo goes straight to Feishu', async () => {
    const proof = await assertionProof(() => ({ value: 'a.b.c' }), 'cli_app', TOKEN_URL);
    assert.equal(proof.url, TOKEN_URL);
    assert.equal(proof.headers, undefined);
    assert.equal(proof.fields.client_assertion, 'a.b.c');
  });
});
