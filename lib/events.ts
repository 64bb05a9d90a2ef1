import { createDecipheriv, createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

/** What the handler needs of a strategy: where its app's tickets go. */
export interface AppTicketStore {
  /** The app id (`cli_…`) the strategy signs in for. */
  readonly appId: string;
  saveAppTicket(ticket: string): Promise<void>;
}

export interface FeishuEventHandlerOptions {
  /** The strategies (store apps) whose app_ticket events this URL receives, matched by app id. */
  strategies: AppTicketStore | readonly AppTicketStore[];
  /** The console's Verification Token; events carrying another are refused. */
  verificationToken?: string;
  /** The console's Encrypt Key, when event encryption is on. */
  encryptKey?: string;
}

type Json = Record<string, unknown>;

/** Express-compatible: `(req, res, next)`; works with or without `express.json()` before it. */
export type FeishuEventHandler = (req: IncomingMessage & { body?: unknown }, res: ServerResponse, next?: (err?: unknown) => void) => void;

const MAX_EVENT_BYTES = 1024 * 1024;

class EventRejected extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

function asJson(value: unknown): Json | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Json) : undefined;
}

async function readJson(req: IncomingMessage & { body?: unknown }): Promise<Json> {
  const parsed = asJson(req.body);
  if (parsed) return parsed;
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_EVENT_BYTES) throw new EventRejected(413, 'event body too large');
    chunks.push(chunk);
  }
  try {
    const json = asJson(JSON.parse(Buffer.concat(chunks).toString('utf8')));
    if (json) return json;
  } catch {
    // fall through to the rejection below
  }
  throw new EventRejected(400, 'event body is not a JSON object');
}

/**
 * Feishu's event encryption: AES-256-CBC, key = SHA-256 of the Encrypt Key, the first
 * 16 bytes of the base64 payload are the IV.
 */
export function decryptEvent(encrypted: string, encryptKey: string): Json {
  const key = createHash('sha256').update(encryptKey).digest();
  const data = Buffer.from(encrypted, 'base64');
  if (data.length < 32) throw new EventRejected(400, 'encrypted event too short');
  try {
    const decipher = createDecipheriv('aes-256-cbc', key, data.subarray(0, 16));
    const text = Buffer.concat([decipher.update(data.subarray(16)), decipher.final()]).toString('utf8');
    const json = asJson(JSON.parse(text));
    if (json) return json;
  } catch {
    // a wrong key shows up as bad padding or garbage JSON
  }
  throw new EventRejected(400, 'cannot decrypt the event: check encryptKey');
}

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function reply(res: ServerResponse, status: number, body: Json): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/**
 * Receives Feishu's event callbacks for store apps: answers the `url_verification`
 * challenge, checks the Verification Token, decrypts encrypted events, and saves each
 * `app_ticket` where the matching strategy reads it. Other events are acknowledged.
 * Both event schemas are read: v1 (`type`, `token`, `event.type`) and 2.0 (`header.event_type`, `header.token`).
 */
export function feishuEventHandler(options: FeishuEventHandlerOptions): FeishuEventHandler {
  const strategies = Array.isArray(options.strategies) ? (options.strategies as readonly AppTicketStore[]) : [options.strategies as AppTicketStore];

  async function handle(req: IncomingMessage & { body?: unknown }): Promise<Json> {
    let event = await readJson(req);
    if (typeof event.encrypt === 'string') {
      if (!options.encryptKey) throw new EventRejected(400, 'encrypted event, but no encryptKey configured');
      event = decryptEvent(event.encrypt, options.encryptKey);
    }
    const header = asJson(event.header) ?? {};
    const body = asJson(event.event) ?? {};
    const token = typeof header.token === 'string' ? header.token : event.token;
    if (options.verificationToken && (typeof token !== 'string' || !sameSecret(token, options.verificationToken))) {
      throw new EventRejected(401, 'verification token mismatch');
    }
    if (event.type === 'url_verification') return { challenge: event.challenge };

    const type = header.event_type ?? body.type;
    if (type === 'app_ticket') {
      const appId = body.app_id ?? header.app_id;
      const ticket = body.app_ticket;
      const target = strategies.find((s) => s.appId === appId);
      if (!target) throw new EventRejected(404, `no strategy for app ${String(appId)}`);
      if (typeof ticket !== 'string' || !ticket) throw new EventRejected(400, 'app_ticket event without a ticket');
      await target.saveAppTicket(ticket);
    }
    return {};
  }

  return (req, res) => {
    handle(req).then(
      (answer) => reply(res, 200, answer),
      (err: unknown) => reply(res, err instanceof EventRejected ? err.status : 500, { error: err instanceof EventRejected ? err.message : 'event handling failed' }),
    );
  };
}
