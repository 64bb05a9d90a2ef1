import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join, posix } from 'node:path';
import { describe, test } from 'node:test';

/**
 * Runs a snippet in a fresh Node process against the built package, resolved by name
 * through the `exports` map, exactly as an app would load it.
 */
const root = join(__dirname, '..');

function node(args: string[], code: string): string {
  return execFileSync(process.execPath, [...args, code], { cwd: root, encoding: 'utf8' }).trim();
}

/**
 * The files `npm publish` would put in the tarball. `--ignore-scripts` skips `prepack`, whose
 * rebuild would pull dist/ from under the test files running beside this one.
 */
function packedFiles(): string[] {
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const out = execFileSync(npm, ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  const [pack] = JSON.parse(out) as Array<{ files: Array<{ path: string }> }>;
  return (pack?.files ?? []).map((file) => file.path);
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

describe('the tarball (npm pack)', () => {
  const files = packedFiles();

  test('ships the build, both entry points, README, LICENSE and CHANGELOG', () => {
    for (const file of ['package.json', 'README.md', 'LICENSE', 'CHANGELOG.md', 'dist/index.js', 'dist/index.d.ts', 'dist/testing/index.js', 'dist/testing/index.d.ts']) {
      assert.ok(files.includes(file), `${file} is in the tarball`);
    }
  });

  test('ships nothing from test/, example/ or bench/', () => {
    assert.deepEqual(files.filter((file) => /^(test|example|bench)\//.test(file)), []);
  });

  test('ships the guides in docs/ and their images, and not the generated API reference', () => {
    assert.ok(files.includes('docs/flows.md') && files.includes('docs/signin.png'), 'guides and screenshots are in the tarball');
    assert.deepEqual(files.filter((file) => file.startsWith('docs/') && !/^docs\/[^/]+\.(md|png)$/.test(file)), []);
    assert.deepEqual(files.filter((file) => file.startsWith('api-docs/')), []);
  });

  test("every source and declaration map's sources are in the tarball", () => {
    const maps = files.filter((file) => file.endsWith('.map'));
    assert.ok(maps.some((file) => file.endsWith('.js.map')) && maps.some((file) => file.endsWith('.d.ts.map')), 'both kinds of map are shipped');
    const missing: string[] = [];
    for (const map of maps) {
      const { sources, sourceRoot = '' } = JSON.parse(readFileSync(join(root, map), 'utf8')) as { sources: string[]; sourceRoot?: string };
      assert.ok(sources.length > 0, `${map} names its sources`);
      for (const source of sources) {
        const resolved = posix.normalize(posix.join(dirname(map), sourceRoot, source));
        if (!files.includes(resolved)) missing.push(`${map} → ${resolved}`);
      }
    }
    assert.deepEqual(missing, []);
  });
});
