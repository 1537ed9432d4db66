/**
 * Condition indicators of one signal over a history window, as the Predictive Maintenance Toolbox's signal features
 * name them: RMS (energy), kurtosis (impacts), crest factor (peakiness) and slope (trend).
 */
import { crestFactor, kurtosis, rootMeanSquare, slope } from './statistics.js';

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
 * window on every update as views of reused buffers, without a copy.
 * @param ts reading times (ms of telemetry time)
 * @param timeScale plant seconds per second of telemetry time, so the slope is per plant hour
 */
export function conditionIndicators(ts: ArrayLike<number>, values: ArrayLike<number>, timeScale = 1): ConditionIndicators | undefined {
  const n = values.length;
  if (n === 0) return undefined;
  let distinctTimes = false;
  let variesAtAll = false;
  for (let i = 1; i < n; i++) {
    if (ts[i] !== ts[0]) distinctTimes = true;
    if (values[i] !== values[0]) variesAtAll = true;
  }
  const rms = rootMeanSquare(values);
  return {
    points: n,
    rms,
    kurtosis: variesAtAll ? kurtosis(values) : null,
    crestFactor: rms > 0 ? crestFactor(values) : null,
    // Per millisecond of telemetry time, then per plant hour (one scaling instead of converting every time).
    slopePerHour: distinctTimes ? (slope(ts, values) * 3_600_000) / timeScale : null,
  };
}
