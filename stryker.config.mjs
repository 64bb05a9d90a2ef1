// @ts-check
import { readdirSync } from 'node:fs';

/** Left out of the mutation run: see below. */
const SLOW = new Set([
  'browser.test.ts',
  'redis.test.ts',
  'load.test.ts',
  'fuzz.test.ts',
  // 2,000 sign-ins in a child process (~40 s); many-apps.test.ts and app-registry.test.ts cover the same code.
  'many-apps-memory.test.ts',
  'package.test.ts',
  // The examples and the official SDK: what they prove of lib/ the lib suites prove faster.
  'example.test.ts',
  'example-secrets.test.ts',
  'fastify.test.ts',
  'koa.test.ts',
  'nestjs.test.ts',
  'official-sdk.test.ts',
  'qr-browser.test.ts',
  'qr-example.test.ts',
  // These test the mock itself (lib/testing), which is not mutated.
  'qr-mock.test.ts',
  'qr-encode.test.ts',
  'mock.test.ts',
]);

/**
 * Mutation testing (`npm run test:mutation`): StrykerJS 9, the last major that runs on Node 20.
 *
 * The tap runner starts one node process per test file, with tsx for TypeScript and node:test's
 * TAP reporter. Its coverage is per test *file*: `perTest` here means a mutant is run only
 * against the test files that execute its code, not against single tests.
 *
 * Only the fast, deterministic suites: browser (headless Chromium), redis (a redis-server),
 * load (timing-heavy) and fuzz (~13 s) would make the run hours long or
 * its verdicts random; package tests the built dist/, which Stryker does not mutate.
 *
 * @type {import('@stryker-mutator/api/core').PartialStrykerOptions}
 */
export default {
  mutate: ['lib/**/*.ts', '!lib/testing/**'],
  testRunner: 'tap',
  tap: {
    // A mutant stops at the first test file that fails, and files run in this order: the
    // seconds-long fault suite last, so a mutant a unit test kills costs no fault run.
    testFiles: readdirSync('test')
      .filter((name) => name.endsWith('.test.ts') && !SLOW.has(name))
      .sort((a, b) => Number(a === 'faults.test.ts') - Number(b === 'faults.test.ts'))
      .map((name) => `test/${name}`),
    nodeArgs: ['--import', 'tsx', '--test-reporter=tap', '-r', '{{hookFile}}', '{{testFile}}'],
  },
  coverageAnalysis: 'perTest',
  reporters: ['clear-text', 'progress', 'html'],
  htmlReporter: { fileName: 'reports/mutation/index.html' },
  thresholds: { high: 90, low: 80, break: null },
};
