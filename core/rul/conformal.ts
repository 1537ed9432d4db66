/**
 * Split-conformal intervals for a point regressor, by prediction level ("Mondrian" conformal): the residuals
 * (true remaining life − prediction) of engines the model did not learn from are grouped by how large the prediction
 * was, because a capped model that says 125 may be facing 130 or 300 cycles, while one that says 20 is rarely far
 * off. Per group a grid of residual quantiles is kept: the 90% interval and the probability of failure within a
 * horizon both come from it.
 */
import { quantileSorted } from './distribution.js';

export interface ConformalTable {
  /** Upper edges of the prediction groups; the last group is open-ended. */
  edges: number[];
  /** Per group: residual quantiles at levels 0, 0.025, …, 1 (41 values). */
  quantiles: number[][];
}

const LEVELS = Array.from({ length: 41 }, (_, i) => i / 40);
const MIN_GROUP = 200;

/** Group edges for a model whose target is capped at 125 (the C-MAPSS protocol). */
const EDGES_AT_125 = [25, 50, 75, 100, 115];

/**
 * Group edges for a model with learning target cap `cap`: the C-MAPSS edges stretched by cap/125, so the groups sit at
 * the same fractions of the learned range (a pump model capped at 3,000 minutes groups at 600, 1,200 … 2,760).
 */
export function conformalEdges(cap: number): number[] {
  return cap === 125 ? EDGES_AT_125.slice() : EDGES_AT_125.map((e) => (e * cap) / 125);
}

/** Builds the table from held-out predictions and the true (uncapped) remaining lives. */
export function fitConformal(predictions: ArrayLike<number>, truths: ArrayLike<number>, edges = EDGES_AT_125): ConformalTable {
  const groups: number[][] = Array.from({ length: edges.length + 1 }, () => []);
  for (let i = 0; i < predictions.length; i++) groups[groupOf(edges, predictions[i]!)]!.push(truths[i]! - predictions[i]!);
  // A group with too few residuals is merged with the next one; what is left at the top joins the last group.
  const merged: number[][] = [];
  const kept: number[] = [];
  let carry: number[] = [];
  groups.forEach((g, i) => {
    carry = carry.concat(g);
    if (carry.length >= MIN_GROUP && i < edges.length) {
      merged.push(carry);
      kept.push(edges[i]!);
      carry = [];
    }
  });
  if (carry.length >= MIN_GROUP || merged.length === 0) merged.push(carry);
  else {
    merged[merged.length - 1] = merged[merged.length - 1]!.concat(carry);
    kept.pop();
  }
  return {
    edges: kept,
    quantiles: merged.map((g) => {
      const sorted = g.sort((a, b) => a - b);
      // Finite-sample correction of split conformal: the level moves outwards by about 1/(n + 1).
      const n = sorted.length;
      return LEVELS.map((q) => round3(quantileSorted(sorted, q < 0.5 ? Math.max(0, q - (1 - q) / (n + 1)) : Math.min(1, q + q / (n + 1)))));
    }),
  };
}

function round3(v: number): number {
  return Math.round(v * 1000) / 1000;
}

function groupOf(edges: number[], prediction: number): number {
  let g = 0;
  while (g < edges.length && prediction > edges[g]!) g++;
  return g;
}

/** Interval and failure probability around a prediction. */
export function conformalInterval(table: ConformalTable, prediction: number, horizon: number): { lower: number; upper: number; p: number } {
  const q = table.quantiles[groupOf(table.edges, prediction)]!;
  const at = (level: number) => quantileSorted(q, level);
  // P(prediction + residual ≤ horizon): where horizon − prediction falls in the residual quantile grid.
  const limit = horizon - prediction;
  let p: number;
  if (limit < q[0]!) p = 0;
  else if (limit >= q[q.length - 1]!) p = 1;
  else {
    let i = 0;
    while (q[i + 1]! <= limit) i++;
    const span = q[i + 1]! - q[i]!;
    p = (i + (span > 0 ? (limit - q[i]!) / span : 0)) / (q.length - 1);
  }
  return { lower: Math.max(0, prediction + at(0.05)), upper: Math.max(0, prediction + at(0.95)), p };
}
