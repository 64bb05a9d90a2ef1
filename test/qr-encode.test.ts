import { test } from 'node:test';
import assert from 'node:assert/strict';
import jsQR from 'jsqr';
import { encodeQr, qrSvg } from '../lib/testing/qr-encode.js';

/** Rasterizes the SVG's unit squares (as a browser would draw them) into RGBA pixels for a decoder. */
function rasterize(svg: string, scale = 4): { data: Uint8ClampedArray; width: number; height: number } {
  const span = Number(/viewBox="0 0 (\d+) \d+"/.exec(svg)?.[1]);
  assert.ok(span > 0, 'the SVG has a square viewBox');
  const width = span * scale;
  const data = new Uint8ClampedArray(width * width * 4).fill(255);
  const path = /<path[^>]* d="([^"]*)"/.exec(svg)?.[1] ?? '';
  for (const [, x, y] of path.matchAll(/M(\d+) (\d+)h1v1h-1z/g)) {
    for (let dy = 0; dy < scale; dy += 1) {
      for (let dx = 0; dx < scale; dx += 1) {
        const at = ((Number(y) * scale + dy) * width + Number(x) * scale + dx) * 4;
        data[at] = data[at + 1] = data[at + 2] = 0;
      }
    }
  }
  return { data, width, height: width };
}

function decode(text: string): string | undefined {
  const { data, width, height } = rasterize(qrSvg(encodeQr(text)));
  return jsQR(data, width, height, { inversionAttempts: 'dontInvert' })?.data;
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
