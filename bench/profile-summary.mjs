// Summarizes a .cpuprofile (from `npm run bench -- --cpu-prof ours-v1`): self time by
// package/file and by function, and inclusive time, as shares of the busy (non-idle) time
// and, given the number of logins the process served, as ms per login.
// Usage: node bench/profile-summary.mjs <file.cpuprofile> [--top N] [--logins N] [--match text]
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

const { values: args, positionals } = parseArgs({ allowPositionals: true, options: { top: { type: 'string', default: '25' }, logins: { type: 'string' }, match: { type: 'string' } } });
const [file] = positionals;
if (!file) {
  console.error('usage: node bench/profile-summary.mjs <file.cpuprofile> [--top N] [--logins N] [--match text]');
  process.exit(2);
}
const profile = JSON.parse(readFileSync(file, 'utf8'));
const top = Number(args.top);
const filter = args.match;
const logins = args.logins ? Number(args.logins) : undefined;
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const self = new Map();
// Sample counts with their time deltas: a node's self time is the sum of its samples' deltas.
profile.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
const idleId = profile.nodes.find((n) => n.callFrame.functionName === '(idle)')?.id;
if (idleId !== undefined) self.delete(idleId);
const totalUs = [...self.values()].reduce((a, b) => a + b, 0);

function where(frame) {
  const url = frame.url || '(native)';
  const nm = url.lastIndexOf('node_modules/');
  if (nm !== -1) return url.slice(nm + 13).split('/').slice(0, url.slice(nm + 13).startsWith('@') ? 2 : 1).join('/');
  const dist = url.indexOf('/dist/');
  if (dist !== -1) return `dist/${url.slice(dist + 6)}`;
  if (url.startsWith('node:')) return url;
  return url.replace(/^file:\/\/.*\/bench\//, 'bench/');
}

const add = (map, key, us) => map.set(key, (map.get(key) ?? 0) + us);
const fnSelf = new Map();
const fileSelf = new Map();
for (const [id, us] of self) {
  const { callFrame } = byId.get(id);
  add(fnSelf, `${callFrame.functionName || '(anonymous)'}  ${where(callFrame)}:${callFrame.lineNumber + 1}`, us);
  add(fileSelf, where(callFrame), us);
}

// Inclusive time: a node's self time plus its descendants'.
const parent = new Map();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const inclusive = new Map();
for (const [id, us] of self) {
  const seen = new Set();
  for (let cur = id; cur !== undefined; cur = parent.get(cur)) {
    const { callFrame } = byId.get(cur);
    const key = `${callFrame.functionName || '(anonymous)'}  ${where(callFrame)}:${callFrame.lineNumber + 1}`;
    if (seen.has(key)) continue; // recursion counts once
    seen.add(key);
    add(inclusive, key, us);
  }
}

const pct = (us) => `${((us / totalUs) * 100).toFixed(1).padStart(5)}%${logins ? `  ${(us / 1000 / logins).toFixed(3).padStart(6)} ms/login` : ''}`;
const show = (title, map, n, match) => {
  console.log(`\n${title}`);
  [...map]
    .filter(([k]) => !match || k.includes(match))
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .forEach(([k, us]) => console.log(`${pct(us)}  ${k}`));
};
console.log(`${file}: ${(totalUs / 1e6).toFixed(2)} s busy (idle left out)${logins ? `, ${((totalUs / 1000) / logins).toFixed(3)} ms per login over ${logins} logins` : ''}`);
show('self time by package / file', fileSelf, top);
show('self time by function', fnSelf, top);
show('inclusive time by function', inclusive, top, filter);
