import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { consumerProject, packTarball, remove, ROOT } from './layout.js';

/**
 * What users run, run against the packed tarball in projects of their own: an ESM TypeScript
 * app and a CommonJS app that sign in against the mock, a Vitest suite, a Jest suite under
 * Jest's default fake timers, and the app's type check without skipLibCheck under the
 * TypeScript and @types/node versions we support. No network: see layout.ts.
 */

const FIXTURES = join(__dirname, 'fixtures');
const MODULES = join(ROOT, 'node_modules');
/** Child processes on a busy CI machine: generous, never a timing assertion. */
const DEADLINE_MS = 240_000;

function fixture(name: string, files: readonly string[]): Record<string, string> {
  return Object.fromEntries(files.map((file) => [file, readFileSync(join(FIXTURES, name, file), 'utf8')]));
}

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function run(args: readonly string[], cwd: string): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, args, { cwd, encoding: 'utf8', timeout: DEADLINE_MS, maxBuffer: 16 * 1024 * 1024, env: { ...process.env, NODE_OPTIONS: '', CI: '1' } }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

function lastJson(out: Run): unknown {
  assert.equal(out.code, 0, `${out.stdout}\n${out.stderr}`);
  return JSON.parse(out.stdout.trim().split('\n').pop() ?? '');
}

const USERS = ['ou_caecc734c2e3328a62489fe0648c4b98', 'ou_7d8a6e6df7621556ce0d21922b676706'];

describe('consumers of the packed tarball', { concurrency: 3, timeout: 600_000 }, () => {
  let pack: { tarball: string; dir: string };
  const projects: string[] = [];
  const project = (options: Omit<Parameters<typeof consumerProject>[0], 'tarball'>): string => {
    const dir = consumerProject({ tarball: pack.tarball, ...options });
    projects.push(dir);
    return dir;
  };
  before(() => {
    pack = packTarball();
  });
  after(() => {
    for (const dir of [...projects, pack.dir]) remove(dir);
  });

  test("the build and typecheck run the project's TypeScript 6, whichever alias's tsc .bin/tsc points to", () => {
    const scripts = (JSON.parse(readFileSync(join(MODULES, '..', 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
    for (const name of ['build', 'typecheck']) assert.match(scripts[name] ?? '', /node node_modules\/typescript\/bin\/tsc /, name);
    const version = execFileSync(process.execPath, [join(MODULES, 'typescript', 'bin', 'tsc'), '-v'], { encoding: 'utf8' });
    assert.match(version, /^Version 6\./);
  });

  test('an ESM TypeScript app imports both entries and signs in', async () => {
    const dir = project({ files: fixture('esm-app', ['app.ts', 'package.json', 'tsconfig.json']) });
    const out = await run(['--import', 'tsx', 'app.ts'], dir);
    assert.deepEqual(lastJson(out), { status: 200, user: { id: USERS[1], name: '韩梅梅' }, port: true, keys: true });
  });

  test('a CommonJS app requires both entries and signs in (v3, PKCE, Lark)', async () => {
    const dir = project({ files: fixture('cjs-app', ['app.cjs']) });
    const out = await run(['app.cjs'], dir);
    assert.deepEqual(lastJson(out), { status: 200, user: { id: USERS[0], provider: 'lark' } });
  });

  test('a Vitest suite with the kit passes', async () => {
    const dir = project({ files: fixture('vitest', ['login.test.ts', 'package.json']) });
    const out = await run([join(MODULES, 'vitest', 'vitest.mjs'), 'run', '--reporter=verbose'], dir);
    assert.equal(out.code, 0, `${out.stdout}\n${out.stderr}`);
    assert.match(out.stdout, /6 passed/);
  });

  test("a Jest suite with the kit passes under Jest's default fake timers", async () => {
    const dir = project({ files: fixture('jest', ['login.test.js', 'jest.config.js', 'package.json']) });
    const out = await run([join(MODULES, 'jest', 'bin', 'jest.js'), '--ci', '--verbose'], dir);
    assert.equal(out.code, 0, `${out.stdout}\n${out.stderr}`);
    assert.match(out.stderr, /Tests:\s+6 passed, 6 total/);
  });

  /**
   * The oldest TypeScript that compiles our declarations is 5.0; @types/node 24 needs 5.2 and
   * @types/node 26 needs 5.6 for their own declarations, so TypeScript 5.0 meets 20 and 22.
   */
  const matrix: ReadonlyArray<{ ts: string; node: string; lib?: readonly string[] }> = [
    ...['@types/node', '@types/node-22'].map((node) => ({ ts: 'typescript-5', node })),
    ...['typescript', 'typescript-7'].flatMap((ts) => ['@types/node', '@types/node-22', '@types/node-24', '@types/node-latest'].map((node) => ({ ts, node }))),
    { ts: 'typescript', node: '@types/node-latest', lib: ['es2023', 'dom'] },
  ];
  for (const { ts, node, lib } of matrix) {
    const version = (name: string) => (JSON.parse(readFileSync(join(MODULES, name, 'package.json'), 'utf8')) as { version: string }).version;
    test(`the ESM app type-checks with TypeScript ${version(ts)} and @types/node ${version(node)}${lib ? ` and lib ${lib.join(', ')}` : ''}, without skipLibCheck`, async () => {
      const files = fixture('esm-app', ['app.ts', 'package.json', 'tsconfig.json']);
      if (lib) {
        const config = JSON.parse(files['tsconfig.json'] ?? '{}') as { compilerOptions: Record<string, unknown> };
        config.compilerOptions.lib = lib;
        files['tsconfig.json'] = JSON.stringify(config);
      }
      const dir = project({ typesNode: node, files });
      const out = await run([join(MODULES, ts, 'bin', 'tsc'), '-p', 'tsconfig.json'], dir);
      assert.equal(out.code, 0, `${out.stdout}\n${out.stderr}`);
    });
  }
});
