import { createCipheriv, createHash, randomBytes, randomUUID } from 'node:crypto';

/** Where the mock delivers an app's events, as configured in the console's Event Subscriptions. */
export interface EventSubscription {
  /** The app's event URL. */
  url: string;
  /** Whose events; default the mock's first app. */
  appId?: string;
  /** Encrypt payloads as Feishu does when an Encrypt Key is set. */
  encryptKey?: string;
  verificationToken?: string;
  /** Event schema; Feishu still sends app_ticket in the v1 shape (feishu-api.md §4.2). */
  schema?: '1.0' | '2.0';
}

/** AES-256-CBC, key = SHA-256(Encrypt Key), a random IV in front, base64. */
export function encryptEvent(payload: object, encryptKey: string): { encrypt: string } {
  const key = createHash('sha256').update(encryptKey).digest();
  const iv = randomBytes(16);
  const cipher = createCipheriv('aes-256-cbc', key, iv);
  const data = Buffer.concat([iv, cipher.update(JSON.stringify(payload), 'utf8'), cipher.final()]);
  return { encrypt: data.toString('base64') };
}

export function appTicketEvent(appId: string, ticket: string, sub: EventSubscription): object {
  if (sub.schema === '2.0') {
    return {
      schema: '2.0',
      header: { event_id: randomUUID(), event_type: 'app_ticket', create_time: String(Date.now()), token: sub.verificationToken ?? '', app_id: appId },
      event: { app_id: appId, app_ticket: ticket },
    };
  }
  return { uuid: randomUUID(), token: sub.verificationToken ?? '', ts: String(Date.now() / 1000), type: 'event_callback', event: { app_id: appId, app_ticket: ticket, type: 'app_ticket' } };
}

/**
 * The signature headers Feishu sends with every event once an Encrypt Key is set: lowercase hex
 * SHA-256 of timestamp + nonce + Encrypt Key + raw body (feishu-api.md §10.1). The mock once sent
 * none; node-sdk 1.74's EventDispatcher drops an unsigned event when it has an Encrypt Key
 * (`checkIsEventValidated`), and we follow the SDK as the better witness of real Feishu.
 */
export function signEvent(body: string, encryptKey: string): Record<string, string> {
  const timestamp = String(Math.floor(Date.now() / 1000));
  const nonce = randomBytes(8).toString('hex');
  const signature = createHash('sha256').update(timestamp + nonce + encryptKey + body).digest('hex');
  return { 'x-lark-request-timestamp': timestamp, 'x-lark-request-nonce': nonce, 'x-lark-signature': signature };
}

/** POSTs one event; resolves to the app's HTTP status. */
export async function deliverEvent(sub: EventSubscription, payload: object): Promise<number> {
  const body = JSON.stringify(sub.encryptKey ? encryptEvent(payload, sub.encryptKey) : payload);
  const headers = { 'content-type': 'application/json; charset=utf-8', ...(sub.encryptKey ? signEvent(body, sub.encryptKey) : {}) };
  const res = await fetch(sub.url, { method: 'POST', headers, body, signal: AbortSignal.timeout(5000) });
  await res.arrayBuffer();
  return res.status;
}
