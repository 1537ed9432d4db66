/**
 * Model and RUL benchmark: microseconds per asset update for each model kind of twin-model (with its default 60 min
 * condition indicators over the twin's history) and each RUL method of twin-rul (with reused estimate buffers, as the
 * node runs it), beside the cost of the twin-store ingest of the same reading (measured in the same run, for scale),
 * and how the pump model's cost grows with the readings in its indicator window (one a minute, every 6 s, every
 * second), following the window as it slides against reading every point of it.
 * Last line: {"usPerUpdate":{"<kind>":…},"storeIngestUs":…,"indicatorWindow":[{"points":…,"slidingUs":…,"everyPointUs":…},…]}
 *
 * Options: --data <dir with test_FD001.txt> (default: shared/data/cmapss beside the project).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';

const require = createRequire(import.meta.url);
const core = require('../dist/core/index.js') as typeof import('../dist/core/index.js');

const root = join(import.meta.dirname, '..');
const i = process.argv.indexOf('--data');
const dataDir = resolve(i > 0 ? process.argv[i + 1]! : join(root, '..', 'shared', 'data', 'cmapss'));
const UPDATES = 20_000;
const T0 = Date.UTC(2026, 0, 1);
/** twin-model's default window of condition indicators (60 min: 60 one-minute readings per signal, every update). */
const INDICATOR_WINDOW_SECONDS = 3600;
/** Updates before the timed ones: past the model's settling and healthy window at every reading period below. */
const WARM_UP = 500;

/**
 * Runs `updates` readings (one every `periodS` seconds) through one model after a warm-up, returning µs per update.
 * The model reads its history from a twin store that holds every reading (stored beforehand, untimed, in a history
 * long enough to keep them all: the window of an update ends at its own time, so later readings are never read), as
 * twin-model does. `everyPoint` gives the model the reader of before (no layout revision): its condition indicators
 * then read every point of the window on every update instead of following the window as it slides.
 */
function timeModel(
  options: import('../dist/core/index.js').AssetModelOptions,
  reading: (k: number) => Record<string, number>,
  { updates = UPDATES, periodS = 60, everyPoint = false } = {},
): number {
  const created = core.AssetModel.create('bench', { indicatorWindowSeconds: INDICATOR_WINDOW_SECONDS, ...options });
  if (!created.ok) throw new Error(created.reason);
  const model = created.value;
  const total = WARM_UP + updates;
  const store = new core.TwinStore(core.normaliseDefinition({ name: 'bench', historyPoints: total, signals: [] }), new core.ManualClock(T0 + 1e12));
  const tsOf = (k: number) => T0 + k * periodS * 1000;
  for (let k = 0; k < total; k++) store.ingest({ assetId: 'bench', ts: tsOf(k), signals: reading(k) });
  const history: import('../dist/core/index.js').HistoryReader = {
    series: (signal, from, to) => store.history('bench', signal, from, to),
    usable: (signal, from, to, fromIncluded) => store.usableWindow('bench', signal, from, to, fromIncluded),
  };
  if (!everyPoint) {
    history.layout = (signal) => store.historyLayout('bench', signal);
    history.oldest = (signal) => store.oldestHistoryTs('bench', signal);
  }
  const step = (k: number) => {
    const measured = reading(k);
    const expected = model.expect(tsOf(k), measured, history);
    if (!expected.ok) throw new Error(expected.reason);
    model.update(tsOf(k), measured, expected.value, history);
  };
  // Past the settling and the healthy window, so the timed updates are the steady ones.
  for (let k = 0; k < WARM_UP; k++) step(k);
  const start = process.hrtime.bigint();
  for (let k = WARM_UP; k < total; k++) step(k);
  return Number(process.hrtime.bigint() - start) / 1000 / updates;
}

const pump = new core.PumpSimulator({ assetId: 'p', seed: 1, noise: 0.005 });
const pumpReadings = Array.from({ length: WARM_UP + UPDATES }, (_, k) => pump.step(T0 + k * 60_000, 60).signals);
const usPerUpdate: Record<string, number> = {};
usPerUpdate['pump-physics'] = timeModel({ kind: 'pump-physics', healthyWindowSeconds: 120 * 60 }, (k) => pumpReadings[k]!);
usPerUpdate['motor-thermal'] = timeModel({ kind: 'motor-thermal', healthyWindowSeconds: 120 * 60 }, (k) => ({ current: 50 + (k % 7), ambientTemp: 25, windingTemp: 80 + (k % 5) * 0.1 }));
const x = pumpReadings.slice(0, 400).map((r) => [r.speed!]);
const y = pumpReadings.slice(0, 400).map((r) => [r.flow!, r.pressure!]);
const baseline = core.fitRidgeBaseline(x, y, { inputs: ['speed'], outputs: ['flow', 'pressure'] });
if (!baseline.ok) throw new Error(baseline.reason);
usPerUpdate['learned-baseline'] = timeModel({ kind: 'learned-baseline', baseline: baseline.value, healthyWindowSeconds: 120 * 60 }, (k) => pumpReadings[k]!);

// How the pump model's cost grows with the readings in its 60-minute indicator window: one reading a minute, every
// 6 s and every second (61, 601 and 3,601 points per signal), following the window as it slides (twin-model now)
// against reading every point of it on every update (before), in the same run.
const SWEEP_UPDATES = 5000;
const indicatorWindow = [60, 6, 1].map((periodS) => {
  const sim = new core.PumpSimulator({ assetId: 'p', seed: 1, noise: 0.005 });
  const readings = Array.from({ length: WARM_UP + SWEEP_UPDATES }, (_, k) => sim.step(T0 + k * periodS * 1000, periodS).signals);
  // Warm-up and healthy window scale with the period, so the timed updates are steady at every rate.
  const options = { kind: 'pump-physics' as const, healthyWindowSeconds: (WARM_UP / 2) * periodS };
  const slidingUs = timeModel(options, (k) => readings[k]!, { updates: SWEEP_UPDATES, periodS });
  const everyPointUs = timeModel(options, (k) => readings[k]!, { updates: SWEEP_UPDATES, periodS, everyPoint: true });
  return { periodS, points: Math.floor(INDICATOR_WINDOW_SECONDS / periodS) + 1, slidingUs, everyPointUs };
});

// RUL: every method on every FD001 test engine's full history, with the packaged model.
const parsedModel = core.parseRulModel(readFileSync(join(root, 'models', 'cmapss-fd001-gbt.json'), 'utf8'));
if (!parsedModel.ok) throw new Error(parsedModel.reason);
const test = core.parseCmapss(readFileSync(join(dataDir, 'test_FD001.txt'), 'utf8'));
if (!test.ok) throw new Error(test.reason);
const histories = test.value.engines.map((engine) => core.engineColumns(engine));
const buffers = new core.EstimateBuffers();
for (const method of core.RUL_METHODS) {
  // One untimed pass first, as bench:rul does: the figure is the steady cost of an update, not the JIT's first compiles.
  for (const history of histories) core.predictRul(parsedModel.value, method, history, 30, buffers);
  // Then five timed passes over the 100 engines, and their median: on a shared machine one pass can land in another
  // process's burst, which a single timing of all five would carry.
  const passes = Array.from({ length: 5 }, () => {
    const start = process.hrtime.bigint();
    for (const history of histories) core.predictRul(parsedModel.value, method, history, 30, buffers);
    return Number(process.hrtime.bigint() - start) / 1000 / histories.length;
  }).sort((a, b) => a - b);
  usPerUpdate[`rul-${method}`] = passes[2]!;
}

// For scale: one twin-store ingest of the same pump reading.
const store = new core.TwinStore(core.normaliseDefinition({ name: 'pump', historyPoints: 1000, signals: [] }), new core.ManualClock(T0 + 1e12));
const start = process.hrtime.bigint();
for (let k = 0; k < pumpReadings.length; k++) store.ingest({ assetId: 'p', ts: T0 + k * 60_000, signals: pumpReadings[k]! });
const storeIngestUs = Number(process.hrtime.bigint() - start) / 1000 / pumpReadings.length;

console.log(`Model and RUL cost per asset update, Node ${process.version} (model: ${UPDATES} steady updates; RUL: 100 FD001 test engines, median of 5 passes)`);
console.log('kind                 | µs per update');
for (const [kind, us] of Object.entries(usPerUpdate)) console.log(`${kind.padEnd(20)} | ${us.toFixed(1).padStart(8)}`);
console.log(`${'store ingest (scale)'.padEnd(20)} | ${storeIngestUs.toFixed(1).padStart(8)}`);
console.log('');
console.log(`Pump model with its 60-minute condition indicators, by readings in the window (${SWEEP_UPDATES} steady updates each)`);
console.log('one reading every | points per signal | µs per update, window followed as it slides | reading every point');
for (const r of indicatorWindow) {
  console.log(`${`${r.periodS} s`.padEnd(17)} | ${String(r.points).padStart(17)} | ${r.slidingUs.toFixed(1).padStart(44)} | ${r.everyPointUs.toFixed(1).padStart(19)}`);
}
const round = (v: number) => Number(v.toFixed(2));
console.log(
  JSON.stringify({
    usPerUpdate: Object.fromEntries(Object.entries(usPerUpdate).map(([k, v]) => [k, round(v)])),
    storeIngestUs: round(storeIngestUs),
    indicatorWindow: indicatorWindow.map((r) => ({ points: r.points, slidingUs: round(r.slidingUs), everyPointUs: round(r.everyPointUs) })),
  }),
);
