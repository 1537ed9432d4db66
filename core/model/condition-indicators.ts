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
 * Indicators of a window of readings, or undefined for an empty window.
 * @param ts reading times (ms of telemetry time)
 * @param timeScale plant seconds per second of telemetry time, so the slope is per plant hour
 */
export function conditionIndicators(ts: readonly number[], values: readonly number[], timeScale = 1): ConditionIndicators | undefined {
  if (values.length === 0) return undefined;
  const hours = ts.map((t) => (t * timeScale) / 3_600_000);
  const distinctTimes = hours.length > 1 && hours.some((h) => h !== hours[0]);
  const variesAtAll = values.some((v) => v !== values[0]);
  const rms = rootMeanSquare(values);
  return {
    points: values.length,
    rms,
    kurtosis: variesAtAll && values.length > 1 ? kurtosis(values) : null,
    crestFactor: rms > 0 ? crestFactor(values) : null,
    slopePerHour: distinctTimes ? slope(hours, values) : null,
  };
}
