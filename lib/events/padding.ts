/** AES's block size: PKCS#7 pads to a multiple of it with 1 to 16 bytes. */
const BLOCK = 16;

/**
 * The length of `plain` without its PKCS#7 padding, or -1 when the padding is wrong. Reads
 * the whole last block and does the same arithmetic whatever it holds: no early return at
 * the first bad byte, no branch on the pad value, one way out. Node's own check
 * (`decipher.final()`) stops at the first bad byte, and the time that takes told an attacker
 * which padding was valid (issue 17, finding 4). `plain` is a positive multiple of 16 bytes,
 * which the caller checks from the public ciphertext length.
 */
export function unpaddedLength(plain: ArrayLike<number>): number {
  const n = plain.length;
  const pad = plain[n - 1]! | 0;
  // Each flag is 0 or 1, computed with shifts of the sign bit instead of comparisons.
  let bad = ((pad - 1) >>> 31) | ((BLOCK - pad) >>> 31); // pad = 0, or pad > 16
  for (let i = 1; i <= BLOCK; i += 1) {
    const inPad = (i - pad - 1) >>> 31; // 1 while i <= pad
    const differs = (((plain[n - i]! ^ pad) & 0xff) + 0xff) >>> 8; // 1 when the byte is not `pad`
    bad |= inPad & differs;
  }
  // bad = 1 gives -1, bad = 0 gives n - pad, without a branch.
  return (n - pad) * (1 - bad) - bad;
}
