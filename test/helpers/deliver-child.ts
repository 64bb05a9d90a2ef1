import { createRequire } from 'node:module';
import { FeishuStrategy } from '../../lib/index.js';
import { startMockFeishu } from '../../lib/testing/index.js';
import { run } from './harness.js';

/**
 * One sign-in in a process of its own, so fake timers or an uncaught exception touch no test
 * runner. Prints one JSON line: what the sign-in came to, and what reached the process.
 *   fake-timers: every timer and tick faked as Jest's default `jest.useFakeTimers()` does.
 *   app-throws:  the app's own code throws when Passport hands it the user.
 */
const mode = process.argv[2];
const realSetTimeout = setTimeout;
const realSetImmediate = setImmediate;
const realProcess = process;
const realGlobals = pick(globalThis);
const reached: string[] = [];
process.on('uncaughtException', (err) => reached.push(`uncaughtException: ${err.message}`));
process.on('unhandledRejection', (err) => reached.push(`unhandledRejection: ${String(err)}`));

interface Clock {
  uninstall(): void;
}
interface FakeTimers {
  withGlobal(global: typeof globalThis): { install(config: { toFake: string[] }): Clock };
}

const JEST_DEFAULT_FAKES = [
  'Date', 'hrtime', 'nextTick', 'performance', 'queueMicrotask', 'setImmediate', 'clearImmediate', 'setInterval', 'clearInterval', 'setTimeout', 'clearTimeout',
];

function pick(global: typeof globalThis): Record<string, unknown> {
  const { Date, performance, queueMicrotask, setImmediate, clearImmediate, setInterval, clearInterval, setTimeout, clearTimeout } = global;
  return { Date, performance, queueMicrotask, setImmediate, clearImmediate, setInterval, clearInterval, setTimeout, clearTimeout };
}

async function main(): Promise<void> {
  const mock = await startMockFeishu();
  const strategy = new FeishuStrategy(
    { clientID: mock.app.appId, clientSecret: mock.app.appSecret, domain: mock.hosts, timeout: 5000 },
    (_accessToken: string, _refreshToken: string, profile: { id: string }, done: (err: unknown, user?: object) => void) => done(null, { id: profile.id }),
  );
  const code = mock.issueCode();
  let clock: Clock | undefined;
  if (mode === 'fake-timers') {
    // Jest's modern timers are @sinonjs/fake-timers (a dependency of Jest's), installed on the
    // test's own global, whose `process` is an object of Jest's: Node's internals keep the real
    // one. The same here: the fakes go on a stand-in global that the app's modules then see.
    const fakeTimers = createRequire(__filename)('@sinonjs/fake-timers') as FakeTimers;
    const realm = { ...pick(globalThis), process: Object.create(process) as NodeJS.Process } as unknown as typeof globalThis;
    clock = fakeTimers.withGlobal(realm).install({ toFake: JEST_DEFAULT_FAKES });
    Object.assign(globalThis, realm);
  }
  const outcome =
    mode === 'app-throws'
      ? await new Promise<{ kind: string }>((resolve) => {
          process.once('uncaughtException', () => resolve({ kind: 'success, then the app threw' }));
          // Passport's own pattern (harness.ts), with actions that throw: passport-oauth2 turns
          // a throw from `success` into `error`, so the app's `error` throws too.
          const fails = (): never => {
            throw new Error('the app failed after sign-in');
          };
          const instance = Object.assign(Object.create(strategy) as FeishuStrategy, {
            success: fails,
            error: fails,
            fail: () => resolve({ kind: 'fail' }),
            redirect: () => resolve({ kind: 'redirect' }),
            pass: () => resolve({ kind: 'pass' }),
          });
          instance.authenticate({ query: { code }, headers: { host: 'app.example.com' }, session: {} } as never);
        })
      : await run(strategy, { query: { code } }).then((o) => (o.kind === 'error' ? { kind: `error: ${o.err.message}` } : o));
  clock?.uninstall();
  if (clock) Object.assign(globalThis, { ...realGlobals, process: realProcess });
  // Node reports an unhandled rejection once the microtasks drain: one turn of the loop.
  await new Promise((resolve) => realSetImmediate(resolve));
  console.log(JSON.stringify({ outcome: outcome.kind, reached }));
  await mock.close();
  process.exit(0);
}

realSetTimeout(() => {
  console.log(JSON.stringify({ outcome: 'no outcome within 20 s', reached }));
  process.exit(0);
}, 20_000).unref();
void main();
