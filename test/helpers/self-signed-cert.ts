import { generateKeyPairSync, randomBytes, sign, X509Certificate, type KeyObject } from 'node:crypto';

/**
 * A self-signed X.509 certificate for 127.0.0.1, made at test time. node:crypto reads
 * certificates but cannot write one, so this writes the few DER structures of RFC 5280 that a
 * TLS server certificate needs (an EC P-256 key, ecdsa-with-SHA256, a subjectAltName),
 * rather than adding a dev dependency or shipping a key in the repository.
 */

function tlv(tag: number, content: Buffer): Buffer {
  const n = content.length;
  const length = n < 0x80 ? Buffer.from([n]) : n < 0x100 ? Buffer.from([0x81, n]) : Buffer.from([0x82, n >> 8, n & 0xff]);
  return Buffer.concat([Buffer.from([tag]), length, content]);
}

const sequence = (...items: Buffer[]): Buffer => tlv(0x30, Buffer.concat(items));

function oid(dotted: string): Buffer {
  const [a = 0, b = 0, ...rest] = dotted.split('.').map(Number);
  const bytes = [40 * a + b];
  for (const arc of rest) {
    const chunk = [arc & 0x7f];
    for (let v = arc >> 7; v > 0; v >>= 7) chunk.unshift((v & 0x7f) | 0x80);
    bytes.push(...chunk);
  }
  return tlv(0x06, Buffer.from(bytes));
}

/** UTCTime, YYMMDDHHMMSSZ (RFC 5280 §4.1.2.5.1; fine until 2049). */
function utcTime(date: Date): Buffer {
  const iso = date.toISOString();
  return tlv(0x17, Buffer.from(`${iso.slice(2, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}Z`));
}

const ECDSA_WITH_SHA256 = sequence(oid('1.2.840.10045.4.3.2'));

export interface SelfSigned {
  readonly key: KeyObject;
  /** PEM, for a TLS server and for NODE_EXTRA_CA_CERTS. */
  readonly certPem: string;
  readonly keyPem: string;
}

export function selfSignedCert(ip = '127.0.0.1'): SelfSigned {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const name = sequence(tlv(0x31, sequence(oid('2.5.4.3'), tlv(0x0c, Buffer.from('passport-feishu-oauth2 test proxy')))));
  const serial = randomBytes(8);
  // DER integers are positive and minimal: a first byte of 0x40–0x7f is neither negative nor a padding zero
  // (a zero there, one serial in 256, made OpenSSL refuse the certificate with "illegal padding").
  serial[0] = ((serial[0] ?? 0) & 0x3f) | 0x40;
  const now = Date.now();
  const altNames = sequence(tlv(0x87, Buffer.from(ip.split('.').map(Number))));
  const extensions = tlv(0xa3, sequence(sequence(oid('2.5.29.17'), tlv(0x04, altNames))));
  const tbs = sequence(
    tlv(0xa0, tlv(0x02, Buffer.from([2]))), // v3
    tlv(0x02, serial),
    ECDSA_WITH_SHA256,
    name,
    sequence(utcTime(new Date(now - 60 * 60 * 1000)), utcTime(new Date(now + 24 * 60 * 60 * 1000))),
    name,
    publicKey.export({ type: 'spki', format: 'der' }),
    extensions,
  );
  const signature = sign('sha256', tbs, privateKey);
  const der = sequence(tbs, ECDSA_WITH_SHA256, tlv(0x03, Buffer.concat([Buffer.from([0]), signature])));
  const certPem = `-----BEGIN CERTIFICATE-----\n${der.toString('base64').replace(/.{64}/g, '$&\n').replace(/\n?$/, '\n')}-----END CERTIFICATE-----\n`;
  // Parse it back: a malformed structure fails here, not as a puzzling TLS error.
  const parsed = new X509Certificate(certPem);
  if (!parsed.verify(publicKey) || parsed.checkIP(ip) !== ip) throw new Error('the generated certificate does not verify');
  return { key: privateKey, certPem, keyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() };
}
