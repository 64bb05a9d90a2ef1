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

describe('a proxy on this machine or its link is refused unless allowLoopbackProxy says so', () => {
  const local = [
    'https://127.0.0.1',
    '127.1.2.3:8443',
    'localhost',
    'LOCALHOST.',
    'api.localhost',
    '[::1]',
    '[::]',
    '[::ffff:127.0.0.1]',
    '[::ffff:169.254.169.254]',
    '169.254.169.254',
    '[fe80::1]',
    '[FEBF::1]',
    '0.0.0.0',
    '2130706433', // 127.0.0.1 as one number
    '0x7f.1', // 127.0.0.1 in hex and short form
  ];
  for (const targetService of local) {
    test(`${targetService} is refused, and allowed only explicitly`, async () => {
      assert.throws(() => proxyURL({ targetService }, '/oauth/v3/token'), refusal('invalid_target', /loopback or link-local.*allowLoopbackProxy/));
      assert.throws(() => proxyURL({ targetService }, '/oauth/v3/token', { allowLoopbackProxy: false }), refusal('invalid_target', /loopback/));
      assert.match(proxyURL({ targetService }, '/oauth/v3/token', { allowLoopbackProxy: true }), /^https:\/\/.+\/oauth\/v3\/token$/);
      const provider = () => ({ value: 'a.b.c', targetInfo: { targetService } });
      await assert.rejects(assertionProof(provider, 'cli_app', TOKEN_URL), refusal('invalid_target', /loopback/));
      assert.match((await assertionProof(provider, 'cli_app', TOKEN_URL, { allowLoopbackProxy: true })).url, /\/oauth\/v3\/token$/);
    });
  }

  test('other hosts and addresses pass, including names that merely contain "localhost" and private networks', () => {
    for (const targetService of ['gdpr.example.eu', 'localhost.example.com', '10.0.0.1', '[2001:db8::1]', '[::ffff:10.0.0.1]', '128.0.0.1', '169.255.0.1', '[fec0::1]']) {
      assert.match(proxyURL({ targetService }, '/oauth/v3/token'), /^https:\/\//, targetService);
    }
  });
});

describe('what a failing provider threw', () => {
  const key = '-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgaWQ1c2VjcmV0a2V5\n-----END PRIVATE KEY-----';
  const jwt = 'eyJhbGciOiJFUzI1NiJ9.eyJpc3MiOiJjbGlfYXBwIn0.c2lnbmF0dXJlLWJ5dGVz';
  const raw = 'MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgaWQ1c2VjcmV0a2V5';

  test('is the cause only as a scrubbed copy: its name and message, without keys, tokens or long base64', async () => {
    class SignerError extends Error {
      override name = 'SignerError';
      readonly keyMaterial = key;
    }
    const thrown = new SignerError(`could not sign with ${key} (last: ${jwt}, raw ${raw}; cut short: -----BEGIN EC PRIVATE KEY-----\nMHcCAQEE`);
    const err = await assertionProof(() => Promise.reject(thrown), 'cli_app', TOKEN_URL).then(
      () => assert.fail('resolved'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof ClientAssertionError);
    assert.equal(err.code, 'provider_failed');
    const cause = err.cause as Error;
    assert.notEqual(cause, thrown);
    assert.equal(cause.name, 'SignerError');
    assert.match(cause.message, /^could not sign with \[redacted\] \(last: \[redacted\], raw \[redacted\]; cut short: \[redacted\]$/);
    const { inspect } = await import('node:util');
    for (const shown of [inspect(err, { depth: 8 }), JSON.stringify(err), JSON.stringify(cause), String(err.stack)]) {
      for (const secret of ['PRIVATE KEY', 'MIGHAgEA', 'eyJhbGci', 'MHcCAQEE']) assert.ok(!shown.includes(secret), `${secret} in ${shown.slice(0, 80)}`);
    }
    // The original stays reachable on purpose only, outside what loggers enumerate.
    assert.equal(err.providerError, thrown);
    assert.equal(Object.keys(err).includes('providerError'), false);
  });

  test('a thrown value that is not an Error becomes an Error saying it, scrubbed', async () => {
    // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- a provider may reject with anything
    const err = (await assertionProof(() => Promise.reject(`token ${jwt}`), 'cli_app', TOKEN_URL).catch((e: unknown) => e)) as ClientAssertionError;
    assert.equal((err.cause as Error).name, 'Error');
    assert.equal((err.cause as Error).message, 'token [redacted]');
    assert.equal(err.providerError, `token ${jwt}`);
    const odd = (await assertionProof(() => Promise.reject(Object.assign(new Error('x'), { name: 'not a <name>' })), 'cli_app', TOKEN_URL).catch((e: unknown) => e)) as ClientAssertionError;
    assert.equal((odd.cause as Error).name, 'Error');
  });

  test('refusals of what the provider returned have no cause at all', async () => {
    const err = (await assertionProof(() => '', 'cli_app', TOKEN_URL).catch((e: unknown) => e)) as ClientAssertionError;
    assert.equal(err.cause, undefined);
    assert.equal('cause' in err, false);
  });
});
