import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One scripted answer: status, a JSON body (or raw text) and headers. */
export interface ScriptedAnswer {
  readonly status?: number;
  readonly json?: unknown;
  readonly text?: string;
  readonly headers?: Readonly<Record<string, string>>;
}

export interface ReceivedRequest {
  readonly method: string | undefined;
  readonly path: string | undefined;
  readonly headers: IncomingMessage['headers'];
  readonly body: string;
}

/**
 * A server on 127.0.0.1 that answers whatever a test scripts, for the shapes the mock
 * Feishu never sends (a `null` body, a token that is a number). Unscripted requests get a 500.
 */
export class AnswerServer {
  readonly received: ReceivedRequest[] = [];
  private readonly queue: ScriptedAnswer[] = [];
  private readonly server: Server;
  private origin_ = '';

  constructor() {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        this.received.push({ method: req.method, path: req.url, headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
        const answer = this.queue.shift() ?? { status: 500, json: { code: 20050, msg: 'nothing scripted' } };
        const text = answer.text ?? JSON.stringify(answer.json);
        res.writeHead(answer.status ?? 200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...answer.headers });
        res.end(text);
      });
    });
  }

  get origin(): string {
    return this.origin_;
  }

  /** The next requests get these answers, in order. */
  answer(...answers: ScriptedAnswer[]): this {
    this.queue.push(...answers);
    return this;
  }

  reset(): void {
    this.queue.length = 0;
    this.received.length = 0;
  }

  async listen(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.origin_ = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
