import type { IncomingMessage } from 'node:http';

/** A request as frameworks hand it over: maybe parsed already, maybe with the raw bytes kept. */
export type EventRequest = IncomingMessage & { body?: unknown; rawBody?: unknown };

export interface EventBody {
  /** The bytes the signature covers. */
  readonly bytes: Buffer;
  /**
   * false when `bytes` is `JSON.stringify(req.body)` because a body parser consumed the
   * stream and kept nothing else (the official node-sdk signs that too); it equals the sent
   * bytes only when Feishu sent compact JSON, as it does for `{"encrypt":"…"}`.
   */
  readonly raw: boolean;
}

export class BodyTooLarge extends Error {}

const MAX_EVENT_BYTES = 1024 * 1024;

function asBytes(value: unknown): Buffer | undefined {
  if (Buffer.isBuffer(value)) return value;
  if (typeof value === 'string') return Buffer.from(value);
  return undefined;
}

/**
 * Reads the stream up to the limit. Past it, stops listening and leaves the request alone:
 * a `for await` that throws destroys the request, and the half-read keep-alive connection
 * under it then swallowed the client's next request until it reset (issue 17, finding 14).
 * The caller answers 413 with `Connection: close` and ends the connection itself.
 */
function readStream(req: IncomingMessage): Promise<Buffer> {
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const stop = (): void => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
    };
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size <= MAX_EVENT_BYTES) {
        chunks.push(chunk);
        return;
      }
      stop();
      reject(new BodyTooLarge('event body too large'));
    };
    const onEnd = (): void => {
      stop();
      resolve(Buffer.concat(chunks));
    };
    const onError = (err: Error): void => {
      stop();
      reject(err);
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
  });
}

/**
 * The request body as sent, from the first place that has it: `req.rawBody` (NestJS
 * `rawBody: true`, a body parser's `verify` hook), the unread stream, a body that
 * `express.raw()` or `express.text()` left as bytes, and only then a parsed object.
 */
export async function readEventBody(req: EventRequest): Promise<EventBody> {
  const kept = asBytes(req.rawBody);
  if (kept) return { bytes: kept, raw: true };
  // A body parser that ran has read the stream to its end before calling the next handler.
  if (!req.readableEnded) return { bytes: await readStream(req), raw: true };
  const given = asBytes(req.body);
  if (given) return { bytes: given, raw: true };
  if (typeof req.body === 'object' && req.body !== null) return { bytes: Buffer.from(JSON.stringify(req.body)), raw: false };
  return { bytes: Buffer.alloc(0), raw: true };
}
