import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Consumer projects that install the packed tarball with no network: the tarball is unpacked
 * into `node_modules/passport-feishu-oauth2`, and every other package is a link to the one
 * `npm ci` put in the repository's node_modules. `@types/node` may be swapped for an npm alias
 * (`@types/node-24`, …), which TypeScript then reads through the link (`preserveSymlinks`).
 */

export const ROOT = join(__dirname, '..', '..');
const MODULES = join(ROOT, 'node_modules');
const NAME = 'passport-feishu-oauth2';

/** `npm pack` into a fresh temporary folder; returns the tarball's path. Skips `prepack`: dist/ is built by `npm test`. */
export function packTarball(): { tarball: string; dir: string } {
  const dir = mkdtempSync(join(tmpdir(), 'feishu-pack-'));
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const out = execFileSync(npm, ['pack', '--json', '--ignore-scripts', '--pack-destination', dir], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], shell: process.platform === 'win32' });
  const [pack] = JSON.parse(out) as Array<{ filename: string }>;
  if (!pack) throw new Error('npm pack made no tarball');
  return { tarball: join(dir, pack.filename), dir };
}

export interface ConsumerOptions {
  /** The tarball `packTarball` made. */
  readonly tarball: string;
  /** The folder under node_modules to serve as `@types/node` (an alias such as `@types/node-24`). */
  readonly typesNode?: string;
  /** Files to write, by path relative to the project. */
  readonly files: Readonly<Record<string, string>>;
}

function link(target: string, path: string): void {
  symlinkSync(target, path, process.platform === 'win32' ? 'junction' : 'dir');
}

/** A temporary project with its node_modules laid out as above. The caller removes it. */
export function consumerProject(options: ConsumerOptions): string {
  const dir = mkdtempSync(join(tmpdir(), 'feishu-consumer-'));
  const modules = join(dir, 'node_modules');
  mkdirSync(modules);
  for (const entry of readdirSync(MODULES)) {
    if (entry.startsWith('.') || entry === NAME) continue;
    if (entry.startsWith('@')) {
      mkdirSync(join(modules, entry));
      for (const scoped of readdirSync(join(MODULES, entry))) {
        if (entry === '@types' && scoped === 'node') continue;
        link(join(MODULES, entry, scoped), join(modules, entry, scoped));
      }
      continue;
    }
    link(join(MODULES, entry), join(modules, entry));
  }
  link(join(MODULES, options.typesNode ?? '@types/node'), join(modules, '@types', 'node'));
  execFileSync('tar', ['-xzf', options.tarball, '-C', modules]);
  renameSync(join(modules, 'package'), join(modules, NAME));
  for (const [file, text] of Object.entries(options.files)) {
    mkdirSync(join(dir, file, '..'), { recursive: true });
    writeFileSync(join(dir, file), text);
  }
  return dir;
}

export function remove(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}
