/** One HTTP call to Feishu: bounded in time and size, never rejecting with a secret in the message. */

export interface FeishuRequest {
  readonly url: string;
  readonly method: 'GET' | 'POST';
  readonly bearer?: string | undefined;
  readonly json?: object | undefined;
  readonly form?: Readonly<Record<string, string>> | undefined;
}

export interface FeishuResponse {
  readonly status: number;
  /** The parsed body; `undefined` never reaches callers (a non-JSON body is a TransportError). */
  readonly body: unknown;
  readonly logId: string | undefined;
}

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

function encode(req: FeishuRequest): { body: string | undefined; type: string | undefined } {
  if (req.json) return { body: JSON.stringify(req.json), type: 'application/json; charset=utf-8' };
  if (req.form) return { body: new URLSearchParams(req.form).toString(), type: 'application/x-www-form-urlencoded' };
  return { body: undefined, type: undefined };
}

async function readCapped(res: Response, path: string): Promise<string> {
  const declared = Number(res.headers.get('content-length'));
  if (declared > MAX_BODY_BYTES) {
    await res.body?.cancel();
    throw new TransportError('too-large', path, res.status, `answer of ${declared} bytes is larger than ${MAX_BODY_BYTES}`);
  }
  if (!res.body) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of res.body as AsyncIterable<Uint8Array>) {
    size += chunk.byteLength;
    if (size > MAX_BODY_BYTES) throw new TransportError('too-large', path, res.status, `answer is larger than ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function describeFailure(err: unknown, timeoutMs: number): { kind: TransportFailure; detail: string } {
  const name = err instanceof Error ? err.name : '';
  if (name === 'TimeoutError' || name === 'AbortError') return { kind: 'timeout', detail: `no answer within ${timeoutMs} ms` };
  const cause = err instanceof Error && err.cause instanceof Error ? err.cause : undefined;
  const code = cause && 'code' in cause && typeof cause.code === 'string' ? cause.code : undefined;
  return { kind: 'network', detail: `network error${code ? ` ${code}` : ''}` };
}

export async function requestFeishu(req: FeishuRequest, timeoutMs: number): Promise<FeishuResponse> {
  const path = new URL(req.url).pathname;
  const { body, type } = encode(req);
  const headers: Record<string, string> = { accept: 'application/json', 'user-agent': USER_AGENT };
  if (type) headers['content-type'] = type;
  if (req.bearer) headers.authorization = `Bearer ${req.bearer}`;

  let res: Response;
  let text: string;
  try {
    // One signal bounds headers and body alike, so a server that stalls mid-body still fails in time.
    res = await fetch(req.url, { method: req.method, headers, body, signal: AbortSignal.timeout(timeoutMs), redirect: 'error' });
    text = await readCapped(res, path);
  } catch (err) {
    if (err instanceof TransportError) throw err;
    const { kind, detail } = describeFailure(err, timeoutMs);
    throw new TransportError(kind, path, undefined, detail);
  }

  const logId = res.headers.get('x-tt-logid') ?? res.headers.get('x-request-id') ?? undefined;
  try {
    return { status: res.status, body: JSON.parse(text) as unknown, logId };
  } catch {
    throw new TransportError('not-json', path, res.status, `HTTP ${res.status} with a body that is not JSON`, logId);
  }
}
