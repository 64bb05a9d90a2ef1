/**
 * A small QR code encoder for the mock's scan-to-sign-in page: byte mode, error correction
 * level M, versions 1–10 (up to 213 bytes), one fixed mask (pattern 0, which ISO/IEC 18004
 * allows: choosing the "best" mask only improves scanning, any mask is valid). Written here
 * because the package may not add a runtime dependency; the algorithm follows the standard
 * as laid out in Project Nayuki's reference encoder.
 */

/** Error-correction codewords per block and number of blocks at level M, versions 1–10. */
const ECC_PER_BLOCK_M = [10, 16, 26, 18, 24, 16, 18, 22, 22, 26] as const;
const BLOCKS_M = [1, 1, 1, 2, 2, 4, 4, 4, 5, 5] as const;
const MAX_VERSION = 10;
/** Level M's two format bits (L = 01, M = 00, Q = 11, H = 10). */
const FORMAT_BITS_M = 0;
const MASK = 0;

/** A square of modules; `true` is dark. */
export interface QrMatrix {
  readonly size: number;
  readonly version: number;
  readonly modules: ReadonlyArray<readonly boolean[]>;
}

function rawDataModules(version: number): number {
  let result = (16 * version + 128) * version + 64;
  if (version >= 2) {
    const align = Math.floor(version / 7) + 2;
    result -= (25 * align - 10) * align - 55;
    if (version >= 7) result -= 36;
  }
  return result;
}

function dataCodewords(version: number): number {
  return Math.floor(rawDataModules(version) / 8) - (ECC_PER_BLOCK_M[version - 1] ?? 0) * (BLOCKS_M[version - 1] ?? 0);
}

/** GF(256) product modulo x^8 + x^4 + x^3 + x^2 + 1. */
function gfMultiply(x: number, y: number): number {
  let z = 0;
  for (let i = 7; i >= 0; i -= 1) {
    z = (z << 1) ^ ((z >>> 7) * 0x11d);
    z ^= ((y >>> i) & 1) * x;
  }
  return z & 0xff;
}

function rsDivisor(degree: number): number[] {
  const result = new Array<number>(degree).fill(0);
  result[degree - 1] = 1;
  let root = 1;
  for (let i = 0; i < degree; i += 1) {
    for (let j = 0; j < degree; j += 1) {
      result[j] = gfMultiply(result[j] ?? 0, root);
      if (j + 1 < degree) result[j] = (result[j] ?? 0) ^ (result[j + 1] ?? 0);
    }
    root = gfMultiply(root, 0x02);
  }
  return result;
}

function rsRemainder(data: readonly number[], divisor: readonly number[]): number[] {
  const result = new Array<number>(divisor.length).fill(0);
  for (const byte of data) {
    const factor = byte ^ (result.shift() ?? 0);
    result.push(0);
    for (let i = 0; i < divisor.length; i += 1) result[i] = (result[i] ?? 0) ^ gfMultiply(divisor[i] ?? 0, factor);
  }
  return result;
}

/** Data codewords for `bytes` in byte mode, terminated and padded to the version's capacity. */
function dataCodewordsFor(bytes: Uint8Array, version: number): number[] {
  const bits: number[] = [];
  const push = (value: number, length: number): void => {
    for (let i = length - 1; i >= 0; i -= 1) bits.push((value >>> i) & 1);
  };
  push(0b0100, 4);
  push(bytes.length, version <= 9 ? 8 : 16);
  for (const byte of bytes) push(byte, 8);
  const capacity = dataCodewords(version) * 8;
  push(0, Math.min(4, capacity - bits.length));
  push(0, (8 - (bits.length % 8)) % 8);
  const words: number[] = [];
  for (let i = 0; i < bits.length; i += 8) words.push(bits.slice(i, i + 8).reduce((acc, bit) => (acc << 1) | bit, 0));
  for (let pad = 0xec; words.length < capacity / 8; pad ^= 0xec ^ 0x11) words.push(pad);
  return words;
}

/** Splits into blocks, appends each block's error correction and interleaves them. */
function withErrorCorrection(data: readonly number[], version: number): number[] {
  const blocks = BLOCKS_M[version - 1] ?? 1;
  const ecc = ECC_PER_BLOCK_M[version - 1] ?? 0;
  const raw = Math.floor(rawDataModules(version) / 8);
  const shortBlocks = blocks - (raw % blocks);
  const shortLength = Math.floor(raw / blocks);
  const divisor = rsDivisor(ecc);
  const all: number[][] = [];
  for (let i = 0, k = 0; i < blocks; i += 1) {
    const length = shortLength - ecc + (i < shortBlocks ? 0 : 1);
    const block = data.slice(k, k + length);
    k += length;
    const check = rsRemainder(block, divisor);
    // A placeholder keeps every block the same length; it is skipped when interleaving.
    if (i < shortBlocks) block.push(0);
    all.push([...block, ...check]);
  }
  const result: number[] = [];
  for (let i = 0; i < (all[0]?.length ?? 0); i += 1) {
    all.forEach((block, j) => {
      if (i !== shortLength - ecc || j >= shortBlocks) result.push(block[i] ?? 0);
    });
  }
  return result;
}

function alignmentPositions(version: number, size: number): number[] {
  if (version === 1) return [];
  const count = Math.floor(version / 7) + 2;
  const step = Math.ceil((version * 4 + 4) / (count * 2 - 2)) * 2;
  const result = [6];
  for (let pos = size - 7; result.length < count; pos -= step) result.splice(1, 0, pos);
  return result;
}

class Grid {
  readonly modules: boolean[][];
  readonly reserved: boolean[][];
  constructor(readonly size: number) {
    this.modules = Array.from({ length: size }, () => new Array<boolean>(size).fill(false));
    this.reserved = Array.from({ length: size }, () => new Array<boolean>(size).fill(false));
  }
  /** A function module (finder, timing, format…): never masked, never holds data. */
  fix(x: number, y: number, dark: boolean): void {
    const row = this.modules[y];
    const reserved = this.reserved[y];
    if (!row || !reserved || x < 0 || x >= this.size) return;
    row[x] = dark;
    reserved[x] = true;
  }
  isReserved(x: number, y: number): boolean {
    return this.reserved[y]?.[x] ?? true;
  }
}

function drawFunctionPatterns(grid: Grid, version: number): void {
  const { size } = grid;
  for (let i = 0; i < size; i += 1) {
    grid.fix(6, i, i % 2 === 0);
    grid.fix(i, 6, i % 2 === 0);
  }
  for (const [cx, cy] of [[3, 3], [size - 4, 3], [3, size - 4]] as const) {
    for (let dy = -4; dy <= 4; dy += 1) {
      for (let dx = -4; dx <= 4; dx += 1) {
        const distance = Math.max(Math.abs(dx), Math.abs(dy));
        grid.fix(cx + dx, cy + dy, distance !== 2 && distance !== 4);
      }
    }
  }
  const positions = alignmentPositions(version, size);
  const last = positions.length - 1;
  positions.forEach((x, i) => {
    positions.forEach((y, j) => {
      // The three corners already hold finder patterns.
      if ((i === 0 && j === 0) || (i === 0 && j === last) || (i === last && j === 0)) return;
      for (let dy = -2; dy <= 2; dy += 1) for (let dx = -2; dx <= 2; dx += 1) grid.fix(x + dx, y + dy, Math.max(Math.abs(dx), Math.abs(dy)) !== 1);
    });
  });
  drawFormat(grid);
  if (version >= 7) {
    let rem = version;
    for (let i = 0; i < 12; i += 1) rem = (rem << 1) ^ ((rem >>> 11) * 0x1f25);
    const bits = (version << 12) | rem;
    for (let i = 0; i < 18; i += 1) {
      const dark = ((bits >>> i) & 1) === 1;
      const a = size - 11 + (i % 3);
      const b = Math.floor(i / 3);
      grid.fix(a, b, dark);
      grid.fix(b, a, dark);
    }
  }
}

/** The 15 format bits (level M, mask 0) in both of their places, plus the always-dark module. */
function drawFormat(grid: Grid): void {
  const data = (FORMAT_BITS_M << 3) | MASK;
  let rem = data;
  for (let i = 0; i < 10; i += 1) rem = (rem << 1) ^ ((rem >>> 9) * 0x537);
  const bits = ((data << 10) | rem) ^ 0x5412;
  const bit = (i: number): boolean => ((bits >>> i) & 1) === 1;
  const { size } = grid;
  for (let i = 0; i <= 5; i += 1) grid.fix(8, i, bit(i));
  grid.fix(8, 7, bit(6));
  grid.fix(8, 8, bit(7));
  grid.fix(7, 8, bit(8));
  for (let i = 9; i < 15; i += 1) grid.fix(14 - i, 8, bit(i));
  for (let i = 0; i < 8; i += 1) grid.fix(size - 1 - i, 8, bit(i));
  for (let i = 8; i < 15; i += 1) grid.fix(8, size - 15 + i, bit(i));
  grid.fix(8, size - 8, true);
}

/** Places the codewords in the zigzag order and applies mask 0 ((x + y) mod 2 = 0) to them. */
function drawCodewords(grid: Grid, codewords: readonly number[]): void {
  const { size } = grid;
  let i = 0;
  for (let right = size - 1; right >= 1; right -= 2) {
    if (right === 6) right = 5;
    for (let vert = 0; vert < size; vert += 1) {
      for (let j = 0; j < 2; j += 1) {
        const x = right - j;
        const upward = ((right + 1) & 2) === 0;
        const y = upward ? size - 1 - vert : vert;
        if (grid.isReserved(x, y)) continue;
        let dark = false;
        if (i < codewords.length * 8) {
          dark = (((codewords[i >>> 3] ?? 0) >>> (7 - (i & 7))) & 1) === 1;
          i += 1;
        }
        const row = grid.modules[y];
        if (row) row[x] = dark !== ((x + y) % 2 === 0);
      }
    }
  }
}

/** Encodes `text` (UTF-8) as a QR code; throws when it is longer than version 10 holds. */
export function encodeQr(text: string): QrMatrix {
  const bytes = new TextEncoder().encode(text);
  let version = 1;
  while (version <= MAX_VERSION && 4 + (version <= 9 ? 8 : 16) + bytes.length * 8 > dataCodewords(version) * 8) version += 1;
  if (version > MAX_VERSION) throw new RangeError(`QR text too long: ${bytes.length} bytes (at most ${dataCodewords(MAX_VERSION) - 3})`);
  const grid = new Grid(version * 4 + 17);
  drawFunctionPatterns(grid, version);
  drawCodewords(grid, withErrorCorrection(dataCodewordsFor(bytes, version), version));
  return { size: grid.size, version, modules: grid.modules };
}

/** The code as an SVG image: one path of unit squares, with the standard four-module quiet zone. */
export function qrSvg(matrix: QrMatrix, pixels = 250): string {
  const quiet = 4;
  const span = matrix.size + quiet * 2;
  let path = '';
  matrix.modules.forEach((row, y) => {
    row.forEach((dark, x) => {
      if (dark) path += `M${x + quiet} ${y + quiet}h1v1h-1z`;
    });
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${pixels}" height="${pixels}" viewBox="0 0 ${span} ${span}" shape-rendering="crispEdges" role="img" aria-label="QR code"><rect width="${span}" height="${span}" fill="#fff"/><path fill="#000" d="${path}"/></svg>`;
}
