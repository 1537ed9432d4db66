/** What every RUL method returns, and small helpers on samples of a remaining-life distribution. */

export interface RulEstimate {
  /** Point estimate (cycles, or the unit of the training data). */
  rul: number;
  /** 90% interval: 5% and 95% quantiles. */
  lower: number;
  upper: number;
  /** Probability that the asset fails within `horizon`. */
  probabilityOfFailureWithin: { horizon: number; p: number };
  /**
   * Where the method stops counting: an estimate or interval end equal to it means "at least this long", the history
   * shows no end yet (e.g. no wear trend). The boosted trees never estimate beyond the cap they learned (their
   * calibrated interval may reach above it); the degradation methods clamp every draw at twice the longest life they
   * learned from; similarity answers only with lives in its library, the longest of which this is.
   */
  ceiling: number;
}

/** Quantile of sorted values, linear interpolation between order statistics. */
export function quantileSorted(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length;
  if (n === 0) return NaN;
  const position = Math.min(n - 1, Math.max(0, q * (n - 1)));
  const lo = Math.floor(position);
  const hi = Math.min(n - 1, lo + 1);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (position - lo);
}

/** Share of values ≤ limit. */
export function shareAtMost(sorted: ArrayLike<number>, limit: number): number {
  let count = 0;
  for (let i = 0; i < sorted.length; i++) if (sorted[i]! <= limit) count++;
  return sorted.length === 0 ? NaN : count / sorted.length;
}

/** Estimate from samples of the remaining life: median, 5–95% interval, probability of failing within the horizon. */
export function estimateFromSamples(samples: number[], horizon: number, ceiling: number): RulEstimate {
  const sorted = samples.slice().sort((a, b) => a - b);
  return {
    rul: quantileSorted(sorted, 0.5),
    lower: quantileSorted(sorted, 0.05),
    upper: quantileSorted(sorted, 0.95),
    probabilityOfFailureWithin: { horizon, p: shareAtMost(sorted, horizon) },
    ceiling,
  };
}
