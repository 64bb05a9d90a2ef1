import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomBytes } from 'node:crypto';

/** Bodies larger than this are refused, as any real gateway would. */
const MAX_BODY = 64 * 1024;

export interface ParsedBody {
  readonly kind: 'json' | 'form' | 'none' | 'invalid';
  readonly fields: Readonly<Record<string, unknown>>;
}

/** The raw body as text; `undefined` when it is larger than any gateway lets through. */
export async function readText(req: IncomingMessage): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY) return undefined;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

export async function readBody(req: IncomingMessage): Promise<ParsedBody> {
  const text = await readText(req);
  if (text === undefined) return { kind: 'invalid', fields: {} };
  if (!text) return { kind: 'none', fields: {} };
  const type = (req.headers['content-type'] ?? '').toLowerCase();
  if (type.startsWith('application/json')) {
    try {
      const json: unknown = JSON.parse(text);
      return typeof json === 'object' && json !== null && !Array.isArray(json) ? { kind: 'json', fields: json as Record<string, unknown> } : { kind: 'invalid', fields: {} };
    } catch {
      return { kind: 'invalid', fields: {} };
    }
  }
  if (type.startsWith('application/x-www-form-urlencoded')) return { kind: 'form', fields: Object.fromEntries(new URLSearchParams(text)) };
  return { kind: 'invalid', fields: {} };
}

export function logId(): string {
  return `2026${randomBytes(12).toString('hex').toUpperCase()}`;
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    'x-tt-logid': logId(),
  });
  res.end(text);
}

/** What Feishu's gateway answers for a path its host does not serve. */
export function sendNotFound(res: ServerResponse): void {
  const text = '404 page not found';
  res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(text), 'x-tt-logid': logId() });
  res.end(text);
}

export function sendHtml(res: ServerResponse, status: number, html: string): void {
  res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'content-length': Buffer.byteLength(html), 'x-tt-logid': logId() });
  res.end(html);
}

export function sendScript(res: ServerResponse, script: string): void {
  res.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8', 'content-length': Buffer.byteLength(script), 'access-control-allow-origin': '*' });
  res.end(script);
}

export function redirect(res: ServerResponse, location: string): void {
  res.writeHead(302, { location, 'content-length': 0 });
  res.end();
}

export function bearerOf(req: IncomingMessage): string | undefined {
  const header = req.headers.authorization;
  const match = typeof header === 'string' ? /^Bearer\s+(\S+)$/i.exec(header) : null;
  return match?.[1];
}

/** A string field, or undefined when absent, empty or not a string. */
export function field(fields: Readonly<Record<string, unknown>>, name: string): string | undefined {
  const value = fields[name];
  return typeof value === 'string' && value ? value : undefined;
}

/** `redirect_uri` plus the callback query, placed before any `#fragment` as Feishu does. */
export function withQuery(redirectUri: string, params: Record<string, string>): string {
  const hash = redirectUri.indexOf('#');
  const base = hash === -1 ? redirectUri : redirectUri.slice(0, hash);
  const fragment = hash === -1 ? '' : redirectUri.slice(hash);
  const query = new URLSearchParams(params).toString();
  return `${base}${base.includes('?') ? '&' : '?'}${query}${fragment}`;
}
