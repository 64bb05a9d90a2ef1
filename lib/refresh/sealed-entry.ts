import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes } from 'node:crypto';

/**
 * How a refresh's result is kept in a shared cache without handing anyone a usable token:
 * the entry is named by an HMAC of the old refresh token and sealed (AES-256-GCM) with a key
 * derived (HKDF-SHA256) from it, so only a holder of the old token can find or read it.
 * `namespace` (the app: its OpenAPI origin and App ID) is bound into both, so two apps that
 * share a cache never meet each other's entries.
 */
export interface SealedEntryKeys {
  /** Names the entries of one refresh token; safe to show (an HMAC, base64url). */
  readonly id: string;
  /** Seals and opens the result of that refresh. */
  seal(value: unknown): string;
  /** The value sealed for this token, or undefined for anything else (another token, tampering, junk). */
  open(sealed: unknown): unknown;
}

const VERSION = 'v1';
const ID_LABEL = 'passport-feishu-oauth2 refresh id v1';
const KEY_LABEL = 'passport-feishu-oauth2 refresh result v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;

export function sealedEntryKeys(namespace: string, refreshToken: string): SealedEntryKeys {
  const id = createHmac('sha256', `${ID_LABEL}\0${namespace}`).update(refreshToken).digest('base64url');
  const key = Buffer.from(hkdfSync('sha256', refreshToken, namespace, KEY_LABEL, 32));
  // The id is the additional data: a sealed value moved under another entry's name does not open.
  const aad = Buffer.from(id);
  return {
    id,
    seal(value) {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
      cipher.setAAD(aad);
      const body = Buffer.concat([cipher.update(JSON.stringify(value), 'utf8'), cipher.final()]);
      return [VERSION, iv.toString('base64url'), body.toString('base64url'), cipher.getAuthTag().toString('base64url')].join('.');
    },
    open(sealed) {
      if (typeof sealed !== 'string') return undefined;
      const [version, iv, body, tag, extra] = sealed.split('.');
      if (version !== VERSION || iv === undefined || body === undefined || tag === undefined || extra !== undefined) return undefined;
      try {
        const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'), { authTagLength: TAG_BYTES });
        decipher.setAAD(aad);
        decipher.setAuthTag(Buffer.from(tag, 'base64url'));
        const text = Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString('utf8');
        return JSON.parse(text) as unknown;
      } catch {
        // A wrong key, a cut or altered entry: as good as no entry.
        return undefined;
      }
    },
  };
}
