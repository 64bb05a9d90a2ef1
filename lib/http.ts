/** One HTTP call to Feishu: bounded in time and size, never rejecting with a secret in the message. */
import { Agent as HttpAgent, request as httpRequest, type ClientRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { InternalOAuthError } from 'passport-oauth2';
import { BAD_GATEWAY, GATEWAY_TIMEOUT, type HttpMeaning } from './errors.js';

export interface FeishuRequest {
  readonly url: string;
  readonly method: 'GET' | 'POST';
  readonly bearer?: string | undefined;
  readonly json?: object | undefined;
  readonly form?: Readonly<Record<string, string>> | undefined;
  /** Extra request headers (the GDPR proxy's X-Target-Service), under names other than the lower-case ones set here. */
  readonly headers?: Readonly<Record<string, string>> | undefined;
  /**
   * Vets the answer's log id before it reaches a result or error (HeldSecrets.logId): returns it,
   * or `undefined` when it quotes a secret. Without it only the log id's shape is checked.
   */
  readonly vetLogId?: ((logId: string) => string | undefined) | undefined;
}

export interface FeishuResponse {
  readonly status: number;
  /** The parsed body; `undefined` never reaches callers (a non-JSON body is a TransportError). */
  readonly body: unknown;
  readonly logId: string | undefined;
}

/** Why a request produced no JSON answer: no answer in time, a broken connection, a non-JSON body, or one over the size limit. */
export type TransportFailure = 'timeout' | 'network' | 'not-json' | 'too-large';

/**
 * The request did not produce a JSON answer: nothing from Feishu to show.
 * Reaches apps as the `oauthError` of a passport-oauth2 `InternalOAuthError`, which carries
 * the same `status` and `statusCode`.
 */
export class TransportError extends Error implements HttpMeaning {
  override readonly name = 'TransportError';
  /** 504 when Feishu did not answer within `timeout`, else 502. */
  readonly status: number;
  readonly statusCode: number;
  constructor(
    readonly kind: TransportFailure,
    readonly path: string,
    /** The HTTP status of the answer, when one came (an HTML gateway page, a body cut short). */
    readonly feishuStatus: number | undefined,
    detail: string,
    readonly logId?: string,
  ) {
    super(`${path}: ${detail}`);
    this.status = kind === 'timeout' ? GATEWAY_TIMEOUT : BAD_GATEWAY;
    this.statusCode = this.status;
  }
}

/**
 * passport-oauth2's InternalOAuthError around a TransportError, with the transport error's
 * HTTP meaning (504 for a timeout, else 502), so the app's error handler answers with it.
 */
export function transportFailure(message: string, err: TransportError): InternalOAuthError & HttpMeaning {
  return Object.assign(new InternalOAuthError(message, err), { status: err.status, statusCode: err.statusCode });
}

/** Feishu's answers are small JSON; anything larger is not Feishu (or is an attack). */
const MAX_BODY_BYTES = 1024 * 1024;

const USER_AGENT = 'passport-feishu-oauth2';

/**
 * Feishu's log ids are about 34 digits and upper-case letters (a timestamp, then hex: `20260101…`);
 * the exact shape is not documented, so letters, digits and `-` up to 64 pass. Only
 * `X-Tt-Logid` is read: feishu-api.md §10 confirms no other header (oapi-sdk-go also falls back to
 * `X-Request-Id`, which any proxy or echoing upstream may set, so it is not read here).
 */
export const LOG_ID = /^[A-Za-z0-9-]{1,64}$/;

/**
 * node:http rather than fetch: on the login hot path undici's fetch costs about 0.3 ms of
 * CPU per call more (WHATWG streams, Headers, AbortSignal), which the benchmark measured
 * as 0.72× of the floor's throughput against 0.93× with node:http. Kept-alive sockets are
 * closed after 4 s idle, as undici does, so a server's idle timeout rarely meets a reused socket.
 */
const KEEP_ALIVE = { keepAlive: true, timeout: 4000 } as const;

const TRANSPORTS: Readonly<Record<string, { readonly agent: HttpAgent; readonly send: typeof httpRequest }>> = {
  'http:': { agent: new HttpAgent(KEEP_ALIVE), send: httpRequest },
  'https:': { agent: new HttpsAgent(KEEP_ALIVE), send: httpsRequest },
};

function encode(req: FeishuRequest): { body?: string; headers?: Record<string, string | number> } {
  if (req.json) return withBody(JSON.stringify(req.json), 'application/json; charset=utf-8');
  if (req.form) return withBody(new URLSearchParams(req.form).toString(), 'application/x-www-form-urlencoded');
  return {};
}

/**
 * end(body) makes node send this very Content-Length itself; it is set here so the wire does
 * not rest on that undocumented detail.
 */
function withBody(body: string, type: string): { body: string; headers: Record<string, string | number> } {
  return { body, headers: { 'content-type': type, 'content-length': Buffer.byteLength(body) } };
}

/** node:net, node:tls and the HTTP parser give every error they raise a code (ECONNRESET, ERR_SSL_…, HPE_…). */
function networkDetail(err: NodeJS.ErrnoException): string {
  return `network error ${err.code}`;
}

export function requestFeishu(req: FeishuRequest, timeoutMs: number): Promise<FeishuResponse> {
  const url = new URL(req.url);
  const path = url.pathname;
  const transport = TRANSPORTS[url.protocol];
  if (!transport) return Promise.reject(new TransportError('network', path, undefined, `unsupported protocol ${url.protocol}`));
  const { agent, send } = transport;
  const { body, headers: bodyHeaders } = encode(req);
  const headers: Record<string, string | number> = { accept: 'application/json', 'user-agent': USER_AGENT, ...bodyHeaders };
  if (req.bearer) headers.authorization = `Bearer ${req.bearer}`;
  Object.assign(headers, req.headers);

  return new Promise<FeishuResponse>((resolve, reject) => {
    // A promise settles once: whatever fails after the first outcome (the socket closing
    // after a timeout destroyed it) changes nothing, so no guard is needed.
    const settle = (outcome: () => void): void => {
      clearTimeout(timer);
      outcome();
    };
    let outgoing: ClientRequest | undefined;
    const fail = (err: TransportError): void =>
      settle(() => {
        outgoing?.destroy();
        reject(err);
      });
    // One timer bounds headers and body alike, so a server that stalls mid-body still fails in time.
    const timer = setTimeout(() => fail(new TransportError('timeout', path, undefined, `no answer within ${timeoutMs} ms`)), timeoutMs);

    const onResponse = (res: IncomingMessage): void => {
      const status = res.statusCode ?? 0;
      // node joins a repeated header into one string (only set-cookie comes as a list). The header reaches
      // messages and logs: only a log id's shape passes, and only if it quotes no secret.
      const shaped = (res.headers['x-tt-logid'] as string | undefined)?.match(LOG_ID)?.[0];
      const logId = shaped === undefined || !req.vetLogId ? shaped : req.vetLogId(shaped);
      if (Number(res.headers['content-length']) > MAX_BODY_BYTES) {
        fail(new TransportError('too-large', path, status, `answer of ${res.headers['content-length']} bytes is larger than ${MAX_BODY_BYTES}`));
        return;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_BODY_BYTES) fail(new TransportError('too-large', path, status, `answer is larger than ${MAX_BODY_BYTES} bytes`));
        else chunks.push(chunk);
      });
      // A connection cut mid-body ends in an 'error' (ECONNRESET, "aborted") before the response's 'close'.
      res.on('error', (err) => fail(new TransportError('network', path, status, networkDetail(err), logId)));
      res.on('end', () =>
        settle(() => {
          try {
            resolve({ status, body: JSON.parse(Buffer.concat(chunks, size).toString('utf8')) as unknown, logId });
          } catch {
            reject(new TransportError('not-json', path, status, `HTTP ${status} with a body that is not JSON`, logId));
          }
        }),
      );
    };
    try {
      outgoing = send(url, { method: req.method, headers, agent }, onResponse);
    } catch (err) {
      // node:http refuses some values outright (a header with a line break); that is no answer either.
      fail(new TransportError('network', path, undefined, `request not sent: ${(err as Error).message}`));
      return;
    }
    outgoing.on('error', (err) => fail(new TransportError('network', path, undefined, networkDetail(err))));
    outgoing.end(body);
  });
}
