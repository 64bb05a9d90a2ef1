import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

/**
 * Feishu's event signature (feishu-api.md §10.1): lowercase hex SHA-256 over
 * timestamp + nonce + Encrypt Key + the request body, concatenated without separators.
 * Plain SHA-256, not an HMAC; sent only when the app has an Encrypt Key.
 */
export function eventSignature(timestamp: string, nonce: string, encryptKey: string, body: Buffer): string {
  return createHash('sha256').update(timestamp + nonce + encryptKey).update(body).digest('hex');
}

export type SignatureCheck = 'valid' | 'missing' | 'wrong';

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  const first = Array.isArray(value) ? value[0] : value;
  return first ? first : undefined;
}

/**
 * Checks `X-Lark-Signature` against the body in constant time. The timestamp header is
 * hashed as sent and not compared with the clock: none of the official SDKs (Go, Java,
 * Python, node) bounds its age, and its unit is not documented.
 */
export function checkEventSignature(headers: IncomingHttpHeaders, body: Buffer, encryptKey: string): SignatureCheck {
  const timestamp = header(headers, 'x-lark-request-timestamp');
  const nonce = header(headers, 'x-lark-request-nonce');
  const signature = header(headers, 'x-lark-signature');
  if (timestamp === undefined || nonce === undefined || signature === undefined) return 'missing';
  const expected = Buffer.from(eventSignature(timestamp, nonce, encryptKey, body));
  const received = Buffer.from(signature);
  return received.length === expected.length && timingSafeEqual(received, expected) ? 'valid' : 'wrong';
}
