import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

/**
 * Authenticated encryption for values the browser keeps for us (AES-256-GCM). Each secret
 * becomes a key through HKDF, so a short-lived cookie never sees the secret itself, and a
 * list of secrets lets an app rotate: the first seals, every one of them opens.
 */

const IV_BYTES = 12;
const TAG_BYTES = 16;
/** The first byte of every sealed value: a later format can be told apart and refused. */
const VERSION = 1;

/** A secret shorter than this is guessable offline from one captured cookie. */
export const MIN_SECRET_LENGTH = 32;

export type SealingKeys = readonly Buffer[];

/** One key per secret, derived for `purpose` so the same secret used elsewhere yields another key. */
export function sealingKeys(secret: string | readonly string[], purpose: string, option: string): SealingKeys {
  const secrets = typeof secret === 'string' ? [secret] : secret;
  if (!Array.isArray(secrets) || secrets.length === 0) throw new TypeError(`${option} must be a string or a non-empty list of strings`);
  return secrets.map((value: unknown) => {
    if (typeof value !== 'string' || value.length < MIN_SECRET_LENGTH) {
      throw new TypeError(`${option} must be at least ${MIN_SECRET_LENGTH} characters (a random value, for example crypto.randomBytes(32).toString('base64url'))`);
    }
    return Buffer.from(hkdfSync('sha256', value, 'passport-feishu-oauth2', purpose, 32));
  });
}

/** `plaintext` sealed under the first key, bound to `context` (authenticated, not encrypted). */
export function seal(keys: SealingKeys, plaintext: string, context: string): string {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', keys[0]!, iv);
  cipher.setAAD(Buffer.from(context));
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([Buffer.of(VERSION), iv, cipher.getAuthTag(), body]).toString('base64url');
}

/** The plaintext, or `undefined` when no key opens `sealed` for `context` (tampered, foreign, or another format). */
export function open(keys: SealingKeys, sealed: string, context: string): string | undefined {
  const data = Buffer.from(sealed, 'base64url');
  if (data.length < 1 + IV_BYTES + TAG_BYTES || data[0] !== VERSION) return undefined;
  const iv = data.subarray(1, 1 + IV_BYTES);
  const tag = data.subarray(1 + IV_BYTES, 1 + IV_BYTES + TAG_BYTES);
  const body = data.subarray(1 + IV_BYTES + TAG_BYTES);
  for (const key of keys) {
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, iv);
      decipher.setAAD(Buffer.from(context));
      decipher.setAuthTag(tag);
      return Buffer.concat([decipher.update(body), decipher.final()]).toString('utf8');
    } catch {
      // GCM refused the tag: not this key.
    }
  }
  return undefined;
}
