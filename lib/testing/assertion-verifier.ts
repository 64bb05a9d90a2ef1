import { createPublicKey, KeyObject, verify } from 'node:crypto';

/**
 * Checks RFC 7523 client assertions the way an OAuth server does (RFC 7523 §3, RFC 7515,
 * RFC 7519), for the mock's /oauth/v3/token. Feishu's own rules are not published; these are
 * the RFC's, with ES256 and RS256 as the algorithms a signing service would use.
 */

/**
 * A public key as a JSON Web Key (RFC 7517), such as `key.export({ format: 'jwk' })` gives.
 * Our own type: `@types/node` 25 and later no longer export `JsonWebKey` from `node:crypto`, and
 * the global one exists only with the DOM lib, so the declarations name neither.
 */
export interface AssertionJwk {
  readonly kty?: string;
  /** Chooses the key for an assertion whose header names this `kid`. */
  readonly kid?: string;
  readonly alg?: string;
  readonly use?: string;
  readonly crv?: string;
  readonly x?: string;
  readonly y?: string;
  readonly n?: string;
  readonly e?: string;
}

/** Public keys registered for an app: one KeyObject, or a list of KeyObjects and JWKs (a JWK's `kid` selects it). */
export type AssertionKeys = KeyObject | ReadonlyArray<KeyObject | AssertionJwk>;

export interface AssertionRules {
  /** The app's id: both `iss` and `sub` (RFC 7523 §3 B). */
  readonly clientId: string;
  /** The host the assertion is presented to: `aud` must name it (§3 C). */
  readonly audience: string;
  /** The mock's clock, in ms. */
  readonly now: number;
}

/** An assertion broke a rule; the message says which, and quotes nothing from the assertion. */
export class AssertionRejected extends Error {}

/** Short-lived means an hour at most, counted from now (and from `iat` when present). */
const MAX_LIFETIME_S = 3600;
/** Clocks differ a little: `iat` and `nbf` may be this far ahead of the mock's clock. */
const LEEWAY_S = 60;
/** A JWT of a few claims is well under this; larger is not an assertion. */
const MAX_LENGTH = 8192;
const B64URL = /^[A-Za-z0-9_-]*$/;

type Claims = Readonly<Record<string, unknown>>;

interface Candidate {
  readonly key: KeyObject;
  readonly kid: string | undefined;
}

function decodeJson(part: string, what: string): Claims {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
  } catch {
    throw new AssertionRejected(`its ${what} is not base64url JSON`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new AssertionRejected(`its ${what} is not a JSON object`);
  return value as Claims;
}

function candidatesOf(keys: AssertionKeys): Candidate[] {
  const list: ReadonlyArray<KeyObject | AssertionJwk> = keys instanceof KeyObject ? [keys] : keys;
  return list.map((entry) => {
    if (entry instanceof KeyObject) return { key: entry.type === 'public' ? entry : createPublicKey(entry), kid: undefined };
    const jwk = entry;
    // A copy's anonymous type has the index signature @types/node's JsonWebKey asks for.
    return { key: createPublicKey({ key: { ...jwk }, format: 'jwk' }), kid: typeof jwk.kid === 'string' ? jwk.kid : undefined };
  });
}

/** Each algorithm with the only key type it may use, so an RSA key never checks an ES256 header and so on. */
const ALGORITHMS: Readonly<Record<string, { fits: (key: KeyObject) => boolean; dsaEncoding?: 'ieee-p1363' }>> = {
  ES256: { fits: (key) => key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1', dsaEncoding: 'ieee-p1363' },
  RS256: { fits: (key) => key.asymmetricKeyType === 'rsa' && (key.asymmetricKeyDetails?.modulusLength ?? 0) >= 2048 },
};

function num(claims: Claims, name: string): number | undefined {
  const value = claims[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new AssertionRejected(`${name} is not a number of seconds`);
  return value;
}

/** Verifies assertions and remembers each `jti` until its `exp`, so none is accepted twice. */
export class AssertionVerifier {
  private readonly seen = new Map<string, number>();

  /** Throws AssertionRejected naming the first rule `jwt` breaks; records its `jti` when it breaks none. */
  verify(jwt: string, keys: AssertionKeys | undefined, rules: AssertionRules): void {
    if (!keys) throw new AssertionRejected('the app has no registered assertion keys');
    if (jwt.length > MAX_LENGTH) throw new AssertionRejected('it is too long to be an assertion');
    const parts = jwt.split('.');
    if (parts.length !== 3 || !parts.every((part) => B64URL.test(part))) throw new AssertionRejected('it is not a signed JWT (three base64url parts)');
    const [headerPart = '', payloadPart = '', signaturePart = ''] = parts;
    const header = decodeJson(headerPart, 'header');
    const algorithm = typeof header.alg === 'string' && Object.hasOwn(ALGORITHMS, header.alg) ? ALGORITHMS[header.alg] : undefined;
    // `none` and the HMAC algorithms included: only a key pair proves a keyless app.
    if (!algorithm) throw new AssertionRejected('alg must be ES256 or RS256');
    const signature = Buffer.from(signaturePart, 'base64url');
    if (signature.length === 0) throw new AssertionRejected('it has no signature');

    let candidates = candidatesOf(keys).filter((c) => algorithm.fits(c.key));
    if (typeof header.kid === 'string' && candidates.some((c) => c.kid === header.kid)) candidates = candidates.filter((c) => c.kid === header.kid);
    const input = Buffer.from(`${headerPart}.${payloadPart}`);
    const signed = candidates.some((c) => {
      try {
        return verify('sha256', input, algorithm.dsaEncoding ? { key: c.key, dsaEncoding: algorithm.dsaEncoding } : c.key, signature);
      } catch {
        return false;
      }
    });
    if (!signed) throw new AssertionRejected('its signature does not verify with any key registered for the app');

    const claims = decodeJson(payloadPart, 'payload');
    if (claims.iss !== rules.clientId) throw new AssertionRejected('iss must be the client id');
    if (claims.sub !== rules.clientId) throw new AssertionRejected('sub must be the client id');
    const aud = claims.aud;
    if (!(aud === rules.audience || (Array.isArray(aud) && aud.includes(rules.audience)))) throw new AssertionRejected(`aud must name ${rules.audience}`);
    const now = rules.now / 1000;
    const exp = num(claims, 'exp');
    if (exp === undefined) throw new AssertionRejected('exp is missing');
    if (exp <= now) throw new AssertionRejected('it has expired');
    if (exp - now > MAX_LIFETIME_S) throw new AssertionRejected('it lives longer than an hour');
    const iat = num(claims, 'iat');
    if (iat !== undefined && iat > now + LEEWAY_S) throw new AssertionRejected('iat is in the future');
    if (iat !== undefined && exp - iat > MAX_LIFETIME_S) throw new AssertionRejected('it lives longer than an hour');
    const nbf = num(claims, 'nbf');
    if (nbf !== undefined && nbf > now + LEEWAY_S) throw new AssertionRejected('it is not valid yet (nbf)');
    const jti = claims.jti;
    if (typeof jti !== 'string' || !jti || jti.length > 256) throw new AssertionRejected('jti is missing');
    const key = `${rules.clientId}\n${jti}`;
    this.forgetExpired(rules.now);
    if (this.seen.has(key)) throw new AssertionRejected('its jti was used before');
    this.seen.set(key, exp * 1000);
  }

  private forgetExpired(now: number): void {
    if (this.seen.size < 1000) return;
    for (const [key, exp] of this.seen) if (exp <= now) this.seen.delete(key);
  }
}
