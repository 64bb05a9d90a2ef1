import { randomBytes } from 'node:crypto';
import { FeishuAPIError, FeishuTokenError, InternalOAuthError, TransportError } from 'passport-feishu-oauth2';

/** Where the example writes what went wrong. Pass your own (pino, winston, a test's array). */
export interface ExampleLogger {
  info(line: string): void;
  error(line: string): void;
}

/**
 * What one error was, for the server log and for the page. The page gets `ref` and
 * `feishuLogId` only: both let support find the log line, neither says anything about it.
 */
export interface Incident {
  /** Ours, random, printed on the page and in the log line. */
  readonly ref: string;
  /** Feishu's `X-Tt-Logid`, which Feishu support asks for; only when it looks like one. */
  readonly feishuLogId: string | undefined;
  /** True when the error came from talking to Feishu (502), false for our own (500). */
  readonly upstream: boolean;
  /** The log line's fields, secrets already cut out. */
  readonly fields: Readonly<Record<string, string | number | undefined>>;
}

const REDACTED = '[redacted]';

/** Log ids are 20–64 letters and digits; anything else is not shown to anyone. */
const LOG_ID = /^[A-Za-z0-9_-]{1,128}$/;
const OAUTH_ERROR = /^[a-z_]{1,64}$/;
const CLASS_NAME = /^[A-Za-z]{1,64}$/;

const HTML_ESCAPES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/**
 * The ways a secret is spelled once quoted inside a message: as is, URL-encoded (both
 * the path and the form flavour), JSON-escaped (also with \u escapes) and HTML-escaped.
 */
export function spellings(secret: string): string[] {
  const forms = new Set([
    secret,
    encodeURIComponent(secret),
    new URLSearchParams({ s: secret }).toString().slice(2),
    JSON.stringify(secret).slice(1, -1),
    JSON.stringify(secret)
      .slice(1, -1)
      .replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`),
    secret.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c] ?? c),
  ]);
  // Longest first, so a short spelling never leaves the tail of a longer one behind.
  return [...forms].filter((form) => form.length >= 4).sort((a, b) => b.length - a.length);
}

/**
 * Cuts out every secret the app itself holds (its app secret, the session secret, the
 * code of this request), in every spelling. The library already removes these and
 * anything token-shaped from its messages; this is the app's own second line.
 */
export function scrub(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) for (const form of spellings(secret)) out = out.split(form).join(REDACTED);
  return out;
}

function safeLogId(value: unknown): string | undefined {
  return typeof value === 'string' && LOG_ID.test(value) ? value : undefined;
}

function nameOf(err: unknown): string {
  const name = err instanceof Error ? err.name : typeof err;
  return CLASS_NAME.test(name) ? name : 'Error';
}

/** Reads what an error says about Feishu: its code, its log id, the transport failure. */
function feishuFields(err: unknown): { fields: Record<string, string | number | undefined>; logId: string | undefined; upstream: boolean } {
  if (err instanceof FeishuTokenError || err instanceof FeishuAPIError) {
    const oauthError = err instanceof FeishuTokenError && typeof err.code === 'string' && OAUTH_ERROR.test(err.code) ? err.code : undefined;
    const logId = safeLogId(err.logId);
    return { fields: { feishuCode: err.feishuCode, oauthError, httpStatus: err.feishuStatus, feishuLogId: logId }, logId, upstream: true };
  }
  if (err instanceof InternalOAuthError) {
    const inner: unknown = err.oauthError;
    if (inner instanceof TransportError) {
      const logId = safeLogId(inner.logId);
      return { fields: { transport: inner.kind, path: inner.path, httpStatus: inner.feishuStatus, feishuLogId: logId }, logId, upstream: true };
    }
    return { fields: {}, logId: undefined, upstream: true };
  }
  return { fields: {}, logId: undefined, upstream: false };
}

/** Names an error for the log (with secrets cut out) and for the page (ref and log id only). */
export function incidentOf(err: unknown, secrets: readonly string[]): Incident {
  const ref = randomBytes(6).toString('hex');
  const { fields, logId, upstream } = feishuFields(err);
  const message = err instanceof Error ? err.message : String(err);
  // A stack helps with our own bugs; errors from Feishu are explained by their fields.
  const stack = !upstream && err instanceof Error && err.stack ? err.stack.split('\n').slice(1, 6).join('\n') : undefined;
  return {
    ref,
    feishuLogId: logId,
    upstream,
    fields: { ref, error: nameOf(err), ...fields, message: scrub(message, secrets), stack },
  };
}

/** One line per event, JSON after a short label: greppable, and no field can break the line. */
export function logLine(label: string, fields: Readonly<Record<string, unknown>>): string {
  return `${label} ${JSON.stringify(fields)}`;
}
