// What a package costs before the first login: install size, packages installed, require time.
// Ours is packed from the working tree (`npm pack --ignore-scripts`, so the existing dist is
// used as it is) and installed from the tarball; peers are installed from the registry
// (npm's cache first). Each goes into its own empty temp project with production deps only.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { median } from './stats.mjs';

const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm';

function npm(args, cwd) {
  return execFileSync(NPM, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, npm_config_update_notifier: 'false' } });
}

/** Bytes of every file under `dir` (apparent size, as `du --apparent-size -b`). */
function sizeOf(dir) {
  let total = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) total += sizeOf(path);
    else if (entry.isFile()) total += statSync(path).size;
  }
  return total;
}

/** Package folders under a node_modules tree, nested and scoped ones included. */
function countPackages(nodeModules) {
  let count = 0;
  for (const entry of readdirSync(nodeModules, { withFileTypes: true })) {
    if (!entry.isDirectory() || entry.name.startsWith('.')) continue;
    const path = join(nodeModules, entry.name);
    if (entry.name.startsWith('@')) {
      count += countPackages(path);
      continue;
    }
    if (existsSync(join(path, 'package.json'))) count += 1;
    if (existsSync(join(path, 'node_modules'))) count += countPackages(join(path, 'node_modules'));
  }
  return count;
}

/** Median of `runs` fresh node processes timing `require(name)` from `cwd`. */
function requireTime(name, cwd, runs) {
  const code = `const t=process.hrtime.bigint();require(${JSON.stringify(name)});process.stdout.write(String(Number(process.hrtime.bigint()-t)/1e6))`;
  execFileSync(process.execPath, ['-e', code], { cwd }); // warms the file cache
  const times = [];
  for (let i = 0; i < runs; i += 1) times.push(Number(execFileSync(process.execPath, ['-e', code], { cwd, encoding: 'utf8' })));
  return median(times);
}

function measure(spec, requireName, dir, runs) {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'bench-install-probe', private: true }));
  npm(['install', spec, '--omit=dev', '--ignore-scripts', '--no-audit', '--no-fund', '--prefer-offline', '--no-package-lock', '--loglevel=error'], dir);
  const nodeModules = join(dir, 'node_modules');
  return { spec, installBytes: sizeOf(nodeModules), packages: countPackages(nodeModules), requireMs: requireTime(requireName, dir, runs) };
}

/**
 * Measures our package (packed from `root`) and each `peers` spec inside `workDir`.
 * Resolves to { ours: {...}, '<peer spec>': {...} }; a failure is reported, not thrown.
 */
export function packageCosts({ root, peers, workDir, runs = 9 }) {
  const out = {};
  try {
    const packed = JSON.parse(npm(['pack', '--ignore-scripts', '--json', '--pack-destination', workDir, '--loglevel=error'], root));
    const tarball = join(workDir, packed[0].filename);
    out.ours = { ...measure(tarball, packed[0].name, join(workDir, 'ours'), runs), tarballBytes: packed[0].size, name: `${packed[0].name}@${packed[0].version}` };
  } catch (err) {
    out.ours = { error: String(err.stderr || err.message).split('\n').slice(0, 3).join(' ') };
  }
  for (const spec of peers) {
    try {
      out[spec] = { ...measure(spec, spec.replace(/(.)@.*$/, '$1'), join(workDir, spec.replace(/[^a-z0-9]+/gi, '_')), runs), name: spec };
    } catch (err) {
      out[spec] = { error: String(err.stderr || err.message).split('\n').slice(0, 3).join(' ') };
    }
  }
  return out;
}
