/**
 * A health indicator: one number per cycle, about 1 when an asset is new and about 0 when it fails, from a linear
 * combination of the scaled sensors fitted on run-to-failure histories, then smoothed. The target is
 * min(1, RUL/125): healthy (1) until the last 125 cycles, then falling straight to 0 at failure, the same
 * piecewise-linear shape as the learning target of the regressors.
 * It is what the explainable methods (degradation models, similarity) work on and what the node shows.
 */
import { RUL_CAP, scaledSensors, type FeaturePipeline, type SignalColumns } from './features.js';

export interface HealthIndexModel {
  /** One weight per kept sensor of the pipeline. */
  weights: number[];
  bias: number;
  /** Smoothing of the raw indicator: exponentially weighted mean with this factor. */
  smoothing: number;
}

export const DEFAULT_HEALTH_SMOOTHING = 0.15;

/**
 * Least squares (with a small ridge penalty, so strongly correlated sensors stay stable) of min(1, RUL/cap) on the
 * scaled sensors of every cycle of every history.
 */
export function fitHealthIndex(pipeline: FeaturePipeline, histories: SignalColumns[], smoothing = DEFAULT_HEALTH_SMOOTHING, cap = RUL_CAP): HealthIndexModel {
  const p = pipeline.sensors.length + 1;
  const xtx = Array.from({ length: p }, () => new Float64Array(p));
  const xty = new Float64Array(p);
  const row = new Float64Array(p);
  for (const h of histories) {
    const z = scaledSensors(pipeline, h);
    const n = z[0]?.length ?? 0;
    for (let i = 0; i < n; i++) {
      for (let s = 0; s < z.length; s++) row[s] = z[s]![i]!;
      row[p - 1] = 1;
      const target = Math.min(1, (n - 1 - i) / cap);
      for (let a = 0; a < p; a++) {
        xty[a]! += row[a]! * target;
        for (let b = 0; b < p; b++) xtx[a]![b]! += row[a]! * row[b]!;
      }
    }
  }
  for (let a = 0; a < p - 1; a++) xtx[a]![a]! += 1e-3 * (xtx[a]![a]! + 1);
  const solution = solve(xtx, xty);
  return { weights: Array.from(solution.slice(0, p - 1)), bias: solution[p - 1]!, smoothing };
}

/** Gaussian elimination with partial pivoting (small dense systems). */
export function solve(matrix: Float64Array[], vector: Float64Array): Float64Array {
  const n = vector.length;
  const a = matrix.map((r) => Float64Array.from(r));
  const b = Float64Array.from(vector);
  for (let c = 0; c < n; c++) {
    let pivot = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(a[r]![c]!) > Math.abs(a[pivot]![c]!)) pivot = r;
    [a[c], a[pivot]] = [a[pivot]!, a[c]!];
    [b[c], b[pivot]] = [b[pivot]!, b[c]!];
    const d = a[c]![c]!;
    if (Math.abs(d) < 1e-300) continue;
    for (let r = c + 1; r < n; r++) {
      const factor = a[r]![c]! / d;
      if (factor === 0) continue;
      for (let k = c; k < n; k++) a[r]![k]! -= factor * a[c]![k]!;
      b[r]! -= factor * b[c]!;
    }
  }
  const x = new Float64Array(n);
  for (let r = n - 1; r >= 0; r--) {
    let s = b[r]!;
    for (let k = r + 1; k < n; k++) s -= a[r]![k]! * x[k]!;
    x[r] = Math.abs(a[r]![r]!) < 1e-300 ? 0 : s / a[r]![r]!;
  }
  return x;
}

/** The smoothed health indicator at every cycle of a history. */
export function healthTrajectory(pipeline: FeaturePipeline, model: HealthIndexModel, columns: SignalColumns): Float64Array {
  return healthTrajectoryOfScaled(model, scaledSensors(pipeline, columns));
}

/**
 * `healthTrajectory` from the scaled sensors of the history (`scaledSensors`), when the caller already has them.
 * @param into an array of the history's length to write it into (an estimate's reused buffer), else a new one
 */
export function healthTrajectoryOfScaled(model: HealthIndexModel, z: Float64Array[], into?: Float64Array): Float64Array {
  const n = z[0]?.length ?? 0;
  // The raw indicator sensor by sensor (each cycle sums bias + w₀z₀ + w₁z₁ + … in that order, as a cycle-by-cycle loop
  // would), then the smoothing in place.
  const out = (into ?? new Float64Array(n)).fill(model.bias);
  for (let s = 0; s < z.length; s++) {
    const w = model.weights[s]!;
    const series = z[s]!;
    for (let i = 0; i < n; i++) out[i]! += w * series[i]!;
  }
  let smooth = 0;
  for (let i = 0; i < n; i++) {
    smooth = i === 0 ? out[i]! : model.smoothing * out[i]! + (1 - model.smoothing) * smooth;
    out[i] = smooth;
  }
  return out;
}
