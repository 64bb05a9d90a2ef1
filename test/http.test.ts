import assert from 'node:assert/strict';
import { createServer as createHttpServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTcpServer, type AddressInfo, type Server as TcpServer } from 'node:net';
import { after, afterEach, before, beforeEach, describe, mock, test } from 'node:test';
import { requestFeishu, TransportError, type FeishuResponse } from '../lib/http.js';

/**
 * requestFeishu against a real HTTP server on 127.0.0.1 that answers each path the way a
 * test needs: what goes on the wire, what comes back, and every way an answer can fail.
 */

const MAX_BODY_BYTES = 1024 * 1024;
/** Long enough never to fire on a loaded machine; tests of the timeout drive the clock themselves. */
const NO_TIMEOUT = 60_000;

interface Seen {
  readonly method: string | undefined;
  readonly path: string | undefined;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

let server: Server;
let origin: string;
const handlers = new Map<string, Handler>();
let seen: Seen[] = [];
/** Resolved once the server has read a request whose handler keeps the answer back. */
let received: Promise<void>;
let onReceived: () => void;

before(async () => {
  server = createHttpServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      seen.push({ method: req.method, path: req.url, headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      onReceived();
      const handler = handlers.get(new URL(req.url ?? '/', 'http://x').pathname);
      if (handler) handler(req, res);
      else json(res, 404, { code: 404, msg: 'no handler' });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});
beforeEach(() => {
  handlers.clear();
  seen = [];
  received = new Promise((resolve) => (onReceived = resolve));
});

function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

/** A JSON text of exactly `bytes` bytes. */
function jsonOfSize(bytes: number): string {
  const text = `{"pad":"${'x'.repeat(bytes - 10)}"}`;
  assert.equal(Buffer.byteLength(text), bytes);
  return text;
}

async function transportError(promise: Promise<FeishuResponse>): Promise<TransportError> {
  const err = await promise.then(
    (res) => assert.fail(`expected a TransportError, got HTTP ${res.status}`),
    (e: unknown) => e,
  );
  assert.ok(err instanceof TransportError, `expected a TransportError, got ${String(err)}`);
  assert.equal(err.name, 'TransportError');
  return err;
}

describe('requestFeishu: what goes on the wire', () => {
  test('a JSON POST with a bearer token: JSON body and type, length, Authorization, Accept and User-Agent', async () => {
    handlers.set('/token', (_req, res) => json(res, 200, { code: 0 }));
    const body = { app_id: 'cli_x', note: '飞书' };
    await requestFeishu({ url: `${origin}/token`, method: 'POST', bearer: 't-app', json: body }, NO_TIMEOUT);
    const [req] = seen;
    assert.equal(req?.method, 'POST');
    assert.deepEqual(JSON.parse(req.body), body);
    assert.equal(req.headers['content-type'], 'application/json; charset=utf-8');
    assert.equal(req.headers['content-length'], String(Buffer.byteLength(req.body)));
    assert.equal(req.headers.authorization, 'Bearer t-app');
    assert.equal(req.headers.accept, 'application/json');
    assert.equal(req.headers['user-agent'], 'passport-feishu-oauth2');
  });

  test('a form POST (suite passport): URL-encoded body and type, no Authorization', async () => {
    handlers.set('/form', (_req, res) => json(res, 200, {}));
    await requestFeishu({ url: `${origin}/form`, method: 'POST', form: { client_id: 'cli_x', redirect_uri: 'https://app/cb?a=1&b=2' } }, NO_TIMEOUT);
    const [req] = seen;
    assert.equal(req?.headers['content-type'], 'application/x-www-form-urlencoded');
    assert.deepEqual(Object.fromEntries(new URLSearchParams(req.body)), { client_id: 'cli_x', redirect_uri: 'https://app/cb?a=1&b=2' });
    assert.equal(req.headers.authorization, undefined);
  });

  test('a GET sends the query, no body and no content type', async () => {
    handlers.set('/user', (_req, res) => json(res, 200, {}));
    await requestFeishu({ url: `${origin}/user?x=1`, method: 'GET', bearer: 'u-user' }, NO_TIMEOUT);
    const [req] = seen;
    assert.equal(req?.method, 'GET');
    assert.equal(req.path, '/user?x=1');
    assert.equal(req.body, '');
    assert.equal(req.headers['content-type'], undefined);
    assert.equal(req.headers.authorization, 'Bearer u-user');
  });

  test('an https URL is spoken in TLS: the first byte on the wire opens a TLS handshake', async () => {
    let firstByte!: (byte: number | undefined) => void;
    const first = new Promise<number | undefined>((resolve) => (firstByte = resolve));
    const tcp: TcpServer = createTcpServer((socket) => {
      socket.once('data', (chunk: Buffer) => {
        firstByte(chunk[0]);
        socket.destroy();
      });
    });
    await new Promise<void>((resolve) => tcp.listen(0, '127.0.0.1', resolve));
    const { port } = tcp.address() as AddressInfo;
    // A TCP server that speaks no TLS cannot answer: the request fails, after its first bytes arrived.
    const err = await transportError(requestFeishu({ url: `https://127.0.0.1:${port}/token`, method: 'POST', json: { app_secret: 's' } }, NO_TIMEOUT));
    await new Promise<void>((resolve) => tcp.close(() => resolve()));
    assert.equal(err.kind, 'network');
    assert.equal(await first, 0x16, 'a TLS record of type handshake');
  });
});

describe('requestFeishu: answers', () => {
  test('the status, the parsed body and the X-Tt-Logid header reach the caller, whatever the status', async () => {
    handlers.set('/refused', (_req, res) => json(res, 400, { code: 20003, error: 'invalid_grant' }, { 'x-tt-logid': '2026LOG' }));
    const res = await requestFeishu({ url: `${origin}/refused`, method: 'POST', json: {} }, NO_TIMEOUT);
    assert.deepEqual(res, { status: 400, body: { code: 20003, error: 'invalid_grant' }, logId: '2026LOG' });
  });

  test('only X-Tt-Logid is a log id: an X-Request-Id, which any proxy or echoing upstream may set, is not read', async () => {
    handlers.set('/request-id', (_req, res) => json(res, 200, {}, { 'x-request-id': 'req-1' }));
    handlers.set('/both', (_req, res) => json(res, 200, {}, { 'x-request-id': 'req-2', 'x-tt-logid': 'tt-2' }));
    assert.equal((await requestFeishu({ url: `${origin}/request-id`, method: 'GET' }, NO_TIMEOUT)).logId, undefined);
    assert.equal((await requestFeishu({ url: `${origin}/both`, method: 'GET' }, NO_TIMEOUT)).logId, 'tt-2');
  });

  test('the caller vets the log id: one it refuses (a quoted secret) reaches neither the answer nor a TransportError', async () => {
    handlers.set('/quoted', (_req, res) => json(res, 200, {}, { 'x-tt-logid': 'AppSecret42' }));
    handlers.set('/quoted-html', (_req, res) => {
      res.writeHead(502, { 'content-type': 'text/html', 'x-tt-logid': 'AppSecret42' });
      res.end('<html>502</html>');
    });
    handlers.set('/none', (_req, res) => json(res, 200, {}));
    const vetted: string[] = [];
    const vetLogId = (logId: string) => (vetted.push(logId), logId.includes('Secret') ? undefined : logId);
    assert.equal((await requestFeishu({ url: `${origin}/none`, method: 'GET', vetLogId }, NO_TIMEOUT)).logId, undefined);
    assert.equal((await requestFeishu({ url: `${origin}/quoted`, method: 'GET', vetLogId }, NO_TIMEOUT)).logId, undefined);
    const err = await transportError(requestFeishu({ url: `${origin}/quoted-html`, method: 'GET', vetLogId }, NO_TIMEOUT));
    assert.equal(err.logId, undefined);
    assert.deepEqual(vetted, ['AppSecret42', 'AppSecret42']);
  });

  test('a log id passes only when shaped like one: a repeated header or free text is dropped', async () => {
    handlers.set('/repeated', (_req, res) => {
      res.setHeader('x-tt-logid', ['log-a', 'log-b']);
      json(res, 200, {});
    });
    handlers.set('/text', (_req, res) => {
      res.setHeader('x-tt-logid', 'call <b>support</b>');
      json(res, 200, {});
    });
    handlers.set('/long', (_req, res) => {
      res.setHeader('x-tt-logid', 'a'.repeat(65));
      json(res, 200, {});
    });
    handlers.set('/punctuated', (_req, res) => {
      res.setHeader('x-tt-logid', '2026_A.B');
      json(res, 200, {});
    });
    handlers.set('/good', (_req, res) => {
      res.setHeader('x-tt-logid', `2026-${'A'.repeat(58)}z`);
      json(res, 200, {});
    });
    const get = async (path: string) => (await requestFeishu({ url: `${origin}${path}`, method: 'GET' }, NO_TIMEOUT)).logId;
    assert.equal(await get('/repeated'), undefined);
    assert.equal(await get('/text'), undefined);
    assert.equal(await get('/long'), undefined);
    assert.equal(await get('/punctuated'), undefined);
    assert.equal(await get('/good'), `2026-${'A'.repeat(58)}z`);
  });

  test('a settled request leaves no timer behind, answered or failed: nothing keeps the process alive until the timeout', async () => {
    handlers.set('/quick', (_req, res) => json(res, 200, {}));
    handlers.set('/page', (_req, res) => {
      res.writeHead(502, { 'content-type': 'text/html' });
      res.end('<html>502</html>');
    });
    // Timers that keep the event loop alive; kept-alive sockets' idle timers do not.
    const timers = () => process.getActiveResourcesInfo().filter((resource) => resource === 'Timeout').length;
    const before = timers();
    await requestFeishu({ url: `${origin}/quick`, method: 'GET' }, NO_TIMEOUT);
    assert.equal(timers(), before, 'after an answer');
    await transportError(requestFeishu({ url: `${origin}/page`, method: 'GET' }, NO_TIMEOUT));
    assert.equal(timers(), before, 'after a failure');
  });

  test('calls one after another reuse one kept-alive connection', async () => {
    handlers.set('/ping', (req, res) => json(res, 200, { port: req.socket.remotePort }));
    const ports = [];
    for (let i = 0; i < 3; i += 1) ports.push((await requestFeishu({ url: `${origin}/ping`, method: 'GET' }, NO_TIMEOUT)).body);
    assert.equal(new Set(ports.map((body) => (body as { port: number }).port)).size, 1);
  });

  test('an answer of exactly 1 MiB is read, declared or streamed', async () => {
    const text = jsonOfSize(MAX_BODY_BYTES);
    handlers.set('/declared', (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': MAX_BODY_BYTES });
      res.end(text);
    });
    handlers.set('/streamed', (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write(text.slice(0, 1000));
      res.end(text.slice(1000));
    });
    for (const path of ['/declared', '/streamed']) {
      const res = await requestFeishu({ url: `${origin}${path}`, method: 'GET' }, NO_TIMEOUT);
      assert.equal((res.body as { pad: string }).pad.length, MAX_BODY_BYTES - 10, path);
    }
  });
});

describe('requestFeishu: failures are TransportErrors with kind, path, status and log id', () => {
  test('an HTML gateway page is not-json, with its status and log id', async () => {
    handlers.set('/gateway', (_req, res) => {
      res.writeHead(502, { 'content-type': 'text/html', 'x-tt-logid': 'gw-1' });
      res.end('<html>502 Bad Gateway</html>');
    });
    const err = await transportError(requestFeishu({ url: `${origin}/gateway?secret=x`, method: 'GET' }, NO_TIMEOUT));
    assert.equal(err.kind, 'not-json');
    assert.equal(err.path, '/gateway');
    assert.equal(err.feishuStatus, 502);
    assert.equal(err.logId, 'gw-1');
    assert.match(err.message, /^\/gateway: .*\b502\b/, 'the message names the path and the status');
  });

  test('an answer that declares more than 1 MiB is refused at the headers, without waiting for the body', async () => {
    handlers.set('/declared-huge', (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': MAX_BODY_BYTES + 1 });
      res.write('{"pad":"'); // and nothing more: only the declared length can tell
    });
    const err = await transportError(requestFeishu({ url: `${origin}/declared-huge`, method: 'GET' }, NO_TIMEOUT));
    assert.equal(err.kind, 'too-large');
    assert.equal(err.feishuStatus, 200);
    assert.match(err.message, new RegExp(`\\b${MAX_BODY_BYTES + 1}\\b`), 'the message names the declared size');
  });

  test('a streamed answer over 1 MiB is refused once it passes the limit', async () => {
    handlers.set('/streamed-huge', (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write(jsonOfSize(MAX_BODY_BYTES + 1)); // then stalls: the limit, not the end, must stop the read
    });
    const err = await transportError(requestFeishu({ url: `${origin}/streamed-huge`, method: 'GET' }, NO_TIMEOUT));
    assert.equal(err.kind, 'too-large');
    assert.equal(err.feishuStatus, 200);
    assert.match(err.message, new RegExp(`\\b${MAX_BODY_BYTES}\\b`), 'the message names the limit');
  });

  test('a connection cut mid-body is network, with the status and log id already received and the socket error code', async () => {
    handlers.set('/cut', (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': 100, 'x-tt-logid': 'cut-1' });
      res.write('{"code":0,');
      setImmediate(() => res.socket?.destroy());
    });
    const err = await transportError(requestFeishu({ url: `${origin}/cut`, method: 'GET' }, NO_TIMEOUT));
    assert.equal(err.kind, 'network');
    assert.equal(err.feishuStatus, 200);
    assert.equal(err.status, 502, 'a bad gateway for the app, whatever status the answer began with');
    assert.equal(err.statusCode, 502);
    assert.equal(err.logId, 'cut-1');
    assert.match(err.message, /\bECONNRESET\b/);
  });

  test('a refused connection is network, without a status, naming ECONNREFUSED', async () => {
    const closed = createTcpServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const err = await transportError(requestFeishu({ url: `http://127.0.0.1:${port}/open-apis/x`, method: 'GET' }, NO_TIMEOUT));
    assert.equal(err.kind, 'network');
    assert.equal(err.path, '/open-apis/x');
    assert.equal(err.feishuStatus, undefined);
    assert.match(err.message, /\bECONNREFUSED\b/);
  });

  test('a URL that is neither http nor https is network, naming the protocol', async () => {
    const err = await transportError(requestFeishu({ url: 'ftp://127.0.0.1/open-apis/x', method: 'GET' }, NO_TIMEOUT));
    assert.equal(err.kind, 'network');
    assert.equal(err.path, '/open-apis/x');
    assert.match(err.message, /ftp:/);
  });

  test('a token node:http refuses to send (a line break) is network, and the message does not quote it', async () => {
    const bearer = 'u-secret-part\r\nx-injected: 1';
    const err = await transportError(requestFeishu({ url: `${origin}/token`, method: 'GET', bearer }, NO_TIMEOUT));
    assert.equal(err.kind, 'network');
    assert.equal(err.feishuStatus, undefined);
    assert.match(err.message, /authorization/i, 'the message names the refused header');
    assert.ok(!err.message.includes('secret-part'));
    assert.equal(seen.length, 0);
  });

  describe('the timeout (a mocked clock)', () => {
    beforeEach(() => mock.timers.enable({ apis: ['setTimeout'] }));
    afterEach(() => mock.timers.reset());

    test('no answer within the timeout is timeout, naming the limit', async () => {
      handlers.set('/hang', () => undefined);
      const pending = requestFeishu({ url: `${origin}/hang`, method: 'POST', json: {} }, 5000);
      await received;
      mock.timers.tick(5000);
      const err = await transportError(pending);
      assert.equal(err.kind, 'timeout');
      assert.equal(err.path, '/hang');
      assert.equal(err.feishuStatus, undefined);
      assert.equal(err.status, 504, 'a gateway timeout for the app');
      assert.equal(err.statusCode, 504);
      assert.match(err.message, /\b5000 ms\b/);
    });
  });
});
