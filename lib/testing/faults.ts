import type { IncomingMessage, ServerResponse } from 'node:http';
import { logId } from './wire.js';

/**
 * What can go wrong on the way to Feishu, as the mock reproduces it.
 * - `hang`: accept the request and never answer.
 * - `reset`: drop the connection without an answer.
 * - `html`: a gateway error page (HTTP 502 unless `status` says otherwise).
 * - `truncated`: half a JSON body, then the connection drops.
 * - `oversized`: a 2 MB JSON answer, larger than any Feishu answer.
 * - `error`: a Feishu error answer with this `code` (and `msg`, `status`), in the endpoint's own shape.
 * - `delay`: answer normally after `ms` milliseconds.
 * - `echo`: a Feishu error answer (in the endpoint's own shape, `code` 20001 unless given) whose
 *   message quotes the request back: its line, headers and body, raw (also with spaces removed),
 *   URL-encoded and JSON-escaped,
 *   as a careless upstream or proxy would. Proves that no secret sent reaches an error. With
 *   `encoding`, the credentials and the request line are quoted in that encoding only.
 */
export type MockFault =
  | { kind: 'hang' }
  | { kind: 'reset' }
  | { kind: 'html'; status?: number }
  | { kind: 'truncated' }
  | { kind: 'oversized' }
  | { kind: 'error'; code: number; msg?: string; status?: number }
  | { kind: 'delay'; ms: number }
  | { kind: 'echo'; code?: number; status?: number; encoding?: EchoEncoding };

/**
 * How an echo may quote the request: base64 or base64url (as a log of binary bodies would), hex,
 * HTML-escaped (`&amp;` `&lt;` `&gt;` `&quot;` `&#39;`), or each character as a decimal or hex
 * character reference.
 */
export type EchoEncoding = 'base64' | 'base64url' | 'hex' | 'html' | 'decimal-entities' | 'hex-entities';

const HTML_ESCAPES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

const ENCODERS: Readonly<Record<EchoEncoding, (text: string) => string>> = {
  base64: (text) => Buffer.from(text).toString('base64'),
  base64url: (text) => Buffer.from(text).toString('base64url'),
  hex: (text) => Buffer.from(text).toString('hex'),
  html: (text) => text.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c] ?? c),
  'decimal-entities': (text) => [...text].map((c) => `&#${c.codePointAt(0)};`).join(''),
  'hex-entities': (text) => [...text].map((c) => `&#x${c.codePointAt(0)?.toString(16)};`).join(''),
};

/** Writes a transport-level fault. Returns false for faults the endpoint itself must answer (error, delay). */
export function writeTransportFault(res: ServerResponse, fault: MockFault): boolean {
  switch (fault.kind) {
    case 'hang':
      // The socket stays open until the client gives up or the mock closes.
      return true;
    case 'reset':
      res.socket?.destroy();
      return true;
    case 'html': {
      const html = '<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body></html>';
      res.writeHead(fault.status ?? 502, { 'content-type': 'text/html', 'x-tt-logid': logId() });
      res.end(html);
      return true;
    }
    case 'truncated': {
      const text = JSON.stringify({ code: 0, msg: 'success', data: { access_token: 'u-truncated' } });
      res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': text.length, 'x-tt-logid': logId() });
      res.write(text.slice(0, text.length >> 1));
      setImmediate(() => res.socket?.destroy());
      return true;
    }
    case 'oversized': {
      const text = JSON.stringify({ code: 0, msg: 'success', data: { padding: 'x'.repeat(2 * 1024 * 1024) } });
      res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'x-tt-logid': logId() });
      res.end(text);
      return true;
    }
    case 'error':
    case 'delay':
    case 'echo':
      return false;
  }
}

/**
 * The request quoted three ways. The credentials (Authorization header and body) come first,
 * in every encoding, so that a message cut short still carries each form of each secret.
 */
export function echoOf(req: IncomingMessage, url: URL, body: string | undefined, encoding?: EchoEncoding): string {
  const authorization = req.headers.authorization ?? '';
  const credentials = `${url.search} ${authorization} ${body ?? ''}`;
  if (encoding) return `${ENCODERS[encoding](credentials)} | ${req.method ?? ''} ${url.pathname}`;
  const headers = Object.entries(req.headers)
    .map(([name, value]) => `${name}: ${String(value)}`)
    .join('\n');
  // The compact form glues each value to its neighbour ("Bearert-…"), as a log that strips spaces
  // would: only redaction by value, not by a token's shape, finds the secret there.
  const compact = credentials.replace(/\s+/g, '');
  const quoted = [compact, credentials, encodeURIComponent(credentials), JSON.stringify(credentials)].join(' | ');
  return `${quoted} | ${req.method ?? ''} ${url.pathname}${url.search}\n${headers}`;
}
