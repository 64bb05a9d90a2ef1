import { once } from 'node:events';
import { createServer, request, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FeishuHosts } from 'passport-feishu-oauth2';

/** One request through the proxy and the answer it got. */
export interface Exchange {
  readonly host: keyof FeishuHosts;
  readonly method: string;
  readonly path: string;
  readonly requestHeaders: IncomingHttpHeaders;
  readonly requestBody: string;
  readonly status: number;
  readonly responseHeaders: IncomingHttpHeaders;
  readonly responseBody: string;
}

/**
 * An HTTP proxy in front of each of the mock's three hosts that keeps a copy of every
 * request and answer, so a test knows every secret that crossed the wire (the app token
 * Feishu issued, the user's tokens) without reading the mock's insides.
 */
export class RecordingProxy {
  readonly exchanges: Exchange[] = [];
  private readonly servers: Server[] = [];
  private hosts_: FeishuHosts = { open: '', accounts: '', passport: '' };

  get hosts(): FeishuHosts {
    return this.hosts_;
  }

  async listen(targets: FeishuHosts): Promise<this> {
    const origins: Partial<Record<keyof FeishuHosts, string>> = {};
    for (const host of ['open', 'accounts', 'passport'] as const) {
      const server = createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on('data', (chunk: Buffer) => chunks.push(chunk));
        req.on('end', () => {
          const requestBody = Buffer.concat(chunks).toString('utf8');
          const target = new URL(req.url ?? '/', targets[host]);
          const upstream = request(target, { method: req.method, headers: { ...req.headers, host: target.host } }, (answer) => {
            const parts: Buffer[] = [];
            answer.on('data', (chunk: Buffer) => parts.push(chunk));
            answer.on('end', () => {
              const body = Buffer.concat(parts);
              this.exchanges.push({
                host,
                method: req.method ?? '',
                path: req.url ?? '',
                requestHeaders: req.headers,
                requestBody,
                status: answer.statusCode ?? 0,
                responseHeaders: answer.headers,
                responseBody: body.toString('utf8'),
              });
              const headers = { ...answer.headers };
              delete headers['transfer-encoding'];
              res.writeHead(answer.statusCode ?? 502, { ...headers, 'content-length': body.length });
              res.end(body);
            });
          });
          upstream.on('error', () => res.destroy());
          upstream.end(requestBody);
        });
      });
      server.listen(0, '127.0.0.1');
      await once(server, 'listening');
      this.servers.push(server);
      origins[host] = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    }
    this.hosts_ = { open: origins.open ?? '', accounts: origins.accounts ?? '', passport: origins.passport ?? '' };
    return this;
  }

  async close(): Promise<void> {
    await Promise.all(
      this.servers.map((server) => {
        server.closeAllConnections();
        return new Promise((resolve) => server.close(resolve));
      }),
    );
  }
}

/** Field names whose values are secrets, in Feishu's requests and answers. */
const SECRET_FIELDS = ['code', 'code_verifier', 'app_secret', 'client_secret', 'app_ticket', 'app_access_token', 'tenant_access_token', 'access_token', 'refresh_token'];

function fieldsOf(body: string): Record<string, unknown> {
  try {
    const json: unknown = JSON.parse(body);
    if (json && typeof json === 'object') {
      const data = (json as { data?: unknown }).data;
      return { ...(json as Record<string, unknown>), ...(data && typeof data === 'object' ? (data as Record<string, unknown>) : {}) };
    }
  } catch {
    // Not JSON: maybe a form.
  }
  return Object.fromEntries(new URLSearchParams(body));
}

/** Every secret value that crossed the proxy: bearer tokens, and secret fields of bodies and queries. */
export function secretsSeen(exchanges: readonly Exchange[]): Set<string> {
  const found = new Set<string>();
  for (const exchange of exchanges) {
    const bearer = /^Bearer\s+(\S+)$/i.exec(exchange.requestHeaders.authorization ?? '')?.[1];
    if (bearer) found.add(bearer);
    const query = Object.fromEntries(new URL(exchange.path, 'http://x').searchParams);
    // A redirect back to the app carries the code in its Location.
    const location = Object.fromEntries(new URL(exchange.responseHeaders.location ?? '/', 'http://x').searchParams);
    const json = String(exchange.responseHeaders['content-type'] ?? '').startsWith('application/json');
    const sources = [query, location, fieldsOf(exchange.requestBody), json ? fieldsOf(exchange.responseBody) : {}];
    for (const fields of sources) {
      for (const name of SECRET_FIELDS) {
        const value = fields[name];
        if (typeof value === 'string' && value.length >= 8) found.add(value);
      }
    }
  }
  return found;
}
