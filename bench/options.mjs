// Settings of a run: flags (`--logins 20000`) or environment (`BENCH_LOGINS=20000`); flags win.
import { CONTENDERS } from './contenders.mjs';

/** Logins each app process should reach with `--full` (the "RSS after 100,000 logins" figure). */
export const FULL_LOGINS = 100_000;

const DEFAULTS = {
  latencies: '0,30', // ms the mock adds to every server-to-server call, one phase each
  logins: 8000, // measured logins per contender per phase
  rounds: 8, // the measured logins are split into rounds, contenders alternating round by round
  clients: 50, // concurrent virtual browsers
  warmup: 1000, // unmeasured logins per contender at the start of each phase
  solo: 100, // logins by one lone browser per contender per phase: latency without load
  roundSeconds: 60, // a round stops starting logins after this long
  timeoutMs: 10_000, // per HTTP request
  contenders: Object.keys(CONTENDERS).join(','),
  pin: true, // taskset: apps on CPU 1, driver and mock on CPU 0
  costs: true, // install size, package count, require time
  quietWait: 10, // before each round, wait up to this many seconds for other processes to go quiet
  full: false,
  cpuProf: '', // contender names: run their apps under node --cpu-prof
};

const USAGE = `npm run bench -- [flags]    (or node bench/run.mjs [flags]; every flag also as BENCH_<NAME> in the environment)
  --latencies 0,30     mock latency per upstream call, ms, one phase each
  --logins N           measured logins per contender per phase (default ${DEFAULTS.logins})
  --rounds N           rounds per phase; contenders alternate round by round (default ${DEFAULTS.rounds})
  --clients N          concurrent virtual browsers (default ${DEFAULTS.clients})
  --warmup N           unmeasured logins per contender before each phase (default ${DEFAULTS.warmup})
  --solo N             logins by a single browser per contender per phase, for the unloaded latency (default ${DEFAULTS.solo}; 0: skip)
  --round-seconds S    time bound of one round (default ${DEFAULTS.roundSeconds})
  --contenders a,b     subset of ${Object.keys(CONTENDERS).join(', ')}
  --quiet-wait S       before each round wait up to S s for the machine to be idle (0: don't)
  --full               enough logins for every app to pass ${FULL_LOGINS.toLocaleString('en-US')} (RSS figure); takes ~20 min
  --no-pin             let the OS place processes instead of taskset
  --no-costs           skip install size / package count / require time
  --cpu-prof a,b       run these contenders' apps under node --cpu-prof (profiles in bench/results/profiles)`;

function envName(key) {
  return `BENCH_${key.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}`;
}

export function parseOptions(argv = process.argv.slice(2), env = process.env) {
  const opts = { ...DEFAULTS };
  for (const key of Object.keys(DEFAULTS)) if (env[envName(key)] !== undefined) opts[key] = env[envName(key)];
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i];
    if (arg === '--help' || arg === '-h') {
      console.log(USAGE);
      process.exit(0);
    }
    const m = /^--(no-)?([a-z-]+)(?:=(.*))?$/.exec(arg);
    const key = m?.[2].replace(/-([a-z])/g, (_, c) => c.toUpperCase());
    if (!m || !(key in DEFAULTS)) throw new Error(`unknown flag ${arg}\n${USAGE}`);
    if (typeof DEFAULTS[key] === 'boolean') opts[key] = !m[1] && (m[3] === undefined || m[3] !== 'false');
    else opts[key] = m[3] ?? argv[++i];
  }
  const num = (k) => {
    const n = Number(opts[k]);
    if (!Number.isFinite(n) || n < 0) throw new Error(`--${k} must be a number, got ${opts[k]}`);
    return n;
  };
  const bool = (v) => v === true || v === 'true' || v === '1';
  const out = {
    latencies: String(opts.latencies).split(',').map(Number),
    logins: num('logins'),
    rounds: Math.max(1, num('rounds')),
    clients: Math.max(1, num('clients')),
    warmup: num('warmup'),
    solo: num('solo'),
    roundSeconds: num('roundSeconds'),
    timeoutMs: num('timeoutMs'),
    quietWait: num('quietWait'),
    contenders: String(opts.contenders).split(',').filter(Boolean),
    pin: bool(opts.pin),
    costs: bool(opts.costs),
    full: bool(opts.full),
    cpuProf: String(opts.cpuProf || ''),
  };
  for (const name of out.contenders) if (!CONTENDERS[name]) throw new Error(`unknown contender ${name}`);
  if (out.full) {
    const phases = out.latencies.length;
    out.logins = Math.max(out.logins, Math.ceil(FULL_LOGINS / phases) - out.warmup);
    out.roundSeconds = Math.max(out.roundSeconds, 600);
  }
  return out;
}
