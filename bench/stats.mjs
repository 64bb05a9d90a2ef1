// Figures from raw measurements: percentiles, and one contender's totals over its rounds.

/** The p-th percentile (0..100) of `values`, nearest-rank. */
export function percentile(values, p) {
  if (!values.length) return NaN;
  const sorted = Float64Array.from(values).sort();
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank];
}

export function median(values) {
  return percentile(values, 50);
}

/** Keeps a contender's measured rounds and turns them into the figures of the table. */
export class Tally {
  constructor() {
    this.logins = 0;
    this.errors = 0;
    this.errorSamples = [];
    this.wallMs = 0;
    this.cpuMicros = 0;
    this.upstream = 0;
    this.appTokenCalls = 0;
    this.latencies = [];
    this.roundRates = [];
    this.otherCpuMs = { driver: 0, mock: 0, foreign: 0 };
    this.foreignPeak = 0;
  }

  /** CPU other than the app's during a round: the driver, the mock, everything else on the machine. */
  addOthers({ driverMs, mockMs, foreignMs }, wallMs) {
    this.otherCpuMs.driver += driverMs;
    this.otherCpuMs.mock += mockMs;
    this.otherCpuMs.foreign += Math.max(0, foreignMs);
    this.foreignPeak = Math.max(this.foreignPeak, foreignMs / wallMs);
  }

  /** One round: the driver's result, the app's CPU delta, the mock's call deltas. */
  add(round, cpuMicros, calls) {
    this.logins += round.logins;
    this.errors += round.errors;
    this.errorSamples.push(...round.errorSamples.slice(0, 5 - this.errorSamples.length));
    this.wallMs += round.wallMs;
    this.cpuMicros += cpuMicros;
    this.upstream += calls.server;
    this.appTokenCalls += calls.appAccessToken;
    for (const l of round.latencies) this.latencies.push(l);
    this.roundRates.push(round.logins / (round.wallMs / 1000));
  }

  figures() {
    return {
      logins: this.logins,
      errors: this.errors,
      errorSamples: this.errorSamples,
      loginsPerSec: this.logins / (this.wallMs / 1000),
      // Spread of the per-round rates: how much the machine drifted during the phase.
      roundRateMin: Math.min(...this.roundRates),
      roundRateMax: Math.max(...this.roundRates),
      p50: percentile(this.latencies, 50),
      p99: percentile(this.latencies, 99),
      upstreamPerLogin: this.upstream / this.logins,
      cpuMsPerLogin: this.cpuMicros / 1000 / this.logins,
      appCpuShare: this.cpuMicros / 1000 / this.wallMs,
      driverCpuShare: this.otherCpuMs.driver / this.wallMs,
      mockCpuShare: this.otherCpuMs.mock / this.wallMs,
      foreignCpuShare: this.otherCpuMs.foreign / this.wallMs,
      foreignPeak: this.foreignPeak,
      appTokenCalls: this.appTokenCalls,
    };
  }
}

/** The change in every numeric field between two snapshots. */
export function delta(before, after) {
  return Object.fromEntries(Object.keys(after).map((k) => [k, after[k] - (before[k] ?? 0)]));
}
