/**
 * What-if benchmark: 1,000 Monte Carlo runs × 1,000 steps of the pump model on one core, beside a baseline in the
 * same run (the same number of steps of the plain pump simulator, which has the same physics and no Monte Carlo
 * bookkeeping); then the same job in the worker thread twin-what-if uses, with the main event loop's delay measured
 * while it runs, against running it on the main thread.
 * Last line: {"runs":1000,"steps":1000,"seconds":…,"eventLoopP99Ms":…}
 */
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';

const require = createRequire(import.meta.url);
const core = require('../dist/core/index.js') as typeof import('../dist/core/index.js');
const root = join(import.meta.dirname, '..');

const RUNS = 1000;
const STEPS = 1000;
const REPEATS = 3;

const snapshot = {
  assetId: 'pump-1', assetClass: 'pump', version: 1, ts: 0, updatedAt: 0, staleCount: 0,
  signals: { speed: { value: 1480, ts: 0, quality: 'good' as const }, bearingTemp: { value: 52.9, ts: 0, quality: 'good' as const } },
};
const forked = core.forkPump(snapshot, { growthPerHour: 0.05, doublingK: 15, limitC: 90, rampRpmPerS: 100 });
if (!forked.ok) throw new Error(forked.reason);
const fork = forked.value;
const settings = { limits: [{ signal: 'bearingTemp', max: 60 }], maxPoints: 200, uncertainty: core.DEFAULT_UNCERTAINTY };
const parsed = core.parseScenarios({ name: 'faster', assetId: 'pump-1', horizon: STEPS * 10, step: 10, runs: RUNS, changes: { setpoints: { speed: 1650 } } }, { horizonS: 3600, stepS: 10, runs: 1, seed: 1 });
if (!parsed.ok) throw new Error(parsed.reason);
const scenario = parsed.value[0]!;

function seconds(fn: () => void): number {
  const start = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - start) / 1e9;
}
const median = (xs: number[]) => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

// Baseline: the plain simulator, RUNS × STEPS steps.
const baselineSeconds = median(Array.from({ length: REPEATS }, () => seconds(() => {
  for (let r = 0; r < RUNS; r++) {
    const pump = new core.PumpSimulator({ assetId: 'p', seed: r, noise: 0 });
    pump.setSpeedSetpoint(1650);
    for (let k = 0; k < STEPS; k++) pump.step(k, 10);
  }
})));

// The what-if core, one scenario of RUNS × STEPS (no baseline scenario), on this thread.
const whatIfSeconds = median(Array.from({ length: REPEATS }, () => seconds(() => {
  const result = core.simulatePumpScenario(fork, scenario, settings, { name: scenario.name, horizonS: scenario.horizonS, stepS: scenario.stepS, runs: RUNS, seed: 1 });
  if (!result.ok) throw new Error(result.reason);
})));

/** Event-loop delay while the job (scenario and its baseline, as the node runs it) runs in a worker or on this thread. */
async function eventLoopWhile(where: 'worker' | 'main'): Promise<{ seconds: number; p99Ms: number; maxMs: number }> {
  const delay = monitorEventLoopDelay({ resolution: 10 });
  // A timer stands in for the flow's messages: it needs the loop every 5 ms.
  const tick = setInterval(() => undefined, 5);
  delay.enable();
  const start = process.hrtime.bigint();
  if (where === 'worker') {
    const worker = new Worker(join(root, 'dist', 'nodes', 'twin-what-if', 'what-if-worker.js'));
    await new Promise<void>((resolve, reject) => {
      worker.once('message', (answer: { ok: boolean; reason?: string }) => (answer.ok ? resolve() : reject(new Error(answer.reason))));
      worker.once('error', reject);
      worker.postMessage({ id: 1, kind: 'scenarios', fork, scenarios: [scenario], settings });
    });
    await worker.terminate();
  } else {
    await new Promise((r) => setTimeout(r, 20));
    const outcome = core.runPumpWhatIf(fork, [scenario], settings);
    if (!outcome.ok) throw new Error(outcome.reason);
    await new Promise((r) => setTimeout(r, 20));
  }
  const took = Number(process.hrtime.bigint() - start) / 1e9;
  delay.disable();
  clearInterval(tick);
  return { seconds: took, p99Ms: delay.percentile(99) / 1e6, maxMs: delay.max / 1e6 };
}

const inWorker = await eventLoopWhile('worker');
const onMain = await eventLoopWhile('main');

const f = (x: number, d = 2) => x.toFixed(d);
console.log(`what-if benchmark: ${RUNS} Monte Carlo runs × ${STEPS} steps, pump model, Node ${process.version}, median of ${REPEATS}`);
console.log('');
console.log('| job | seconds | µs per step |');
console.log('|---|---|---|');
console.log(`| baseline: plain pump simulator, ${RUNS} × ${STEPS} steps | ${f(baselineSeconds)} | ${f((baselineSeconds * 1e6) / (RUNS * STEPS), 3)} |`);
console.log(`| what-if scenario: ${RUNS} runs × ${STEPS} steps, bands and KPIs | ${f(whatIfSeconds)} | ${f((whatIfSeconds * 1e6) / (RUNS * STEPS), 3)} |`);
console.log('');
console.log('| scenario + its baseline (as twin-what-if runs them) | wall seconds | event-loop delay p99 | max |');
console.log('|---|---|---|---|');
console.log(`| in the worker thread (twin-what-if) | ${f(inWorker.seconds)} | ${f(inWorker.p99Ms, 1)} ms | ${f(inWorker.maxMs, 1)} ms |`);
console.log(`| on the main thread (for comparison) | ${f(onMain.seconds)} | ${f(onMain.p99Ms, 1)} ms | ${f(onMain.maxMs, 1)} ms |`);
console.log(JSON.stringify({ runs: RUNS, steps: STEPS, seconds: Number(f(whatIfSeconds, 3)), eventLoopP99Ms: Number(f(inWorker.p99Ms, 1)), baselineSeconds: Number(f(baselineSeconds, 3)), workerWallSeconds: Number(f(inWorker.seconds, 3)), mainThreadEventLoopP99Ms: Number(f(onMain.p99Ms, 1)) }));
