// Child processes of the benchmark: started with an IPC channel, pinned to a CPU, asked
// questions over IPC, stopped by their own pid.
import { execFileSync, fork } from 'node:child_process';

/** Pins every thread of `pid` to `cpu` with taskset; returns false where that is impossible. */
export function pin(pid, cpu) {
  if (cpu === undefined || cpu === null) return false;
  try {
    execFileSync('taskset', ['-a', '-p', '-c', String(cpu), String(pid)], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/**
 * Forks `script` with `args`, pins it to `cpu`, waits for its `{ type: 'ready' }` message.
 * Resolves to a handle with `ask(message)` (one request, one answer, matched by id) and `stop()`.
 */
export async function startChild(script, args, { cpu, execArgv = [], env } = {}) {
  const child = fork(script, args, { execArgv, env: { ...process.env, ...env }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const pending = new Map();
  let nextId = 1;
  let exited = false;
  const ready = new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code, signal) => reject(new Error(`${script} ${args.join(' ')} exited before it was ready (${signal ?? code})`)));
    child.on('message', (msg) => {
      if (msg?.type === 'ready') resolve(msg);
      else if (msg?.type === 'answer' && pending.has(msg.id)) {
        const { resolve: answer, reject: fail } = pending.get(msg.id);
        pending.delete(msg.id);
        if (msg.error) fail(new Error(msg.error));
        else answer(msg.value);
      }
    });
  });
  child.on('exit', (code, signal) => {
    exited = true;
    for (const { reject } of pending.values()) reject(new Error(`${script} exited (${signal ?? code})`));
    pending.clear();
  });
  const info = await ready;
  const pinned = pin(child.pid, cpu);
  return {
    pid: child.pid,
    info,
    pinned: pinned ? cpu : 'any',
    ask(message) {
      if (exited) return Promise.reject(new Error(`${script} has exited`));
      const id = nextId++;
      return new Promise((resolve, reject) => {
        pending.set(id, { resolve, reject });
        child.send({ ...message, id });
      });
    },
    async stop() {
      if (exited) return;
      const gone = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
      await gone;
      clearTimeout(timer);
    },
  };
}

/** Child side: answers `ask` messages with `handlers[msg.type](msg)`; exits when the parent goes. */
export function serveParent(handlers) {
  process.on('message', async (msg) => {
    const handler = handlers[msg?.type];
    try {
      if (!handler) throw new Error(`no handler for ${msg?.type}`);
      process.send({ type: 'answer', id: msg.id, value: await handler(msg) });
    } catch (err) {
      process.send({ type: 'answer', id: msg.id, error: err instanceof Error ? err.message : String(err) });
    }
  });
  process.on('disconnect', () => process.exit(0));
  process.on('SIGTERM', () => process.exit(0));
}

/** CPU time and memory of this process, as the parent wants it. */
export function processStats() {
  const cpu = process.cpuUsage();
  const mem = process.memoryUsage();
  return { cpuMicros: cpu.user + cpu.system, rss: mem.rss, heapUsed: mem.heapUsed, wall: performance.now() };
}
