import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { describe, test } from 'node:test';
import { BodyTooLarge, readEventBody, type EventRequest } from '../lib/events/body.js';

/** A request whose stream holds `chunks`; `read: true` reads it to the end first, as a body parser does. */
async function request(chunks: readonly Buffer[], extra: { body?: unknown; rawBody?: unknown; read?: boolean } = {}): Promise<EventRequest> {
  const stream = Readable.from(chunks);
  if (extra.read) for await (const _ of stream) void _;
  return Object.assign(stream, { body: extra.body, rawBody: extra.rawBody }) as unknown as EventRequest;
}

const MIB = 1024 * 1024;

describe('reading an event body: the bytes the signature covers', () => {
  test('req.rawBody first, as bytes or as a string', async () => {
    assert.deepEqual(await readEventBody(await request([Buffer.from('stream')], { rawBody: Buffer.from('kept') })), { bytes: Buffer.from('kept'), raw: true });
    assert.deepEqual(await readEventBody(await request([Buffer.from('stream')], { rawBody: '{"é":1}' })), { bytes: Buffer.from('{"é":1}', 'utf8'), raw: true });
  });

  test('then the unread stream, whole', async () => {
    const chunks = [Buffer.from('{"encrypt":'), Buffer.from('"abc"}')];
    assert.deepEqual(await readEventBody(await request(chunks, { body: { parsed: true } })), { bytes: Buffer.concat(chunks), raw: true });
  });

  test('a stream of exactly 1 MiB is read; one byte more is BodyTooLarge', async () => {
    const half = Buffer.alloc(MIB / 2, 0x20);
    assert.equal((await readEventBody(await request([half, half]))).bytes.length, MIB);
    await assert.rejects(readEventBody(await request([half, half, Buffer.from('x')])), BodyTooLarge);
  });

  test('a stream a parser already read: its body as bytes or text, raw', async () => {
    assert.deepEqual(await readEventBody(await request([Buffer.from('x')], { read: true, body: Buffer.from('bytes') })), { bytes: Buffer.from('bytes'), raw: true });
    assert.deepEqual(await readEventBody(await request([Buffer.from('x')], { read: true, body: 'text' })), { bytes: Buffer.from('text'), raw: true });
  });

  test('only a parsed object is re-serialised, and then it is not raw', async () => {
    const read = await readEventBody(await request([Buffer.from('x')], { read: true, body: { encrypt: 'abc' } }));
    assert.deepEqual(read, { bytes: Buffer.from('{"encrypt":"abc"}'), raw: false });
  });

  test('nothing left anywhere is an empty body, raw', async () => {
    for (const body of [undefined, null, 42]) {
      assert.deepEqual(await readEventBody(await request([Buffer.from('x')], { read: true, body })), { bytes: Buffer.alloc(0), raw: true });
    }
  });
});
