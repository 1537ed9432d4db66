/**
 * Twin store benchmark: signal updates per second into the store, bytes per stored history point, and how both
 * change with the number of assets. A baseline in the same run: the same updates kept the way a function node
 * would keep them (latest values in objects, history as arrays of { ts, value } objects).
 * Last line: {"updatesPerSec":…,"bytesPerPoint":…,"byAssets":[{"assets":100,"updatesPerSec":…},…],…}
 */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { TwinStore, normaliseDefinition, ManualClock } = require('../dist/core/index.js') as typeof import('../dist/core/index.js');

const SIGNALS = 20;
const T0 = Date.UTC(2026, 0, 1);
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc');

function definition(historyPoints: number) {
  return normaliseDefinition({
    name: 'bench',
    historyPoints,
    signals: Array.from({ length: SIGNALS }, (_, i) => ({ name: `s${i}`, min: -1e9, max: 1e9 })),
  });
}

function telemetryFor(assets: number) {
  const signals = Array.from({ length: SIGNALS }, (_, i) => `s${i}`);
  return Array.from({ length: assets }, (_, a) => ({ assetId: `asset-${a}`, signals }));
}

/** Feeds `rounds` updates of every asset (20 signals each) and returns signal updates per second. */
function runStore(assets: number, rounds: number, historyPoints: number): number {
  const clock = new ManualClock(T0 + rounds * 1000 + 1);
  const store = new TwinStore(definition(historyPoints), clock);
  const shapes = telemetryFor(assets);
  const message = { assetId: '', ts: 0, signals: {} as Record<string, number> };
  // Warm-up round so every asset and buffer exists: we measure steady-state updates.
  const feed = (round: number) => {
    for (const shape of shapes) {
      message.assetId = shape.assetId;
      message.ts = T0 + round * 1000;
      const signals: Record<string, number> = {};
      for (let i = 0; i < SIGNALS; i++) signals[shape.signals[i]!] = round + i * 0.5;
      message.signals = signals;
      store.ingest(message);
    }
  };
  feed(0);
  const start = process.hrtime.bigint();
  for (let r = 1; r <= rounds; r++) feed(r);
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  return (assets * rounds * SIGNALS) / seconds;
}

function runBaseline(assets: number, rounds: number, historyPoints: number): number {
  type Point = { ts: number; value: number };
  const latest = new Map<string, Record<string, Point>>();
  const history = new Map<string, Record<string, Point[]>>();
  const shapes = telemetryFor(assets);
  const start = process.hrtime.bigint();
  for (let r = 1; r <= rounds; r++) {
    for (const shape of shapes) {
      const ts = T0 + r * 1000;
      let l = latest.get(shape.assetId);
      let h = history.get(shape.assetId);
      if (!l || !h) {
        l = {};
        h = {};
        latest.set(shape.assetId, l);
        history.set(shape.assetId, h);
      }
      for (let i = 0; i < SIGNALS; i++) {
        const name = shape.signals[i]!;
        const point = { ts, value: r + i * 0.5 };
        l[name] = point;
        const list = (h[name] ??= []);
        list.push(point);
        if (list.length > historyPoints) list.shift();
      }
    }
  }
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  return (assets * rounds * SIGNALS) / seconds;
}

function memoryNow(): number {
  gc!();
  gc!();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

/** Bytes per stored point with full histories: everything the store holds, divided by the points it holds. */
function bytesPerPoint(assets: number, historyPoints: number): { store: number; buffersOnly: number; baseline: number } {
  const before = memoryNow();
  const store = new TwinStore(definition(historyPoints), new ManualClock(T0 + historyPoints * 1000 + 1));
  const signals: Record<string, number> = {};
  for (let r = 0; r < historyPoints; r++) {
    for (let a = 0; a < assets; a++) {
      for (let i = 0; i < SIGNALS; i++) signals[`s${i}`] = r + i + a * 0.001;
      store.ingest({ assetId: `asset-${a}`, ts: T0 + r * 1000, signals });
    }
  }
  const storeBytes = memoryNow() - before;
  const points = assets * SIGNALS * historyPoints;
  if (store.history('asset-0', 's0').values.length !== historyPoints) throw new Error('history not full');

  const before2 = memoryNow();
  const baseline = new Map<string, Array<{ ts: number; value: number }>>();
  for (let a = 0; a < assets; a++) {
    for (let i = 0; i < SIGNALS; i++) {
      const list: Array<{ ts: number; value: number }> = [];
      for (let r = 0; r < historyPoints; r++) list.push({ ts: T0 + r * 1000, value: r + i + a * 0.001 });
      baseline.set(`asset-${a}/s${i}`, list);
    }
  }
  const baselineBytes = memoryNow() - before2;
  if (baseline.size !== assets * SIGNALS) throw new Error('baseline incomplete');
  return { store: storeBytes / points, buffersOnly: 13, baseline: baselineBytes / points };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const HISTORY = 100;
const byAssets: Array<{ assets: number; updatesPerSec: number; baselineUpdatesPerSec: number }> = [];
for (const assets of [100, 1000, 10_000]) {
  // Enough rounds that every history fills and then slides, for the store and the baseline alike.
  const rounds = Math.max(HISTORY + 20, Math.round(200_000 / assets));
  const storeRuns: number[] = [];
  const baseRuns: number[] = [];
  for (let k = 0; k < 3; k++) {
    storeRuns.push(runStore(assets, rounds, HISTORY));
    baseRuns.push(runBaseline(assets, rounds, HISTORY));
  }
  byAssets.push({ assets, updatesPerSec: Math.round(median(storeRuns)), baselineUpdatesPerSec: Math.round(median(baseRuns)) });
}
const memory = bytesPerPoint(100, 1000);
const headline = byAssets.find((b) => b.assets === 1000)!;

console.log(`Twin store, ${SIGNALS} signals per asset, history ${HISTORY} points (median of 3 runs), Node ${process.version}`);
console.log('assets  | store signal updates/s | baseline (objects + arrays) updates/s');
for (const b of byAssets) console.log(`${String(b.assets).padStart(7)} | ${String(b.updatesPerSec).padStart(22)} | ${String(b.baselineUpdatesPerSec).padStart(10)}`);
console.log(`memory per stored point at 100 assets × ${SIGNALS} signals × 1000 points: store ${memory.store.toFixed(1)} B (ring buffers 13 B), baseline ${memory.baseline.toFixed(1)} B`);
console.log(
  JSON.stringify({
    updatesPerSec: headline.updatesPerSec,
    bytesPerPoint: Number(memory.store.toFixed(2)),
    baselineBytesPerPoint: Number(memory.baseline.toFixed(2)),
    byAssets,
  }),
);
