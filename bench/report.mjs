// The table: one row per figure, one column per contender, then ours against the floor and
// against passport-feishu. Markdown, so the console output pastes into the README as it is.
import { cpus, release, totalmem } from 'node:os';
import { CONTENDERS } from './contenders.mjs';

const PF = 'passport-feishu';
const SHORT = { 'ours-v1': 'ours v1', 'ours-v2': 'ours v2', 'passport-feishu': 'passport-feishu 1.0.1', floor: 'floor', 'floor-v2': 'floor v2', 'alt-v1': 'alt v1' };

/** The floor a contender of ours is measured against: v2 against the two-call floor when it runs. */
function floorOf(name, names) {
  if (name.endsWith('-v2') && names.includes('floor-v2')) return 'floor-v2';
  return names.includes('floor') ? 'floor' : undefined;
}

function fmt(value, digits) {
  if (value === undefined || value === null || Number.isNaN(value)) return '—';
  if (typeof value === 'string') return value;
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

function ratio(a, b) {
  if (typeof a !== 'number' || typeof b !== 'number' || !b || Number.isNaN(a) || Number.isNaN(b)) return '—';
  return `${(a / b).toFixed(2)}×`;
}

const MB = 1024 * 1024;

/**
 * `results`: { phases: [{ latency, figures: { name: {...} } }], memory: { name: {...} }, costs, ... }.
 * Returns the markdown table (string).
 */
export function table(results) {
  const names = results.contenders;
  const ours = names.filter((n) => n.startsWith('ours-') || n.startsWith('alt-'));
  const ratioCols = [];
  for (const o of ours) {
    const floor = floorOf(o, names);
    if (floor) ratioCols.push([o, floor]);
    if (names.includes(PF)) ratioCols.push([o, PF]);
  }
  const header = ['figure', ...names.map((n) => SHORT[n]), ...ratioCols.map(([o, b]) => `${SHORT[o]} ÷ ${b === PF ? 'p-f' : b}`)];
  const rows = [];
  const row = (label, get, digits, { ratios = true } = {}) => {
    const values = names.map(get);
    const cells = values.map((v) => fmt(v, digits));
    const rs = ratioCols.map(([o, b]) => (ratios ? ratio(get(o), get(b)) : '—'));
    rows.push([label, ...cells, ...rs]);
  };
  for (const phase of results.phases) {
    const f = (n) => phase.figures[n];
    const at = `@ ${phase.latency} ms`;
    row(`logins/s ${at}`, (n) => f(n)?.loginsPerSec, 0);
    row(`p50 login latency under load, ms ${at}`, (n) => f(n)?.p50, 1);
    row(`p99 login latency under load, ms ${at}`, (n) => f(n)?.p99, 1);
    if (f(names[0])?.soloP50 !== undefined) row(`p50 login latency, one client alone, ms ${at}`, (n) => f(n)?.soloP50, 1);
    row(`upstream calls / login, steady state ${at}`, (n) => f(n)?.upstreamPerLogin, 2);
    row(`app CPU ms / login ${at}`, (n) => f(n)?.cpuMsPerLogin, 3);
  }
  const m = (n) => results.memory[n];
  row(`app-token requests over the run (${fmt(results.memoryLogins, 0)} logins each)`, (n) => m(n)?.appTokenCalls, 0);
  row(`RSS after ${fmt(results.memoryLogins, 0)} logins, MB`, (n) => (m(n) ? m(n).rss / MB : undefined), 1);
  row('heap used after a full GC at the end, MB', (n) => (m(n) ? m(n).heapEnd / MB : undefined), 1);
  row(`heap growth from warm-up (${fmt(results.memoryEarlyLogins, 0)} logins) to the end, MB`, (n) => (m(n) ? (m(n).heapEnd - m(n).heapEarly) / MB : undefined), 2, { ratios: false });
  if (results.costs) {
    const c = (n) => {
      if (n.startsWith('ours-')) return results.costs.ours;
      return n === PF ? results.costs['passport-feishu@1.0.1'] : undefined;
    };
    row('install size, MB (prod deps)', (n) => (c(n)?.installBytes ? c(n).installBytes / MB : undefined), 2);
    row('packages installed', (n) => c(n)?.packages, 0);
    row('require() time, ms', (n) => c(n)?.requireMs, 1);
  }
  const line = (cells) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map((_, i) => (i === 0 ? '---' : '---:'))), ...rows.map(line)].join('\n');
}

/** The targets of issues 6 and 20, checked against the figures; one line each. */
export function targets(results) {
  const out = [];
  const check = (ok, text) => out.push(`${ok ? 'MET ' : 'MISS'}  ${text}`);
  for (const phase of results.phases) {
    const at = `@${phase.latency} ms`;
    const v1 = phase.figures['ours-v1'];
    const v2 = phase.figures['ours-v2'];
    const floor = phase.figures.floor;
    const floorV2 = phase.figures['floor-v2'];
    const pf = phase.figures[PF];
    if (v1 && floor) {
      check(v1.loginsPerSec >= 0.95 * floor.loginsPerSec, `${at}: v1 throughput ≥ 0.95× the floor's (${ratio(v1.loginsPerSec, floor.loginsPerSec)})`);
      check(v1.cpuMsPerLogin <= 1.05 * floor.cpuMsPerLogin, `${at}: v1 app CPU per login ≤ 1.05× the floor's (${ratio(v1.cpuMsPerLogin, floor.cpuMsPerLogin)})`);
    }
    if (v2 && floorV2) check(v2.loginsPerSec >= 0.95 * floorV2.loginsPerSec, `${at}: v2 throughput ≥ 0.95× the two-call floor's (${ratio(v2.loginsPerSec, floorV2.loginsPerSec)})`);
    if (v1 && pf && phase.latency >= 30) check(v1.loginsPerSec >= 1.5 * pf.loginsPerSec, `${at}: v1 throughput ≥ 1.5× passport-feishu (${ratio(v1.loginsPerSec, pf.loginsPerSec)})`);
    if (v1) check(Math.abs(v1.upstreamPerLogin - 1) < 0.005, `${at}: one upstream call per v1 login (${v1.upstreamPerLogin.toFixed(3)})`);
  }
  for (const name of results.contenders.filter((n) => n.startsWith('ours-'))) {
    const mem = results.memory[name];
    if (mem) check(mem.heapEnd - mem.heapEarly < 8 * MB, `${SHORT[name]}: flat memory (heap after GC ${fmt(mem.heapEarly / MB, 1)} → ${fmt(mem.heapEnd / MB, 1)} MB over ${fmt(results.memoryLogins - results.memoryEarlyLogins, 0)} logins)`);
  }
  return out;
}

export function machine() {
  const cpu = cpus();
  return {
    cpu: `${cpu.length} × ${cpu[0]?.model ?? 'unknown CPU'}`,
    memory: `${Math.round(totalmem() / 1024 ** 3)} GiB`,
    os: `${process.platform} ${release()}`,
    node: process.version,
  };
}

export function contenderLabels(names) {
  return names.map((n) => `- **${SHORT[n]}**: ${CONTENDERS[n].label}`).join('\n');
}
