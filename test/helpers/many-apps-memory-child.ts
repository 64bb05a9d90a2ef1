/**
 * Signs in `count` apps, one after another in small batches, through one resolveApp strategy
 * against the mock whose hosts the parent passes; prints the registry size and the heap after
 * GC at the half and at the end. Run with `node --expose-gc --import tsx`.
 */
import type { Request } from 'express';
import { FeishuStrategy, type FeishuHosts, type FeishuProfile, type FeishuVerifyFunction } from '../../lib/index.js';

const [hostsJson, countText, capacityText] = process.argv.slice(2);
const hosts = JSON.parse(hostsJson ?? '{}') as FeishuHosts;
const count = Number(countText);
const capacity = Number(capacityText);
const CALLBACK = 'http://localhost:3000/auth/feishu/callback';

const strategy = new FeishuStrategy(
  {
    resolveApp: ({ req, appId }) => {
      const id = appId ?? (req?.params as Record<string, string> | undefined)?.app;
      return id ? { clientID: id, clientSecret: `secret-of-${id}-0123456789`, domain: hosts } : undefined;
    },
    appCacheSize: capacity,
    callbackURL: CALLBACK,
    state: true,
  },
  ((_accessToken, _refreshToken, profile, done) => done(null, profile)) satisfies FeishuVerifyFunction,
);
const registry = (strategy as unknown as { apps: { registry: { size: number } } }).apps.registry;

/** Runs one Passport request on a per-request object, as Passport does; resolves to how it ended. */
function run(req: object): Promise<{ redirect?: string; user?: FeishuProfile }> {
  return new Promise((resolve, reject) => {
    const probe = Object.create(strategy) as FeishuStrategy;
    probe.redirect = (url: string) => resolve({ redirect: url });
    probe.success = (user: FeishuProfile) => resolve({ user });
    probe.fail = (challenge?: unknown) => reject(new Error(`failed: ${JSON.stringify(challenge)}`));
    probe.error = (err: Error) => reject(err);
    probe.authenticate(req as Request, {});
  });
}

async function signIn(appId: string): Promise<void> {
  const session = {};
  const { redirect } = await run({ params: { app: appId }, query: {}, headers: { host: 'localhost:3000' }, session });
  const page = await fetch(redirect ?? '', { redirect: 'manual' });
  await page.arrayBuffer();
  const callback = new URL(page.headers.get('location') ?? '');
  const { user } = await run({ params: {}, query: Object.fromEntries(callback.searchParams), headers: { host: 'localhost:3000' }, session });
  if (user?.appId !== appId) throw new Error(`signed in as ${String(user?.appId)}, not ${appId}`);
}

function heapAfterGc(): number {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('run with --expose-gc');
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

async function main(): Promise<void> {
  const marks: Array<{ at: number; heap: number; size: number }> = [];
  const batch = 8;
  for (let i = 0; i < count; i += batch) {
    await Promise.all(Array.from({ length: Math.min(batch, count - i) }, (_, j) => signIn(`cli_mem_${i + j}`)));
    if (i + batch === count / 2 || i + batch >= count) marks.push({ at: Math.min(i + batch, count), heap: heapAfterGc(), size: registry.size });
  }
  process.stdout.write(JSON.stringify(marks));
}

main().catch((err: unknown) => {
  process.stderr.write(String(err instanceof Error ? err.stack : err));
  process.exitCode = 1;
});
