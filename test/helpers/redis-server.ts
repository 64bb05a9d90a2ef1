import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, mkdtempSync, rmSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/** A throwaway `redis-server` on 127.0.0.1: no persistence, its own temp dir, killed by `stop()`. */
export interface RedisServer {
  readonly port: number;
  /** `redis://127.0.0.1:<port>` */
  readonly url: string;
  /** Everything redis-server printed so far, for failure messages. */
  readonly log: () => string;
  stop(): Promise<void>;
}

/** Where `redis-server` is on PATH, or undefined. REDIS_SERVER names another binary. */
export function findRedisServer(): string | undefined {
  const explicit = process.env.REDIS_SERVER;
  if (explicit) return explicit;
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, 'redis-server');
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this directory
    }
  }
  return undefined;
}

/** CI=true (or any value other than empty/false/0): a missing redis-server is a failure, not a skip. */
export function onCI(): boolean {
  const ci = process.env.CI;
  return ci !== undefined && ci !== '' && ci !== 'false' && ci !== '0';
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (!address || typeof address === 'string') throw new Error('no port');
  return address.port;
}

/** One PING over a raw connection: true when the server answers +PONG. */
function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    let answer = '';
    const finish = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => finish(false));
    socket.once('error', () => finish(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk: Buffer) => {
      answer += chunk.toString('latin1');
      if (answer.includes('\r\n')) finish(answer.startsWith('+PONG'));
    });
  });
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

interface Spawned {
  readonly log: () => string;
  stop(): Promise<void>;
}

/** One redis-server process on `port`, resolved once it answers PING (polled, at most `readyTimeoutMs`). */
async function spawnRedis(binary: string, port: number, readyTimeoutMs: number): Promise<Spawned> {
  const dir = mkdtempSync(join(tmpdir(), 'passport-feishu-redis-'));
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, '--daemonize', 'no', '--loglevel', 'warning'];
  // Through a small shell that ends Redis when its stdin closes: the test holds that pipe,
  // so Redis goes away with the test process however it ends (even killed), never orphaned.
  const child = spawn('/bin/sh', ['-c', 'exec 3<&0; "$0" "$@" & pid=$!; (cat <&3 >/dev/null; kill "$pid" 2>/dev/null) & wait "$pid"', binary, ...args], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  let failed: Error | undefined;
  child.once('error', (err) => (failed = err));

  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.stdin?.end(); // the shell then stops Redis (SIGTERM) and exits when it has
      const killer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited(child);
      clearTimeout(killer);
    }
    rmSync(dir, { recursive: true, force: true });
  };

  const deadline = Date.now() + readyTimeoutMs;
  // Poll: one connection attempt per round, 20 ms apart, bounded by the deadline and a round count.
  for (let round = 0; round < 500 && Date.now() < deadline; round += 1) {
    if (failed || child.exitCode !== null) break; // 127: the shell could not run the binary
    if (await ping(port)) return { log: () => output, stop };
    await sleep(20);
  }
  await stop();
  throw failed ?? new Error(`redis-server did not answer PING on port ${port} within ${readyTimeoutMs} ms (exit ${child.exitCode}): ${output.slice(-500)}`);
}

/** A throwaway redis-server that can also be stopped and started again on its port (an outage). */
export interface RestartableRedisServer extends RedisServer {
  /** Starts it again on the same port, empty (nothing is persisted). */
  start(): Promise<void>;
}

/**
 * Starts redis-server on a free port and resolves once it answers PING. Retries on another
 * port if the chosen one was taken meanwhile.
 */
export async function startRedisServer(binary: string, readyTimeoutMs = 10_000): Promise<RestartableRedisServer> {
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt += 1) {
    const port = await freePort();
    let current: Spawned;
    try {
      current = await spawnRedis(binary, port, readyTimeoutMs);
    } catch (err) {
      lastError = err;
      if (err instanceof Error && 'code' in err) break; // the binary itself cannot run: another port will not help
      continue;
    }
    let running = true;
    return {
      port,
      url: `redis://127.0.0.1:${port}`,
      log: () => current.log(),
      async stop() {
        if (!running) return;
        running = false;
        await current.stop();
      },
      async start() {
        if (running) return;
        current = await spawnRedis(binary, port, readyTimeoutMs);
        running = true;
      },
    };
  }
  throw lastError instanceof Error ? lastError : new Error(String(lastError));
}
