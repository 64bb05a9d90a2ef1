import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { describe, test } from 'node:test';

/**
 * How the strategy hands Feishu's answers to Passport: in the promise's own reaction, so
 * fake timers do not hold a sign-in back, and an exception the app throws downstream
 * surfaces as an uncaught exception, never as an unhandled rejection, never swallowed.
 */

function child(mode: string): Promise<{ outcome: string; reached: string[] }> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['--import', 'tsx', join(__dirname, 'helpers', 'deliver-child.ts'), mode], { encoding: 'utf8', timeout: 60_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${err.message}\n${stderr}`));
      else resolve(JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as { outcome: string; reached: string[] });
    });
  });
}

describe('delivering Feishu answers to Passport', () => {
  test("a sign-in completes under Jest's default fake timers (nextTick, queueMicrotask, setImmediate and timers faked)", async () => {
    assert.deepEqual(await child('fake-timers'), { outcome: 'success', reached: [] });
  });

  test("an exception from the app's own code is an uncaught exception, not an unhandled rejection", async () => {
    assert.deepEqual(await child('app-throws'), { outcome: 'success, then the app threw', reached: ['uncaughtException: the app failed after sign-in'] });
  });
});
