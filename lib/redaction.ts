// Redaction by value: what a message built from Feishu's answer must never show.
import { LOG_ID } from './http.js';

const TOKEN_LIKE = /\b(?:[tuar]|ur)-[A-Za-z0-9_.~+/=-]{8,}|\beyJ[A-Za-z0-9_.~+/=-]{8,}/g;
/** The same, for `test`, which a global regex would make depend on its last match. */
const HAS_TOKEN_LIKE = new RegExp(TOKEN_LIKE.source);

/** Shorter values are not secrets worth hiding, and cutting them would garble ordinary words. */
const MIN_SECRET_LENGTH = 4;

const MAX_MESSAGE_LENGTH = 500;

const jsonEscaped = (text: string): string => JSON.stringify(text).slice(1, -1);

/** How a value is written into a request: as it is, in a JSON string, in a query string or form body. */
const INNER: ReadonlyArray<(text: string) => string> = [
  (text) => text,
  jsonEscaped,
  encodeURIComponent,
  (text) => new URLSearchParams({ s: text }).toString().slice(2),
];

/**
 * How an answer may quote the request again: as it is, URL-encoded, or inside a JSON string
 * (also in the `\/` and `\u003c` styles of other JSON encoders).
 */
const OUTER: ReadonlyArray<(text: string) => string> = [
  ...INNER,
  (text) => jsonEscaped(text).replace(/\//g, '\\/'),
  (text) => jsonEscaped(text).replace(/[<>&]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`),
];

/** Every form in which `secret` may come back: each way of sending it, quoted each way again. */
function formsOf(secret: string): string[] {
  return INNER.flatMap((inner) => OUTER.map((outer) => outer(inner(secret))));
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Numeric character references, and the five named ones an HTML escaper writes. */
const ENTITY = /&(?:#(\d{1,7})|#x([0-9a-f]{1,6})|(amp|lt|gt|quot|apos));/gi;
const NAMED_ENTITIES: Readonly<Record<string, string>> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
/** `&amp;#38;…` is undone in three rounds; an answer that nests deeper is not a careless quote. */
const ENTITY_ROUNDS = 3;

function decodeEntities(text: string): string {
  let out = text;
  for (let round = 0; round < ENTITY_ROUNDS; round += 1) {
    out = out.replace(ENTITY, (entity, decimal: string | undefined, hex: string | undefined, name: string | undefined) => {
      if (name !== undefined) return NAMED_ENTITIES[name.toLowerCase()] ?? entity;
      // One of the two numbers matched; Number() reads `0x…` as hex.
      const point = Number(decimal ?? `0x${hex as string}`);
      return point <= 0x10ffff ? String.fromCodePoint(point) : entity;
    });
  }
  return out;
}

/**
 * A run of base64 or base64url (also with `+`, `/` and `=` percent-encoded or `/` JSON-escaped),
 * which hex runs are part of too. Shorter runs are ordinary words.
 */
const ENCODED_RUN = /(?:[A-Za-z0-9_+/-]|%2[BF]|\\\/){16,}(?:=|%3D){0,2}/gi;
const HEX_RUN = /[0-9a-f]{16,}/gi;

/**
 * What `run` may say once decoded: base64 from each of its first four characters (the quote may
 * not start on a group), hex from each of its first two. Node's base64 decoder skips what is not
 * base64 (`=`, a `%3D`), so only the escapes inside a run need undoing.
 */
function decodingsOf(run: string): string[] {
  const base64 = run.replace(/%2B/gi, '+').replace(/%2F|\\\//gi, '/');
  const out = [0, 1, 2, 3].map((skip) => Buffer.from(base64.slice(skip), 'base64').toString());
  for (const [hex] of run.matchAll(HEX_RUN)) out.push(Buffer.from(hex, 'hex').toString(), Buffer.from(hex.slice(1), 'hex').toString());
  return out;
}

/**
 * Messages travel to logs and failure pages, so before one is built from Feishu's answer,
 * HTML character references are decoded, every base64 or hex run that decodes to text holding
 * a secret (or anything token-shaped) is cut whole, every secret in `secrets` is cut out in
 * each of its forms (case-insensitively, so that lower-case percent-encoding is caught too),
 * then anything token-shaped, and the result is capped at 500 characters.
 */
export function redact(text: string, secrets: readonly string[]): string {
  const forms = new Set(secrets.filter((secret) => secret.length >= MIN_SECRET_LENGTH).flatMap(formsOf));
  // Longest first, so that a form is never cut in half by a shorter one it contains.
  const pattern = [...forms].sort((a, b) => b.length - a.length).map(escapeRegExp).join('|');
  const secret = forms.size > 0 ? new RegExp(pattern, 'i') : undefined;
  const holdsSecret = (decoded: string): boolean => secret?.test(decoded) === true || HAS_TOKEN_LIKE.test(decoded);
  let out = decodeEntities(text).replace(ENCODED_RUN, (run) => (decodingsOf(run).some(holdsSecret) ? '[redacted]' : run));
  if (secret) out = out.replace(new RegExp(pattern, 'gi'), '[redacted]');
  out = out.replace(TOKEN_LIKE, '[redacted]');
  return out.length > MAX_MESSAGE_LENGTH ? `${out.slice(0, MAX_MESSAGE_LENGTH)}…` : out;
}

const ALPHANUMERIC_RUN = /[A-Za-z0-9]+/g;

/** The longest run of letters and digits in `secret`: every form of it (`formsOf`) holds that run unchanged. */
function coreOf(secret: string): string {
  let core = '';
  for (const [run] of secret.matchAll(ALPHANUMERIC_RUN)) if (run.length > core.length) core = run;
  return core;
}

/**
 * `decodingsOf` for a log id, which holds no escapes, decoded byte for byte (latin1). A form of
 * a secret's alphanumeric run, or a token shape, is ASCII: utf8 would keep the same ASCII
 * characters in the same order, with a non-word character wherever latin1 has one, so the
 * answer is the same, for less work.
 */
function asciiDecodingsOf(logId: string): string[] {
  const out = [0, 1, 2, 3].map((skip) => Buffer.from(logId.slice(skip), 'base64').toString('latin1'));
  for (const [hex] of logId.matchAll(HEX_RUN)) out.push(Buffer.from(hex, 'hex').toString('latin1'), Buffer.from(hex.slice(1), 'hex').toString('latin1'));
  return out;
}

/**
 * Whether `redact(logId, secrets)` would change a log id, answered without building the forms
 * of every secret, which costs more than the rest of a login (the benchmark's profile). A log id
 * holds letters, digits and `-` only, so a form of a secret can appear in it, or in what it
 * decodes to, only with the secret's longest alphanumeric run: `false` here means `redact`
 * would cut nothing. `true` means it might, and `redact` decides. Any other text is left to `redact`.
 */
export function mayQuote(logId: string, secrets: readonly string[]): boolean {
  if (!LOG_ID.test(logId)) return true;
  // `redact` reads a run of 16 or more as base64 or hex, the whole log id here.
  const texts = logId.length >= 16 ? [logId, ...asciiDecodingsOf(logId)] : [logId];
  const cores = secrets.filter((secret) => secret.length >= MIN_SECRET_LENGTH).map((secret) => coreOf(secret).toLowerCase());
  return texts.some((text) => {
    const lower = text.toLowerCase();
    return HAS_TOKEN_LIKE.test(text) || cores.some((core) => lower.includes(core));
  });
}
