import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import { startMockFeishu, type MockFeishu } from '../lib/testing/index.js';
import { mockApp } from './helpers/many-apps.js';

const APPS = 2000;
const CAPACITY = 1000;

let mock: MockFeishu;
before(async () => {
  mock = await startMockFeishu({ apps: Array.from({ length: APPS }, (_, i) => mockApp(`cli_mem_${i}`)), consent: 'auto' });
});
after(() => mock.close());

test(`${APPS} apps sign in through one strategy with flat memory (LRU of ${CAPACITY})`, async () => {
  // A child of its own, with --expose-gc: the heap measured is the strategy's, not the mock's.
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['--expose-gc', '--import', 'tsx', 'test/helpers/many-apps-memory-child.ts', JSON.stringify(mock.hosts), String(APPS), String(CAPACITY)],
    { timeout: 300_000, maxBuffer: 1 << 20 },
  );
  const marks = JSON.parse(stdout) as Array<{ at: number; heap: number; size: number }>;
  assert.deepEqual(
    marks.map((m) => [m.at, m.size]),
    [
      [APPS / 2, CAPACITY],
      [APPS, CAPACITY],
    ],
    'the registry holds at most appCacheSize apps',
  );
  assert.equal(mock.calls.v1Token, APPS, 'every app signed in');
  const growth = (marks[1]?.heap ?? 0) - (marks[0]?.heap ?? 0);
  // Measured (Node 20): 0.9 MB with the bound (the cache's tokens for the apps added), 3.3 MB
  // with no bound (appCacheSize 5000): each kept app costs about 2.4 kB. 2 MB sits between them.
  assert.ok(growth < 2 * 1024 * 1024, `heap grew by ${(growth / 1024 / 1024).toFixed(1)} MB from app ${APPS / 2} to app ${APPS}`);
});
