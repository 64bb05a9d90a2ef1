import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, test } from 'node:test';

/**
 * Runs a snippet in a fresh Node process against the built package, resolved by name
 * through the `exports` map, exactly as an app would load it.
 */
function node(args: string[], code: string): string {
  return execFileSync(process.execPath, [...args, code], { cwd: join(__dirname, '..'), encoding: 'utf8' }).trim();
}

describe('the published package (dist/, by name)', () => {
  test('require() gives FeishuStrategy, Strategy and the error classes', () => {
    const out = node(
      ['-e'],
      `const m = require('passport-feishu-oauth2');
       const s = new m.FeishuStrategy({ clientID: 'cli_x', clientSecret: 'y' }, () => {});
       console.log([m.Strategy === m.FeishuStrategy, s.name, s instanceof require('passport-oauth2').Strategy,
         typeof m.FeishuAPIError, typeof m.TokenError, typeof m.feishuEventHandler].join(' '));`,
    );
    assert.equal(out, 'true feishu true function function function');
  });

  test('import gives the same named exports', () => {
    const out = node(
      ['--input-type=module', '-e'],
      `import { FeishuStrategy, Strategy, FeishuTokenError, InternalOAuthError } from 'passport-feishu-oauth2';
       console.log(FeishuStrategy === Strategy, typeof FeishuTokenError, typeof InternalOAuthError);`,
    );
    assert.equal(out, 'true function function');
  });

  test('the testing subpath starts and stops a mock', () => {
    const out = node(
      ['-e'],
      `const { startMockFeishu } = require('passport-feishu-oauth2/testing');
       startMockFeishu().then(async (m) => { console.log(/^http:\\/\\/127\\.0\\.0\\.1:\\d+$/.test(m.origin)); await m.close(); });`,
    );
    assert.equal(out, 'true');
  });

  test('package.json is exported and names no runtime dependency beyond passport-oauth2 and its types', () => {
    const out = node(['-e'], `console.log(JSON.stringify(Object.keys(require('passport-feishu-oauth2/package.json').dependencies).sort()))`);
    assert.equal(out, '["@types/passport-oauth2","passport-oauth2"]');
  });
});
