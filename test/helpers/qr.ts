import assert from 'node:assert/strict';
import jsQR from 'jsqr';

/** Rasterizes the mock's QR SVG (unit squares in one path) into RGBA pixels, as a browser draws it. */
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

/** What a phone's camera reads from the QR code in `svg` (the first <svg> in a page will do). */
export function scanQrSvg(html: string): string | undefined {
  const svg = /<svg[\s\S]*?<\/svg>/.exec(html)?.[0] ?? '';
  const { data, width, height } = rasterize(svg);
  return jsQR(data, width, height, { inversionAttempts: 'dontInvert' })?.data;
}
