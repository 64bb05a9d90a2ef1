import { fork, type ChildProcess } from 'node:child_process';
import { startMockFeishu, type MockEndpoint, type MockFault, type MockFeishuOptions } from '../../lib/testing/index.js';
import type { MockApp } from '../../lib/testing/index.js';
import type { FeishuHosts } from '../../lib/index.js';

/**
 * The mock Feishu in a child process, so a test can measure its own heap without the
 * mock's (which keeps every code and token it issued), and so the mock has a core of its own.
 */

type Request = { id: number; op: 'calls' } | { id: number; op: 'resetCalls' } | { id: number; op: 'inject'; endpoint: MockEndpoint; fault: MockFault; times: number } | { id: number; op: 'close' };
type Reply = { id: number; ok: true; value?: unknown } | { id: number; ok: false; error: string };
type Ready = { ready: true; hosts: FeishuHosts; app: MockApp };

export interface MockProcess {
  readonly hosts: FeishuHosts;
  readonly app: MockApp;
  calls(): Promise<Record<MockEndpoint, number>>;
  resetCalls(): Promise<void>;
  inject(endpoint: MockEndpoint, fault: MockFault, times?: number): Promise<void>;
  close(): Promise<void>;
}

export async function startMockProcess(options: Pick<MockFeishuOptions, 'consent' | 'latency' | 'apps'> = {}): Promise<MockProcess> {
  const child: ChildProcess = fork(__filename, [JSON.stringify(options)], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const pending = new Map<number, { resolve: (value: unknown) => void; reject: (err: Error) => void }>();
  let nextId = 1;

  const ready = await new Promise<Ready>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the mock process did not start within 20 s')), 20_000);
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`the mock process exited with ${code}`)));
    child.on('message', (message: Ready | Reply) => {
      if ('ready' in message) {
        clearTimeout(timer);
        resolve(message);
        return;
      }
      const waiter = pending.get(message.id);
      pending.delete(message.id);
      if (message.ok) waiter?.resolve(message.value);
      else waiter?.reject(new Error(message.error));
    });
  });
  child.removeAllListeners('exit');
  child.on('exit', () => {
    for (const waiter of pending.values()) waiter.reject(new Error('the mock process exited'));
    pending.clear();
  });

  const ask = (request: Omit<Request, 'id'>): Promise<unknown> =>
    new Promise((resolve, reject) => {
      const id = nextId++;
      pending.set(id, { resolve, reject });
      child.send({ ...request, id });
    });

  return {
    hosts: ready.hosts,
    app: ready.app,
    calls: async () => (await ask({ op: 'calls' })) as Record<MockEndpoint, number>,
    resetCalls: async () => void (await ask({ op: 'resetCalls' })),
    inject: async (endpoint, fault, times = 1) => void (await ask({ op: 'inject', endpoint, fault, times } as Omit<Request, 'id'>)),
    async close() {
      if (child.exitCode !== null) return;
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      await ask({ op: 'close' }).catch(() => undefined);
      const killer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(killer);
    },
  };
}

async function runChild(): Promise<void> {
  const options = JSON.parse(process.argv[2] ?? '{}') as MockFeishuOptions;
  const mock = await startMockFeishu(options);
  const send = (message: Ready | Reply) => process.send?.(message);
  process.on('message', (request: Request) => {
    void (async () => {
      try {
        switch (request.op) {
          case 'calls':
            send({ id: request.id, ok: true, value: { ...mock.calls } });
            return;
          case 'resetCalls':
            mock.resetCalls();
            break;
          case 'inject':
            mock.inject(request.endpoint, request.fault, request.times);
            break;
          case 'close':
            send({ id: request.id, ok: true });
            await mock.close();
            process.disconnect();
            return;
        }
        send({ id: request.id, ok: true });
      } catch (err) {
        send({ id: request.id, ok: false, error: err instanceof Error ? err.message : String(err) });
      }
    })();
  });
  // The parent going away ends the child too.
  process.on('disconnect', () => {
    void mock.close().finally(() => process.exit(0));
  });
  send({ ready: true, hosts: mock.hosts, app: mock.app });
}

if (require.main === module) void runChild();
