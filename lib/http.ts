/** One HTTP call to Feishu: bounded in time and size, never rejecting with a secret in the message. */
import { Agent as HttpAgent, request as httpRequest, type ClientRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';

export interface FeishuRequest {
  readonly url: string;
  readonly method: 'GET' | 'POST';
  readonly bearer?: string | undefined;
  readonly json?: object | undefined;
  readonly form?: Readonly<Record<string, string>> | undefined;
  /** Extra request headers (the GDPR proxy's X-Target-Service), under names other than the lower-case ones set here. */
  readonly headers?: Readonly<Record<string, string>> | undefined;
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
 * Reaches apps as the `oauthError` of a passport-oauth2 `InternalOAuthError`.
 */
export class TransportError extends Error {
  override readonly name = 'TransportError';
  constructor(
    readonly kind: TransportFailure,
    readonly path: string,
    readonly status: number | undefined,
    detail: string,
    readonly logId?: string,
  ) {
    super(`${path}: ${detail}`);
  }
}

/** Feishu's answers are small JSON; anything larger is not Feishu (or is an attack). */
const MAX_BODY_BYTES = 1024 * 1024;

const USER_AGENT = 'passport-feishu-oauth2';

/** Feishu's log ids are 20–40 upper-case hex digits and letters (`20260101…`); this allows some room. */
const LOG_ID = /^[\w.-]{1,128}$/;

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

function encode(req: FeishuRequest): { body?: string; type?: string } {
  if (req.json) return { body: JSON.stringify(req.json), type: 'application/json; charset=utf-8' };
  if (req.form) return { body: new URLSearchParams(req.form).toString(), type: 'application/x-www-form-urlencoded' };
  return {};
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
  const { body, type } = encode(req);
  const headers: Record<string, string | number> = { accept: 'application/json', 'user-agent': USER_AGENT };
  if (type) headers['content-type'] = type;
  // Stryker disable next-line ConditionalExpression: end(body) makes node send this very Content-Length itself; it is set here so the wire does not rest on that undocumented detail.
  if (body !== undefined) headers['content-length'] = Buffer.byteLength(body);
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
      // messages and logs: only a log id's shape passes, never what an upstream echoed there.
      const logIdHeader = (res.headers['x-tt-logid'] ?? res.headers['x-request-id']) as string | undefined;
      const logId = logIdHeader?.match(LOG_ID)?.[0];
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
