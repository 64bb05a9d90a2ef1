// npm run bench: the whole benchmark in one run. Starts the mock Feishu and one app process
// per contender, measures package costs, then for each mock latency warms every contender
// up and drives measured rounds, contenders alternating round by round. Prints one table
// and writes it, with the raw figures, to bench/results/.
import { mkdirSync, mkdtempSync, existsSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { closeAgents, createClients, runRound } from './driver.mjs';
import { parseOptions } from './options.mjs';
import { packageCosts } from './package-costs.mjs';
import { machineBusyMs, waitForQuiet } from './machine-load.mjs';
import { pin, processStats, startChild } from './procs.mjs';
import { contenderLabels, machine, table, targets } from './report.mjs';
import { delta, percentile, Tally } from './stats.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = dirname(here);
const opts = parseOptions();
const log = (...args) => console.error(...args);
const pc = (share) => `${(share * 100).toFixed(0)}%`;

for (const file of ['dist/index.js', 'dist/testing/index.js']) {
  if (!existsSync(join(root, file))) throw new Error(`${file} is missing: build the package first (npm run build)`);
}

// 2 cores: the app under test gets CPU 1 to itself; the driver and the mock share CPU 0.
const canPin = opts.pin && cpus().length >= 2;
const CPU = canPin ? { driver: 0, mock: 0, app: 1 } : {};
const driverPinned = canPin && pin(process.pid, CPU.driver);

const resultsDir = join(here, 'results');
mkdirSync(resultsDir, { recursive: true });
const stamp = new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19);

let costs;
if (opts.costs) {
  log('measuring install size, package count and require time…');
  const work = mkdtempSync(join(tmpdir(), 'feishu-bench-'));
  try {
    costs = packageCosts({ root, peers: ['passport-feishu@1.0.1'], workDir: work });
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

const children = [];
const stopAll = async () => {
  closeAgents();
  await Promise.all(children.map((c) => c.stop()));
};
process.on('SIGINT', () => stopAll().then(() => process.exit(130)));

try {
  const mock = await startChild(join(here, 'mock.mjs'), [], { cpu: CPU.mock });
  children.push(mock);
  const { origin: mockOrigin, appId, appSecret } = mock.info;
  const apps = {};
  for (const name of opts.contenders) {
    const execArgv = ['--expose-gc'];
    if (opts.cpuProf.split(',').includes(name)) execArgv.push('--cpu-prof', '--cpu-prof-dir', join(resultsDir, 'profiles'), '--cpu-prof-name', `${name}-${stamp}.cpuprofile`);
    const app = await startChild(join(here, 'app.mjs'), [name, mockOrigin, appId, appSecret], { cpu: CPU.app, execArgv });
    children.push(app);
    apps[name] = { proc: app, origin: `http://127.0.0.1:${app.info.port}`, clients: createClients(opts.clients), logins: 0, appTokenCalls: 0 };
  }
  log(`mock Feishu ${mockOrigin} (pid ${mock.pid}, CPU ${mock.pinned}); driver pid ${process.pid} (CPU ${driverPinned ? CPU.driver : 'any'})`);
  for (const name of opts.contenders) log(`  ${name.padEnd(16)} ${apps[name].origin} (pid ${apps[name].proc.pid}, CPU ${apps[name].proc.pinned})`);

  // Every login a contender's app serves, warm-up included, with the mock's count of its
  // upstream calls (the app-token figure covers the app's whole life, cold start included).
  const drive = async (name, logins, clients = apps[name].clients) => {
    const a = apps[name];
    const callsBefore = await mock.ask({ type: 'calls' });
    const round = await runRound({ appOrigin: a.origin, mockOrigin, clients, logins, deadlineMs: opts.roundSeconds * 1000, timeoutMs: opts.timeoutMs });
    round.calls = delta(callsBefore, await mock.ask({ type: 'calls' }));
    a.logins += round.logins;
    a.appTokenCalls += round.calls.appAccessToken;
    return round;
  };

  const memory = Object.fromEntries(opts.contenders.map((n) => [n, {}]));
  let memoryEarlyLogins = 0;
  const phases = [];
  for (const [phaseIndex, latency] of opts.latencies.entries()) {
    await mock.ask({ type: 'setLatency', ms: latency });
    log(`\nphase: mock latency ${latency} ms per upstream call; warm-up ${opts.warmup} logins each`);
    const warmUp = async (logins) => {
      for (const name of opts.contenders) {
        const warm = await drive(name, logins);
        if (warm.errors) log(`  ${name} warm-up: ${warm.errors} errors, e.g. ${warm.errorSamples[0]}`);
      }
    };
    if (phaseIndex === 0) {
      // The heap after a full GC once the app is warm is the base of the memory figure; the
      // second half of the warm-up then lets the heap grow back before anything is measured.
      await warmUp(Math.ceil(opts.warmup / 2));
      for (const name of opts.contenders) memory[name].heapEarly = (await apps[name].proc.ask({ type: 'gc' })).heapUsed;
      memoryEarlyLogins = apps[opts.contenders[0]].logins;
      await warmUp(Math.floor(opts.warmup / 2));
    } else {
      await warmUp(opts.warmup);
    }

    const tallies = Object.fromEntries(opts.contenders.map((n) => [n, new Tally()]));
    const perRound = Math.ceil(opts.logins / opts.rounds);
    let waitedMs = 0;
    for (let r = 0; r < opts.rounds; r += 1) {
      // Rotate who goes first, so drift within a round does not always hit the same contender.
      const order = opts.contenders.map((_, i) => opts.contenders[(i + r) % opts.contenders.length]);
      for (const name of order) {
        const app = apps[name].proc;
        if (opts.quietWait > 0) waitedMs += (await waitForQuiet({ maxWaitMs: opts.quietWait * 1000 })).waitedMs;
        const before = { app: await app.ask({ type: 'stats' }), mock: await mock.ask({ type: 'stats' }), driver: processStats(), machine: machineBusyMs() };
        const round = await drive(name, perRound);
        const after = { app: await app.ask({ type: 'stats' }), mock: await mock.ask({ type: 'stats' }), driver: processStats(), machine: machineBusyMs() };
        const appMs = (after.app.cpuMicros - before.app.cpuMicros) / 1000;
        const mockMs = (after.mock.cpuMicros - before.mock.cpuMicros) / 1000;
        const driverMs = (after.driver.cpuMicros - before.driver.cpuMicros) / 1000;
        tallies[name].add(round, appMs * 1000, round.calls);
        tallies[name].addOthers({ driverMs, mockMs, foreignMs: after.machine - before.machine - appMs - mockMs - driverMs }, round.wallMs);
        log(`  round ${r + 1}/${opts.rounds} ${name.padEnd(16)} ${round.logins} logins in ${(round.wallMs / 1000).toFixed(1)} s${round.errors ? `, ${round.errors} errors (${round.errorSamples[0]})` : ''}`);
      }
    }
    const figures = Object.fromEntries(opts.contenders.map((n) => [n, tallies[n].figures()]));
    // The user's own wait with nobody else signing in: one browser, logins one after another.
    for (const name of opts.contenders) {
      if (!opts.solo) break;
      const solo = await drive(name, opts.solo, createClients(1));
      Object.assign(figures[name], { soloP50: percentile(solo.latencies, 50), soloP99: percentile(solo.latencies, 99), soloLogins: solo.logins });
    }
    phases.push({ latency, loginsPerContender: perRound * opts.rounds, figures, waitedMs });
  }

  for (const name of opts.contenders) {
    const stats = await apps[name].proc.ask({ type: 'stats' });
    const afterGc = await apps[name].proc.ask({ type: 'gc' });
    Object.assign(memory[name], { rss: stats.rss, rssAfterGc: afterGc.rss, heapEnd: afterGc.heapUsed, logins: apps[name].logins, appTokenCalls: apps[name].appTokenCalls, appTokenFetches: stats.appTokenFetches });
  }
  const memoryLogins = Math.min(...opts.contenders.map((n) => apps[n].logins));

  const results = {
    date: new Date().toISOString(),
    options: opts,
    machine: machine(),
    layout: {
      driver: { pid: process.pid, cpu: driverPinned ? CPU.driver : 'any' },
      mock: { pid: mock.pid, cpu: mock.pinned },
      apps: Object.fromEntries(opts.contenders.map((n) => [n, { pid: apps[n].proc.pid, cpu: apps[n].proc.pinned }])),
    },
    contenders: opts.contenders,
    phases,
    memory,
    memoryLogins,
    memoryEarlyLogins,
    costs,
  };

  const md = [
    table(results),
    '',
    'Ratio columns: ours ÷ the floor, ours ÷ passport-feishu (p-f). Higher is better for logins/s; lower is better for every other row.',
    '',
    `Targets (issues 6 and 20):`,
    ...targets(results).map((t) => `    ${t}`),
    '',
    `Processes: load driver (this process, pid ${process.pid}) on CPU ${results.layout.driver.cpu}; mock Feishu (pid ${mock.pid}) on CPU ${results.layout.mock.cpu}; each contender's app in its own process on CPU ${Object.values(results.layout.apps)[0]?.cpu}, one app under load at a time.`,
    'CPU used while each contender was under load (share of one core; "other" = every process outside the benchmark):',
    ...phases.map((p) => `  @${p.latency} ms: ${opts.contenders.map((n) => `${n}: app ${pc(p.figures[n].appCpuShare)}, driver ${pc(p.figures[n].driverCpuShare)}, mock ${pc(p.figures[n].mockCpuShare)}, other ${pc(p.figures[n].foreignCpuShare)} (peak ${pc(p.figures[n].foreignPeak)})`).join('; ')}${p.waitedMs > 1000 ? `; waited ${(p.waitedMs / 1000).toFixed(0)} s in all for a quiet machine` : ''}`),
    ...phases.flatMap((p) =>
      opts.contenders
        .filter((n) => p.figures[n].errors)
        .map((n) => `  @${p.latency} ms ${n}: ${p.figures[n].errors} failed logins, e.g. ${p.figures[n].errorSamples[0]}`),
    ),
    `Per-round logins/s spread: ${phases.map((p) => `@${p.latency} ms ${opts.contenders.map((n) => `${n} ${p.figures[n].roundRateMin.toFixed(0)}–${p.figures[n].roundRateMax.toFixed(0)}`).join(', ')}`).join('; ')}`,
    `Machine: ${results.machine.cpu}, ${results.machine.memory}, ${results.machine.os}, Node ${results.machine.node}`,
    `Run: ${opts.clients} concurrent clients, ${opts.rounds} rounds × ${Math.ceil(opts.logins / opts.rounds)} logins per contender per phase after ${opts.warmup} warm-up logins${opts.solo ? `, then ${opts.solo} logins by a single browser (one-client latency)` : ''}; RSS after ${memoryLogins} logins per app.`,
    '',
    'Contenders:',
    contenderLabels(opts.contenders),
  ].join('\n');
  console.log(`\n${md}`);
  writeFileSync(join(resultsDir, `${stamp}.json`), JSON.stringify(results, null, 2));
  writeFileSync(join(resultsDir, `${stamp}.md`), `${md}\n`);
  log(`\nwritten: bench/results/${stamp}.md and .json`);
  // Figures from a run where logins failed are not figures of the contender: say so by the exit code.
  if (phases.some((p) => opts.contenders.some((n) => p.figures[n].errors > 0.01 * (p.figures[n].logins + p.figures[n].errors)))) process.exitCode = 1;
} finally {
  await stopAll();
}
