import { createConnection, createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * A TCP pass-through in front of the mock Feishu that counts live connections, so a test
 * can see whether a hung or reset request left a socket behind. Point the strategy's
 * `domain` at `origin`.
 */
export class ConnectionCounter {
  private readonly server: Server;
  private readonly pairs = new Map<Socket, { awaiting: boolean }>();
  /** Connections accepted since start. */
  opened = 0;
  private origin_ = '';

  constructor(private readonly targetPort: number) {
    this.server = createServer((client) => {
      this.opened += 1;
      const state = { awaiting: false };
      this.pairs.set(client, state);
      const upstream = createConnection({ host: '127.0.0.1', port: this.targetPort });
      // A request went up and no answer came back yet.
      client.on('data', () => (state.awaiting = true));
      upstream.on('data', () => (state.awaiting = false));
      const done = () => {
        this.pairs.delete(client);
        client.destroy();
        upstream.destroy();
      };
      client.on('error', done);
      upstream.on('error', done);
      client.on('close', done);
      upstream.on('close', done);
      client.pipe(upstream);
      upstream.pipe(client);
    });
  }

  get origin(): string {
    return this.origin_;
  }

  /** Client connections open right now (idle keep-alive connections included). */
  get live(): number {
    return this.pairs.size;
  }

  /**
   * Open connections whose last request got no answer yet. A client that gave up on a
   * request (timeout) must close its connection, so after a failed login this returns to 0;
   * idle keep-alive connections do not count.
   */
  get stuck(): number {
    let n = 0;
    for (const state of this.pairs.values()) if (state.awaiting) n += 1;
    return n;
  }

  async listen(): Promise<this> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(0, '127.0.0.1', () => resolve());
    });
    this.origin_ = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  /**
   * Resolves once no connection is left waiting on an unanswered request. Sockets close
   * asynchronously after a request is aborted, so this polls (every 10 ms, at most
   * `withinMs`) and rejects with the count otherwise.
   */
  async settle(withinMs = 2000): Promise<void> {
    const deadline = Date.now() + withinMs;
    for (let round = 0; round < 1000; round += 1) {
      if (this.stuck === 0) return;
      if (Date.now() >= deadline) break;
      await sleep(10);
    }
    throw new Error(`${this.stuck} connection(s) to the mock still wait on a request the client gave up on, ${withinMs} ms later`);
  }

  async close(): Promise<void> {
    for (const socket of this.pairs.keys()) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** Collects unhandled rejections for the life of a suite; `stop()` removes the listener. */
export function watchUnhandledRejections(): { readonly seen: unknown[]; stop(): void } {
  const seen: unknown[] = [];
  const listener = (reason: unknown) => {
    seen.push(reason);
  };
  process.on('unhandledRejection', listener);
  return { seen, stop: () => process.off('unhandledRejection', listener) };
}
