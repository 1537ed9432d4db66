/**
 * Similarity-based remaining life: the asset's recent health path is slid along every run-to-failure path of a
 * library; where it fits best tells how far that engine was from failure at the same state. The k closest engines
 * vote: the median of their remaining lives is the estimate, their spread the interval.
 */
import { quantileSorted, shareAtMost, type RulEstimate } from './distribution.js';

export interface SimilarityModel {
  /** Health paths of run-to-failure histories, one value per cycle, each ending at failure. */
  library: number[][];
  k: number;
  /** Cycles of the asset's most recent path that are compared. */
  compare: number;
}

export const DEFAULT_SIMILARITY = { k: 10, compare: 40 };

export function fitSimilarity(trajectories: ArrayLike<number>[], options: Partial<{ k: number; compare: number }> = {}): SimilarityModel {
  // Four decimals are far below the indicator's noise and keep the model file small.
  const library = trajectories.map((t) => Array.from(t, (v) => Math.round(v * 1e4) / 1e4));
  return { library, k: options.k ?? DEFAULT_SIMILARITY.k, compare: options.compare ?? DEFAULT_SIMILARITY.compare };
}

export function predictSimilarity(model: SimilarityModel, health: ArrayLike<number>, horizon: number): RulEstimate {
  const m = Math.min(model.compare, health.length);
  const recent = Array.from({ length: m }, (_, i) => health[health.length - m + i]!);
  const matches: Array<{ distance: number; rul: number }> = [];
  for (const path of model.library) {
    if (path.length < m) continue;
    let best = Infinity;
    let bestEnd = path.length - 1;
    // The asset has run health.length cycles: a fit ending much earlier than that in the library path is implausible.
    for (let end = m - 1; end < path.length; end++) {
      let d = 0;
      for (let i = 0; i < m; i++) {
        const diff = recent[i]! - path[end - m + 1 + i]!;
        d += diff * diff;
        if (d >= best) break;
      }
      if (d < best) {
        best = d;
        bestEnd = end;
      }
    }
    matches.push({ distance: best, rul: path.length - 1 - bestEnd });
  }
  // The answers are remaining lives seen in the library: none longer than its longest life.
  let ceiling = 0;
  for (const path of model.library) ceiling = Math.max(ceiling, path.length - 1);
  if (matches.length === 0) return { rul: NaN, lower: NaN, upper: NaN, probabilityOfFailureWithin: { horizon, p: NaN }, ceiling };
  matches.sort((a, b) => a.distance - b.distance || a.rul - b.rul);
  const nearest = matches.slice(0, model.k).map((m) => m.rul).sort((a, b) => a - b);
  return {
    rul: quantileSorted(nearest, 0.5),
    lower: quantileSorted(nearest, 0.05),
    upper: quantileSorted(nearest, 0.95),
    probabilityOfFailureWithin: { horizon, p: shareAtMost(nearest, horizon) },
    ceiling,
  };
}
