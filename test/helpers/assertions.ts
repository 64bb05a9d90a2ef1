import { generateKeyPairSync, randomUUID, sign, type KeyObject } from 'node:crypto';

/**
 * RFC 7523 client assertions signed with node:crypto alone, as a keyless app's signing
 * service would make them (no JWT library).
 */

export type Claims = Record<string, unknown>;

const b64 = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');

/** A compact JWS over `claims`: ES256 (P-256, IEEE P1363 signature) or RS256, per the key. */
export function signJwt(privateKey: KeyObject, claims: Claims, header: Claims = {}): string {
  const alg = privateKey.asymmetricKeyType === 'ec' ? 'ES256' : 'RS256';
  const input = `${b64({ alg, typ: 'JWT', ...header })}.${b64(claims)}`;
  const options = alg === 'ES256' ? { key: privateKey, dsaEncoding: 'ieee-p1363' as const } : privateKey;
  return `${input}.${sign('sha256', Buffer.from(input), options).toString('base64url')}`;
}

/** Claims that pass every rule: iss = sub = the app, aud = the accounts host, five minutes, a fresh jti. */
export function validClaims(clientId: string, audience: string, now = Date.now()): Claims {
  const iat = Math.floor(now / 1000);
  return { iss: clientId, sub: clientId, aud: audience, iat, exp: iat + 300, jti: randomUUID() };
}

export function ecKeys(): { privateKey: KeyObject; publicKey: KeyObject } {
  return generateKeyPairSync('ec', { namedCurve: 'P-256' });
}

export function rsaKeys(): { privateKey: KeyObject; publicKey: KeyObject } {
  return generateKeyPairSync('rsa', { modulusLength: 2048 });
}
