/**
 * Which signals carry degradation? The three prognostic-feature metrics of MATLAB's Predictive Maintenance Toolbox
 * (`monotonicity`, `trendability`, `prognosability`; Coble & Hines, "Identifying Optimal Prognostic Parameters from
 * Data: A Genetic Algorithms Approach", PHM 2009), computed over run-to-failure histories: one series per member
 * (engine, pump), oldest first, ending at failure. Each metric lies in [0, 1]; higher means a better health feature.
 */
import { correlation, mean, movingAverage, resample, sampleStandardDeviation } from './statistics.js';

/** A feature's run-to-failure histories: one series per member, oldest first, the last point at failure. */
export type RunToFailureHistories = readonly (readonly number[])[];

function requireHistories(histories: RunToFailureHistories, minMembers: number, what: string): void {
  if (histories.length < minMembers) throw new Error(`${what} needs at least ${minMembers} run-to-failure histor${minMembers === 1 ? 'y' : 'ies'}, got ${histories.length}`);
  if (histories.some((h) => h.length < 2)) throw new Error(`${what} needs at least 2 points in every history`);
}

/**
 * Monotonicity: (1/M)·Σⱼ |(#positive steps − #negative steps) / (nⱼ − 1)|. 1 when every member only rises (or only
 * falls), near 0 for noise or a flat signal.
 * @example monotonicity([[1, 2, 3], [3, 2, 1]]) // 1
 */
export function monotonicity(histories: RunToFailureHistories): number {
  requireHistories(histories, 1, 'monotonicity');
  let sum = 0;
  for (const h of histories) {
    let balance = 0;
    for (let i = 1; i < h.length; i++) balance += Math.sign(h[i]! - h[i - 1]!);
    sum += Math.abs(balance / (h.length - 1));
  }
  return sum / histories.length;
}

/**
 * Trendability: minⱼ,ₖ |corr(xⱼ, xₖ)| over all pairs of members, each resampled to the shortest history's length
 * (points then sit at the same fraction of life). 1 when all members follow the same shape of trend. A constant
 * member has correlation 0 with anything.
 * @example trendability([[1, 2, 3], [2, 4, 6, 8, 10]]) // 1
 */
export function trendability(histories: RunToFailureHistories): number {
  requireHistories(histories, 2, 'trendability');
  const length = Math.min(...histories.map((h) => h.length));
  const aligned = histories.map((h) => resample(h, length));
  let lowest = 1;
  for (let j = 0; j < aligned.length; j++) {
    for (let k = j + 1; k < aligned.length; k++) lowest = Math.min(lowest, Math.abs(correlation(aligned[j]!, aligned[k]!)));
  }
  return lowest;
}

/**
 * Prognosability: exp(−s(values at failure) / mean |value at failure − value at start|). 1 when members fail at
 * the same value after travelling far from where they started (a usable failure threshold exists). 0 for a signal
 * that does not move between start and failure.
 * @example prognosability([[0, 10], [1, 10]]) // exp(0) = 1
 */
export function prognosability(histories: RunToFailureHistories): number {
  requireHistories(histories, 1, 'prognosability');
  const atFailure = histories.map((h) => h[h.length - 1]!);
  const travelled = mean(histories.map((h) => Math.abs(h[h.length - 1]! - h[0]!)));
  if (travelled === 0) return 0;
  // Sample standard deviation, as MATLAB's std; one member has no spread.
  const spread = atFailure.length > 1 ? sampleStandardDeviation(atFailure) : 0;
  return Math.exp(-spread / travelled);
}

export interface FeatureRanking {
  feature: string;
  monotonicity: number;
  trendability: number;
  prognosability: number;
  /** Mean of the three metrics: the order of the ranking. */
  score: number;
}

export interface RankOptions {
  /** Trailing moving-average window applied to each history first (1: raw). Default 1. */
  smoothingWindow?: number;
}

/**
 * Ranks features by their prognostic quality, best first. The three metrics weigh equally in the score: a feature
 * must trend one way (monotonicity), in the same shape on every member (trendability) and end at a consistent value
 * (prognosability) to be useful for remaining-useful-life prediction.
 * @param features feature name → its run-to-failure histories (same members for every feature)
 */
export function rankPrognosticFeatures(features: Readonly<Record<string, RunToFailureHistories>>, options: RankOptions = {}): FeatureRanking[] {
  const window = options.smoothingWindow ?? 1;
  const ranking: FeatureRanking[] = [];
  for (const [feature, raw] of Object.entries(features)) {
    const histories = window > 1 ? raw.map((h) => movingAverage(h, window)) : raw;
    const m = monotonicity(histories);
    const t = trendability(histories);
    const p = prognosability(histories);
    ranking.push({ feature, monotonicity: m, trendability: t, prognosability: p, score: (m + t + p) / 3 });
  }
  return ranking.sort((a, b) => b.score - a.score);
}
