/**
 * Condition indicators of one signal over a history window, as the Predictive Maintenance Toolbox's signal features
 * name them: RMS (energy), kurtosis (impacts), crest factor (peakiness) and slope (trend).
 */

export interface ConditionIndicators {
  /** Points in the window. */
  points: number;
  rms: number;
  /** m4/m2² (3 for Gaussian noise); null for a constant window. */
  kurtosis: number | null;
  /** max|x| / RMS; null for an all-zero window. */
  crestFactor: number | null;
  /** Least-squares trend in signal units per hour of plant time; null below two distinct times. */
  slopePerHour: number | null;
}

/**
 * Indicators of a window of readings, or undefined for an empty window. Takes typed arrays too: twin-model reads the
 * window on every update into reused buffers, without a copy.
 *
 * The formulas are those of `rootMeanSquare`, `kurtosis`, `crestFactor` and `slope` (statistics.ts, checked against
 * simple-statistics), summed in the same order so the results are the same numbers, but in two passes over the window
 * instead of nine: twin-model computes them for every signal of every update, and the passes were most of its cost.
 * @param ts reading times (ms of telemetry time)
 * @param timeScale plant seconds per second of telemetry time, so the slope is per plant hour
 * @param n how many readings of `ts` and `values` form the window (default: all)
 */
export function conditionIndicators(ts: ArrayLike<number>, values: ArrayLike<number>, timeScale = 1, n = values.length): ConditionIndicators | undefined {
  if (n === 0) return undefined;
  // Pass 1: sums for the means and the RMS, the peak, and whether times and values vary at all.
  let sumT = 0;
  let sum = 0;
  let sumSquares = 0;
  let peak = 0;
  let distinctTimes = false;
  let variesAtAll = false;
  const t0 = ts[0]!;
  const v0 = values[0]!;
  for (let i = 0; i < n; i++) {
    // Times enter as offsets from the first: exact for millisecond timestamps, so a window a few ms long keeps its
    // slope's digits (1.7e12 ms since 1970 would round its mean by 1e-4 ms).
    const t = ts[i]! - t0;
    const v = values[i]!;
    sumT += t;
    sum += v;
    sumSquares += v * v;
    peak = Math.max(peak, Math.abs(v));
    if (t !== 0) distinctTimes = true;
    if (v !== v0) variesAtAll = true;
  }
  const meanT = sumT / n;
  const mean = sum / n;
  // Pass 2: moments about the means (two-pass, so a large offset loses no precision).
  let m2 = 0;
  let m4 = 0;
  let sxy = 0;
  let sxx = 0;
  for (let i = 0; i < n; i++) {
    const dt = ts[i]! - t0 - meanT;
    const dv = values[i]! - mean;
    const d2 = dv * dv;
    m2 += d2;
    m4 += d2 * d2;
    sxy += dt * dv;
    sxx += dt * dt;
  }
  const rms = Math.sqrt(sumSquares / n);
  const variance = m2 / n;
  return {
    points: n,
    rms,
    kurtosis: variesAtAll && variance > 0 ? m4 / n / (variance * variance) : null,
    crestFactor: rms > 0 ? peak / rms : null,
    // Per millisecond of telemetry time, then per plant hour (one scaling instead of converting every time).
    slopePerHour: distinctTimes && sxx > 0 ? ((sxy / sxx) * 3_600_000) / timeScale : null,
  };
}
