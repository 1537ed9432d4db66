/**
 * Windowed features of run-to-failure histories (C-MAPSS format) for remaining-useful-life models.
 *
 * The usual protocol: near-constant sensors are dropped, every sensor is scaled with a mean and spread fitted on the
 * training data only, per operating regime when the data has several (FD002/FD004 fly in six conditions, given by the
 * three settings), and the learning target is min(RUL, 125). Per series (each kept sensor and the health indicator)
 * the features are, by default: the last value; the mean and slope of the last `DEFAULT_WINDOW` cycles; the change of
 * that mean since the history's first cycles (engines start from different levels: manufacturing variation); the
 * slope over the whole history so far (the trend: how fast this engine has been wearing since new); and the mean and
 * slope of the last `RECENT_WINDOW` cycles, the mean as a difference from the window mean (what changed lately); plus
 * the number of cycles run so far. See `DEFAULT_FEATURES` for the cross-validation that chose them.
 *
 * Every raw value goes through `Math.fround` first: the twin keeps its history in 32-bit floats, so the node and the
 * benchmark see the very same numbers and give the very same estimate.
 */

import type { EstimateBuffers } from './buffers.js';

/** One asset's history: per signal name the readings, oldest first; every column has one value per cycle. */
export type SignalColumns = Record<string, ArrayLike<number>>;

/**
 * What can be computed per series, each from cycles up to the current one only:
 * - `last`: the current value; `mean`, `slope`, `std`: over the last `window` cycles (least-squares slope per cycle);
 * - `ewma`: exponentially weighted mean over the whole history (`ewmaAlpha`);
 * - `change`: window mean minus the mean of the history's first `BASELINE_CYCLES` cycles;
 * - `trend`: least-squares slope over the whole history since new;
 * - `recent`: mean of the last `recentWindow` cycles minus the window mean; `recentSlope`: their slope.
 */
export const FEATURE_KINDS = ['last', 'mean', 'slope', 'std', 'ewma', 'change', 'trend', 'recent', 'recentSlope'] as const;
export type FeatureKind = (typeof FEATURE_KINDS)[number];

/** How a history becomes features; fitted on training data and saved with the model. */
export interface FeaturePipeline {
  settings: string[];
  /** Sensors kept (the near-constant ones are dropped). */
  sensors: string[];
  /** Operating regimes: centres in the settings' own units (one centre when the data has one condition). */
  regimeCentres: number[][];
  /** Scale of each setting for the regime distance (so a large setting does not dominate). */
  settingScale: number[];
  /** Per regime, per kept sensor: mean and standard deviation on the training data. */
  mean: number[][];
  std: number[][];
  window: number;
  ewmaAlpha: number;
  /** Features per series, in vector order. Absent (model files saved before it existed): `LEGACY_FEATURES`. */
  features?: FeatureKind[];
  /** Cycles of the `recent` statistics (absent: `RECENT_WINDOW`). */
  recentWindow?: number;
  /**
   * A linear combination of the scaled sensors treated as one more series (a health indicator: it averages out
   * sensor noise, which single-feature tree splits cannot do). Absent: sensors only.
   */
  combined?: { weights: number[]; bias: number };
}

/** The features of model files saved before the pipeline named them (window 110, EWMA 0.1): they keep working. */
export const LEGACY_FEATURES: readonly FeatureKind[] = ['last', 'mean', 'slope', 'std', 'ewma', 'change'];
/**
 * The features of new models, chosen by 5-fold engine-wise cross-validation on train_FD001 only (`npm run bench:rul
 * -- --cv …`: pipeline and health indicator fitted per fold, boosted trees with 2 seeds a fold, RMSE against the
 * capped target over every cycle of the held-out engines). From the legacy set (window 110): 8.86; adding the
 * whole-history slope `trend` → 7.67, the biggest step by far (an engine's own wear rate since new says how far along
 * it is, which a window cannot see); then the last 20 cycles (`recent`, `recentSlope`) → 7.46; dropping `std`,
 * `ewma`, `change` → 7.29; window 80 → 7.19, 60 → 7.15 (7.19 with another seed), 40 → 7.50; without `trend` at
 * window 60: 8.99. Adding back `change` alone → 7.01 (7.07 with the other seed), `ewma` alone → 7.11, both → 7.07;
 * `std` → 7.23. Recent window 10 → 7.31, 30 → 7.12 (with `change`: window 80 → 7.22). Tried earlier and not kept:
 * three EWMA spans, window min/max, the whole-history mean, a quadratic fit over the whole history (within noise at
 * twice the time).
 */
export const DEFAULT_FEATURES: readonly FeatureKind[] = ['last', 'mean', 'slope', 'change', 'trend', 'recent', 'recentSlope'];
/** Cycles at the start of a history that are its own healthy baseline (engines differ from new). */
export const BASELINE_CYCLES = 20;
export const RUL_CAP = 125;
/**
 * Window of the per-sensor statistics, chosen by 5-fold engine-wise cross-validation on train_FD001 (see
 * `DEFAULT_FEATURES`: with the whole-history trend beside it, 60 cycles; the legacy features alone wanted 110).
 * Early cycles use what there is.
 */
export const DEFAULT_WINDOW = 60;
export const RECENT_WINDOW = 20;
export const FEATURE_EWMA_ALPHA = 0.1;
const MAX_REGIMES = 6;

/** The feature kinds of a pipeline, in vector order. */
export function featureKinds(pipeline: FeaturePipeline): readonly FeatureKind[] {
  return pipeline.features ?? LEGACY_FEATURES;
}

/** Feature names in vector order, for explanations and reports. */
export function featureNames(pipeline: FeaturePipeline): string[] {
  const series = pipeline.combined ? [...pipeline.sensors, 'health'] : pipeline.sensors;
  const kinds = featureKinds(pipeline);
  const names = series.flatMap((s) => kinds.map((f) => `${s}.${f}`));
  names.push('cycles');
  return names;
}

export function featureCount(pipeline: FeaturePipeline): number {
  return (pipeline.sensors.length + (pipeline.combined ? 1 : 0)) * featureKinds(pipeline).length + 1;
}

/** Length of a history (all columns must have it). */
export function historyLength(columns: SignalColumns, names: readonly string[]): number {
  return names.length === 0 ? 0 : columns[names[0]!]?.length ?? 0;
}

/**
 * Fits the pipeline on training histories: regimes, the sensors to keep and the scaling.
 *
 * Several regimes are looked for only when a setting really moves (range above 1 in its own units: the FD001
 * settings wander by thousandths around one flight condition, FD002's altitude setting jumps between 0 and 42).
 * A sensor is dropped when, in every regime, it takes at most two distinct values (FD001: sensors 1, 5, 6, 10, 16,
 * 18, 19 — the protocol's list) or has no spread at all.
 */
export function fitFeaturePipeline(
  histories: SignalColumns[],
  options: { settings: string[]; sensors: string[]; window?: number; ewmaAlpha?: number; features?: readonly FeatureKind[]; recentWindow?: number },
): FeaturePipeline {
  const { settings, sensors } = options;
  const settingRows: number[][] = [];
  for (const h of histories) {
    const n = historyLength(h, settings);
    for (let i = 0; i < n; i++) settingRows.push(settings.map((s) => Math.fround(h[s]![i]!)));
  }
  // Loops, not Math.max(...values): FD004 has 61,000 rows, too many arguments for a spread.
  const settingScale = settings.map((_, j) => {
    let lo = Infinity;
    let hi = -Infinity;
    for (const r of settingRows) {
      lo = Math.min(lo, r[j]!);
      hi = Math.max(hi, r[j]!);
    }
    return Math.max(1e-9, hi - lo);
  });
  const moving = settingScale.some((range) => range > 1);
  const regimeCentres = moving ? kMeans(settingRows, MAX_REGIMES, settingScale) : [settings.map((_, j) => average(settingRows.map((r) => r[j]!)))];
  const partial: FeaturePipeline = {
    settings,
    sensors,
    regimeCentres,
    settingScale,
    mean: [],
    std: [],
    window: options.window ?? DEFAULT_WINDOW,
    ewmaAlpha: options.ewmaAlpha ?? FEATURE_EWMA_ALPHA,
    features: [...(options.features ?? DEFAULT_FEATURES)],
    recentWindow: options.recentWindow ?? RECENT_WINDOW,
  };

  // Per regime and sensor: values seen, to count distinct ones and compute mean and spread.
  const regimes = regimeCentres.length;
  const sums = sensors.map(() => new Float64Array(regimes));
  const squares = sensors.map(() => new Float64Array(regimes));
  const counts = new Float64Array(regimes);
  const distinct = sensors.map(() => Array.from({ length: regimes }, () => new Set<number>()));
  for (const h of histories) {
    const regimeOf = regimesOf(partial, h);
    for (let i = 0; i < regimeOf.length; i++) {
      const r = regimeOf[i]!;
      counts[r]! += 1;
      for (let s = 0; s < sensors.length; s++) {
        const v = Math.fround(h[sensors[s]!]![i]!);
        sums[s]![r]! += v;
        squares[s]![r]! += v * v;
        if (distinct[s]![r]!.size < 3) distinct[s]![r]!.add(v);
      }
    }
  }
  const kept: number[] = [];
  for (let s = 0; s < sensors.length; s++) {
    const informative = distinct[s]!.some((set, r) => set.size > 2 && spread(sums[s]![r]!, squares[s]![r]!, counts[r]!) > 0);
    if (informative) kept.push(s);
  }
  partial.sensors = kept.map((s) => sensors[s]!);
  partial.mean = Array.from({ length: regimes }, (_, r) => kept.map((s) => (counts[r]! > 0 ? sums[s]![r]! / counts[r]! : 0)));
  partial.std = Array.from({ length: regimes }, (_, r) => kept.map((s) => Math.max(1e-9, spread(sums[s]![r]!, squares[s]![r]!, counts[r]!))));
  return partial;
}

function spread(sum: number, squares: number, count: number): number {
  if (count < 2) return 0;
  const mean = sum / count;
  return Math.sqrt(Math.max(0, squares / count - mean * mean));
}

function average(values: number[]): number {
  return values.reduce((a, b) => a + b, 0) / Math.max(1, values.length);
}

/** The operating regime of every cycle of a history (nearest centre in scaled settings). */
export function regimesOf(pipeline: FeaturePipeline, columns: SignalColumns): Uint8Array {
  const { settings, regimeCentres, settingScale } = pipeline;
  const n = historyLength(columns, settings);
  const out = new Uint8Array(n);
  if (regimeCentres.length === 1) return out;
  for (let i = 0; i < n; i++) {
    let best = 0;
    let bestDistance = Infinity;
    for (let r = 0; r < regimeCentres.length; r++) {
      let d = 0;
      for (let j = 0; j < settings.length; j++) {
        const diff = (Math.fround(columns[settings[j]!]![i]!) - regimeCentres[r]![j]!) / settingScale[j]!;
        d += diff * diff;
      }
      if (d < bestDistance) {
        bestDistance = d;
        best = r;
      }
    }
    out[i] = best;
  }
  return out;
}

/**
 * k-means in scaled coordinates, deterministic: the first centre is the first row, each next one the row farthest
 * from the centres so far; then Lloyd iterations. Operating conditions are tight clusters, so this finds them.
 */
export function kMeans(rows: number[][], k: number, scale: number[]): number[][] {
  if (rows.length === 0) return [];
  const dims = scale.length;
  const distance = (a: number[], b: number[]) => {
    let d = 0;
    for (let j = 0; j < dims; j++) {
      const diff = (a[j]! - b[j]!) / scale[j]!;
      d += diff * diff;
    }
    return d;
  };
  const centres: number[][] = [rows[0]!.slice()];
  const nearest = rows.map((r) => distance(r, centres[0]!));
  while (centres.length < k) {
    let far = 0;
    for (let i = 1; i < rows.length; i++) if (nearest[i]! > nearest[far]!) far = i;
    if (nearest[far]! <= 1e-12) break; // fewer distinct conditions than k
    centres.push(rows[far]!.slice());
    for (let i = 0; i < rows.length; i++) nearest[i] = Math.min(nearest[i]!, distance(rows[i]!, centres[centres.length - 1]!));
  }
  for (let iteration = 0; iteration < 20; iteration++) {
    const sums = centres.map(() => new Float64Array(dims));
    const counts = new Float64Array(centres.length);
    for (const row of rows) {
      let best = 0;
      for (let c = 1; c < centres.length; c++) if (distance(row, centres[c]!) < distance(row, centres[best]!)) best = c;
      counts[best]! += 1;
      for (let j = 0; j < dims; j++) sums[best]![j]! += row[j]!;
    }
    for (let c = 0; c < centres.length; c++) {
      if (counts[c]! > 0) centres[c] = Array.from(sums[c]!, (s) => s / counts[c]!);
    }
  }
  // Sorted so the regime numbers do not depend on which row came first.
  return centres.sort((a, b) => a.reduce((x, v, j) => x || v - b[j]!, 0));
}

/**
 * Scaled sensor values of a history: `z[s][i]` for kept sensor s at cycle i.
 * @param buffers where the arrays come from when an estimate runs on every update (slots 0 … sensors − 1)
 */
export function scaledSensors(pipeline: FeaturePipeline, columns: SignalColumns, buffers?: EstimateBuffers): Float64Array[] {
  const n = historyLength(columns, pipeline.settings.length > 0 ? pipeline.settings : pipeline.sensors);
  // One operating regime (FD001, a pump at its rated speed): the same scaling for every cycle, read once per sensor.
  const single = pipeline.regimeCentres.length === 1;
  const regime = single ? undefined : regimesOf(pipeline, columns);
  return pipeline.sensors.map((name, s) => {
    const raw = columns[name];
    if (raw === undefined) throw new Error(`the history has no signal "${name}"`);
    const z = buffers ? buffers.take(s, n) : new Float64Array(n);
    if (regime === undefined) {
      const mean = pipeline.mean[0]![s]!;
      const std = pipeline.std[0]![s]!;
      for (let i = 0; i < n; i++) z[i] = (Math.fround(raw[i]!) - mean) / std;
      return z;
    }
    for (let i = 0; i < n; i++) {
      const r = regime[i]!;
      z[i] = (Math.fround(raw[i]!) - pipeline.mean[r]![s]!) / pipeline.std[r]![s]!;
    }
    return z;
  });
}

/** The series the window features are computed on: the scaled sensors, and the combined one when there is one. */
export function featureSeries(pipeline: FeaturePipeline, columns: SignalColumns): Float64Array[] {
  return withCombined(pipeline, scaledSensors(pipeline, columns));
}

/**
 * The scaled sensors `z` (from `scaledSensors`) with the combined series appended when the pipeline has one.
 * @param buffers as for `scaledSensors` (the combined series takes the slot after the sensors')
 */
export function withCombined(pipeline: FeaturePipeline, z: Float64Array[], buffers?: EstimateBuffers): Float64Array[] {
  const combined = pipeline.combined;
  if (!combined) return z;
  const n = z[0]?.length ?? 0;
  // Sensor by sensor over the whole series (each cycle still sums bias + w₀z₀ + w₁z₁ + … in that order, so the
  // values are those of a cycle-by-cycle loop), reading each series straight through.
  const health = (buffers ? buffers.take(z.length, n) : new Float64Array(n)).fill(combined.bias);
  for (let s = 0; s < z.length; s++) {
    const w = combined.weights[s]!;
    const series = z[s]!;
    for (let i = 0; i < n; i++) health[i]! += w * series[i]!;
  }
  return [...z, health];
}

/**
 * Feature vectors of a history at the given cycles (indexes, 0-based, ascending), written into `out` from row
 * `row` on (row-major, `featureCount` values per row). Each vector uses only cycles up to its own: no look-ahead. The
 * running quantities (EWMA, whole-history sums) advance cycle by cycle, so the training table (every cycle) and the
 * live estimate (the last cycle) compute them the same way.
 */
export function writeFeatures(pipeline: FeaturePipeline, z: Float64Array[], at: number[], out: Float64Array, row: number): void {
  const width = featureCount(pipeline);
  const kinds = featureKinds(pipeline);
  const perSeries = kinds.length;
  const { window, ewmaAlpha } = pipeline;
  const recentWindow = pipeline.recentWindow ?? RECENT_WINDOW;
  const needsRecent = kinds.includes('recent') || kinds.includes('recentSlope');
  const stats = new Float64Array(3);
  const recent = new Float64Array(3);
  for (let s = 0; s < z.length; s++) {
    const series = z[s]!;
    let ewma = series[0] ?? 0;
    // Whole-history least squares: sums of y and x·y through cycle next-1 (the sums of x and x² are closed-form).
    let sumY = series[0] ?? 0;
    let sumXY = 0;
    let next = 1; // running quantities are up to date through cycle next-1
    for (let k = 0; k < at.length; k++) {
      const t = at[k]!;
      for (; next <= t; next++) {
        const y = series[next]!;
        ewma = ewmaAlpha * y + (1 - ewmaAlpha) * ewma;
        sumY += y;
        sumXY += next * y;
      }
      const base = (row + k) * width + s * perSeries;
      windowStatistics(series, Math.max(0, t - window + 1), t, stats);
      if (needsRecent) windowStatistics(series, Math.max(0, t - recentWindow + 1), t, recent);
      for (let j = 0; j < perSeries; j++) {
        let v: number;
        switch (kinds[j]!) {
          case 'last': v = series[t]!; break;
          case 'mean': v = stats[0]!; break;
          case 'slope': v = stats[1]!; break;
          case 'std': v = stats[2]!; break;
          case 'ewma': v = ewma; break;
          case 'change': v = stats[0]! - baselineMean(series, t); break;
          case 'trend': v = slopeFromSums(t + 1, sumY, sumXY); break;
          case 'recent': v = recent[0]! - stats[0]!; break;
          case 'recentSlope': v = recent[1]!; break;
        }
        out[base + j] = v;
      }
    }
  }
  for (let k = 0; k < at.length; k++) out[(row + k) * width + width - 1] = at[k]! + 1;
}

/** Least-squares slope of m points at x = 0 … m−1 from the sums of y and x·y. */
function slopeFromSums(m: number, sumY: number, sumXY: number): number {
  const sumX = (m * (m - 1)) / 2;
  const sumXX = ((m - 1) * m * (2 * m - 1)) / 6;
  const denominator = m * sumXX - sumX * sumX;
  return denominator > 0 ? (m * sumXY - sumX * sumY) / denominator : 0;
}

/** Mean of the first cycles of a history (at most `BASELINE_CYCLES`, and none after cycle t). */
function baselineMean(series: Float64Array, t: number): number {
  const end = Math.min(t, BASELINE_CYCLES - 1);
  let sum = 0;
  for (let i = 0; i <= end; i++) sum += series[i]!;
  return sum / (end + 1);
}

/** Mean, least-squares slope (per cycle) and standard deviation of `series[from..to]`, into `out`. */
function windowStatistics(series: Float64Array, from: number, to: number, out: Float64Array): void {
  const m = to - from + 1;
  let sum = 0;
  let sumX = 0;
  let sumXY = 0;
  let sumXX = 0;
  let sumYY = 0;
  for (let i = from; i <= to; i++) {
    const x = i - from;
    const y = series[i]!;
    sum += y;
    sumYY += y * y;
    sumX += x;
    sumXY += x * y;
    sumXX += x * x;
  }
  const mean = sum / m;
  const denominator = m * sumXX - sumX * sumX;
  out[0] = mean;
  out[1] = denominator > 0 ? (m * sumXY - sumX * sum) / denominator : 0;
  out[2] = Math.sqrt(Math.max(0, sumYY / m - mean * mean));
}

/** The feature vector at the last cycle of a history (what the live estimate uses). */
export function lastFeatures(pipeline: FeaturePipeline, columns: SignalColumns): Float64Array {
  return lastFeaturesOfScaled(pipeline, scaledSensors(pipeline, columns), historyLength(columns, pipeline.sensors));
}

/**
 * `lastFeatures` from the scaled sensors of the history (`scaledSensors`), when the caller already has them.
 * @param n the length of the history
 * @param buffers as for `scaledSensors`
 */
export function lastFeaturesOfScaled(pipeline: FeaturePipeline, scaled: Float64Array[], n: number, buffers?: EstimateBuffers): Float64Array {
  const z = withCombined(pipeline, scaled, buffers);
  if (n === 0) throw new Error('the history is empty');
  const out = new Float64Array(featureCount(pipeline));
  writeFeatures(pipeline, z, [n - 1], out, 0);
  return out;
}

/** A training table: features of every cycle of every history, the capped target, and which history each row is. */
export interface TrainingTable {
  x: Float64Array;
  /** min(RUL, cap). */
  y: Float64Array;
  /** True RUL, not capped. */
  rul: Float64Array;
  group: Uint16Array;
  rows: number;
  width: number;
}

export function trainingTable(pipeline: FeaturePipeline, histories: SignalColumns[], cap = RUL_CAP): TrainingTable {
  const width = featureCount(pipeline);
  const lengths = histories.map((h) => historyLength(h, pipeline.sensors));
  const rows = lengths.reduce((a, b) => a + b, 0);
  const table: TrainingTable = { x: new Float64Array(rows * width), y: new Float64Array(rows), rul: new Float64Array(rows), group: new Uint16Array(rows), rows, width };
  let row = 0;
  histories.forEach((h, g) => {
    const n = lengths[g]!;
    const at = Array.from({ length: n }, (_, i) => i);
    writeFeatures(pipeline, featureSeries(pipeline, h), at, table.x, row);
    for (let i = 0; i < n; i++) {
      table.rul[row + i] = n - 1 - i;
      table.y[row + i] = Math.min(cap, n - 1 - i);
      table.group[row + i] = g;
    }
    row += n;
  });
  return table;
}
