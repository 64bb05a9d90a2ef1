import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeQr, qrSvg } from '../lib/testing/qr-encode.js';
import { scanQrSvg } from './helpers/qr.js';

function decode(text: string): string | undefined {
  return scanQrSvg(qrSvg(encodeQr(text)));
}

test('a QR code of a scan URL decodes back to the URL', () => {
  const url = 'http://127.0.0.1:41234/mock/qr/scan?session=qr_AbCdEfGhIjKlMnOpQrStUvWx';
  assert.equal(decode(url), url);
});

test('every version from 1 to 10 decodes, including multi-block and version-info codes', () => {
  // Byte capacities at level M: 14, 26, 42, 62, 84, 106, 122, 152, 180, 213.
  for (const length of [1, 14, 20, 40, 60, 80, 100, 120, 150, 178, 211]) {
    const text = Array.from({ length }, (_, i) => String.fromCharCode(33 + ((i * 7) % 90))).join('');
    const matrix = encodeQr(text);
    assert.equal(decode(text), text, `length ${length} (version ${matrix.version})`);
  }
  assert.equal(encodeQr('x'.repeat(14)).version, 1);
  assert.equal(encodeQr('x'.repeat(15)).version, 2);
  assert.equal(encodeQr('x'.repeat(211)).version, 10);
});

test('UTF-8 text round-trips', () => {
  assert.equal(decode('飞书 scan → sign in'), '飞书 scan → sign in');
});

test('text longer than version 10 holds is refused, not truncated', () => {
  assert.throws(() => encodeQr('x'.repeat(400)), RangeError);
});
