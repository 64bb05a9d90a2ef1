// The machine's own load: CPU time used by every process (os.cpus()), so a round can wait for
// a quiet machine and the report can say how much CPU other processes took during the run.
import { cpus } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';

/** Milliseconds of CPU time used by everything on the machine since boot (all cores). */
export function machineBusyMs() {
  let busy = 0;
  for (const { times } of cpus()) busy += times.user + times.nice + times.sys + times.irq;
  return busy;
}

/** CPU the whole machine uses right now, in cores, over a `windowMs` sample. */
export async function machineLoad(windowMs = 300) {
  const before = machineBusyMs();
  const t0 = performance.now();
  await sleep(windowMs);
  return (machineBusyMs() - before) / (performance.now() - t0);
}

/**
 * Waits until the machine is nearly idle (other processes using under `threshold` cores),
 * at most `maxWaitMs`. Our own processes are idle between rounds, so what shows is foreign.
 * Resolves to { waitedMs, load } (load: cores in use when the wait ended).
 */
export async function waitForQuiet({ threshold = 0.15, maxWaitMs = 10_000 } = {}) {
  const t0 = performance.now();
  let load = await machineLoad();
  while (load > threshold && performance.now() - t0 < maxWaitMs) load = await machineLoad();
  return { waitedMs: performance.now() - t0, load };
}
