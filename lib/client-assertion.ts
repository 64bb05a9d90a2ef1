/**
 * Keyless apps: the app proves itself at `/oauth/v3/token` with a short-lived RFC 7523 JWT
 * (a client assertion) that a signing service makes, instead of a stored App Secret
 * (feishu-api.md §10.4; the behaviour of node-sdk 1.74 `client/client-assertion.ts`).
 * This package signs nothing: the app's provider returns the assertion for an audience.
 */
import { isIPv4, isIPv6 } from 'node:net';
import { redact } from './redaction.js';

/** A GDPR proxy that the token request goes through instead of Feishu's host. */
export interface ClientAssertionTarget {
  /** The proxy's host, `https://proxy.example.com` or `proxy.example.com`; https only. */
  readonly targetService: string;
  /** A path the proxy puts before Feishu's path, such as `/proxy/lark`. */
  readonly targetPrefix?: string;
}

/** What a `clientAssertion` provider may return instead of a bare JWT string. */
export interface ClientAssertionToken {
  /** The signed JWT. */
  readonly value: string;
  /** Send the token request through this GDPR proxy. */
  readonly targetInfo?: ClientAssertionTarget;
}

/**
 * Returns a fresh assertion whose `aud` is `audience` (the accounts host, such as
 * `accounts.feishu.cn`). Called once for every token request (code exchange or refresh).
 */
export type ClientAssertionProvider = (audience: string) => string | ClientAssertionToken | Promise<string | ClientAssertionToken>;

/** Why no assertion could be sent; no request was made. */
export type ClientAssertionFailure = 'provider_failed' | 'empty_assertion' | 'invalid_target';

/**
 * The app's `clientAssertion` provider failed, returned nothing usable, or named a proxy that
 * is not https. No request reached Feishu. Reaches the app as a Passport error (or a rejected
 * `refreshAccessToken`). A signing service's error may quote what it signed or signs with, and
 * error loggers print `cause` chains: so `cause` is a scrubbed copy of what the provider threw
 * (its name, and its message without tokens, PEM blocks or long base64/hex runs), and the
 * original is only in the non-enumerable `providerError`, which loggers, `JSON.stringify` and
 * `util.inspect` leave out. Read it deliberately, and never log it whole.
 */
export class ClientAssertionError extends Error {
  override readonly name = 'ClientAssertionError';
  /** 500: the app's own provider or its answer failed, not Feishu (nor a gateway). */
  readonly status = 500;
  readonly statusCode = 500;
  /** What the provider threw, unscrubbed (`provider_failed` only); not enumerable. */
  declare readonly providerError: unknown;
  constructor(
    readonly code: ClientAssertionFailure,
    message: string,
    options?: { providerError?: unknown },
  ) {
    super(message, options && 'providerError' in options ? { cause: scrubbedCopy(options.providerError) } : undefined);
    Object.defineProperty(this, 'providerError', { value: options?.providerError, enumerable: false });
  }
}

/** PEM blocks (a private key, a certificate), also one cut short. */
const PEM_BLOCK = /-----BEGIN [^-\n]*-----[\s\S]*?(?:-----END [^-\n]*-----|$)/g;
/** Key material and signatures are long base64 or hex; no word of an error message is. */
const LONG_OPAQUE = /[A-Za-z0-9+/_=-]{32,}/g;
/** A name of a class or error code, never free text. */
const NAME = /^[A-Za-z_$][\w$]{0,63}$/;

/** What `thrown` says, as an Error safe to log: its name, its message scrubbed, nothing else of it. */
function scrubbedCopy(thrown: unknown): Error {
  const original = thrown instanceof Error ? thrown : undefined;
  const text = original ? original.message : String(thrown);
  const copy = new Error(redact(text.replace(PEM_BLOCK, '[redacted]').replace(LONG_OPAQUE, '[redacted]'), []));
  copy.name = original && NAME.test(original.name) ? original.name : 'Error';
  return copy;
}

export const CLIENT_ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
export const TARGET_SERVICE_HEADER = 'X-Target-Service';

/**
 * The audience of an assertion presented at `url`: its host with the port when it is not the
 * scheme's default (`accounts.feishu.cn`; `127.0.0.1:50123` for the mock), as node-sdk
 * derives it. That is the host that checks the assertion, whatever proxy carries it.
 */
export function audienceOf(url: string): string {
  return new URL(url).host;
}

/** A prefix is a path: segments of URL path characters, each after a `/`. */
const PREFIX = /^(?:\/[A-Za-z0-9._~!$&'()*+,;=:@%-]*)*$/;

/** How a keyless app's provider may route its token requests. */
export interface ProxyPolicy {
  /** Whether a proxy on a loopback or link-local address may receive the assertion (tests only). */
  readonly allowLoopbackProxy?: boolean | undefined;
}

/**
 * Whether `hostname` (as WHATWG URL normalizes it: IPv4 in dotted decimal, IPv6 in brackets,
 * lower case) names this machine or its link: localhost, 127/8, 0/8, 169.254/16, ::1, ::,
 * fe80::/10 and their IPv4-mapped forms. A DNS name that resolves there is not seen here.
 */
export function isLoopbackOrLinkLocal(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').replace(/\.$/, '');
  if (host === 'localhost' || host.endsWith('.localhost')) return true;
  if (isIPv4(host)) {
    // isIPv4 accepts only four dotted numbers.
    const [a, b] = host.split('.').map(Number) as [number, number];
    return a === 127 || a === 0 || (a === 169 && b === 254);
  }
  if (!isIPv6(host)) return false;
  if (host === '::1' || host === '::' || /^fe[89ab][0-9a-f]:/.test(host)) return true;
  // URL writes ::ffff:127.0.0.1 as ::ffff:7f00:1.
  const mapped = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(host);
  if (!mapped) return false;
  const high = parseInt(mapped[1] as string, 16);
  return isLoopbackOrLinkLocal(`${high >> 8}.${high & 0xff}.0.0`);
}

/**
 * The URL of a token request sent through a GDPR proxy: `https://<targetService><targetPrefix><path>`.
 * The proxy receives the assertion, a bearer credential, so anything but a plain https origin
 * (an http:// service, user info, a path, query or fragment) and any prefix that is not a clean
 * path is refused rather than repaired; so is a service on a loopback or link-local address
 * (a provider tricked into naming one would hand the assertion to whatever listens on this
 * machine or its link), unless `policy.allowLoopbackProxy` says so.
 */
export function proxyURL(target: ClientAssertionTarget, path: string, policy: ProxyPolicy = {}): string {
  const { targetService, targetPrefix = '' } = target;
  if (typeof targetService !== 'string' || !targetService) throw invalidTarget('targetInfo.targetService is empty');
  let service: URL;
  try {
    service = new URL(targetService.includes('://') ? targetService : `https://${targetService}`);
  } catch {
    throw invalidTarget('targetInfo.targetService is not a host or https origin');
  }
  if (service.protocol !== 'https:') throw invalidTarget('targetInfo.targetService must use https');
  if (service.username || service.password) throw invalidTarget('targetInfo.targetService must not carry user info');
  if (service.pathname !== '/' || service.search || service.hash) throw invalidTarget('targetInfo.targetService must be an origin, without a path (put it in targetPrefix)');
  if (policy.allowLoopbackProxy !== true && isLoopbackOrLinkLocal(service.hostname)) {
    throw invalidTarget('targetInfo.targetService is a loopback or link-local address (allowLoopbackProxy: true allows it, for tests)');
  }
  // test() reads a non-string prefix as the template below writes it, so what passes is a clean path either way.
  if (!PREFIX.test(targetPrefix)) throw invalidTarget('targetInfo.targetPrefix must be empty or a path starting with /');
  const joined = `${targetPrefix}${path}`.replace(/\/{2,}/g, '/');
  // `..` (also percent-encoded) would climb out of the prefix on a proxy that normalizes paths.
  if (joined.split('/').some((segment) => ['.', '..'].includes(segment.replace(/%2e/gi, '.')))) {
    throw invalidTarget('targetInfo.targetPrefix must not contain . or .. segments');
  }
  return `https://${service.host}${joined}`;
}

function invalidTarget(message: string): ClientAssertionError {
  return new ClientAssertionError('invalid_target', `clientAssertion: ${message}`);
}

/** How one token request authenticates the app: fields for the body, and where it goes. */
export interface ClientProof {
  readonly url: string;
  readonly fields: Readonly<Record<string, string>>;
  readonly headers?: Readonly<Record<string, string>>;
  /** A credential made for this request only, to scrub from messages. */
  readonly secret?: string;
}

/**
 * Asks the provider for an assertion for the request to `url` and builds its client
 * authentication. Rejects with a ClientAssertionError before any request is made when the
 * provider throws, returns nothing or an empty value, or names a proxy that is not https.
 */
export async function assertionProof(provider: ClientAssertionProvider, clientID: string, url: string, policy: ProxyPolicy = {}): Promise<ClientProof> {
  const audience = audienceOf(url);
  let answer: unknown;
  try {
    answer = await provider(audience);
  } catch (err) {
    throw new ClientAssertionError('provider_failed', 'The clientAssertion provider failed; no token request was sent (see the cause).', { providerError: err });
  }
  const token: Partial<ClientAssertionToken> = typeof answer === 'string' ? { value: answer } : typeof answer === 'object' && answer !== null ? answer : {};
  const value = token.value;
  if (typeof value !== 'string' || value.trim() === '') {
    throw new ClientAssertionError('empty_assertion', 'The clientAssertion provider returned no assertion; no token request was sent.');
  }
  const fields = { client_id: clientID, client_assertion_type: CLIENT_ASSERTION_TYPE, client_assertion: value };
  if (token.targetInfo === undefined) return { url, fields, secret: value };
  if (typeof token.targetInfo !== 'object' || token.targetInfo === null) throw invalidTarget('targetInfo must be an object');
  // The proxy routes by this header to the host that checks the assertion (its audience).
  return { url: proxyURL(token.targetInfo, new URL(url).pathname, policy), fields, headers: { [TARGET_SERVICE_HEADER]: audience }, secret: value };
}

/** The classic client authentication: client_id and client_secret in the body. */
export function secretProof(clientID: string, clientSecret: string, url: string): ClientProof {
  return { url, fields: { client_id: clientID, client_secret: clientSecret } };
}
