/**
 * EWMA control chart on normalised residuals (Roberts 1959; Lucas & Saccucci, "Exponentially Weighted Moving Average
 * Control Schemes: Properties and Enhancements", Technometrics 32(1), 1990), with a hysteresis band so a flag does
 * not chatter around its limit.
 *
 * For residuals z that are N(0, 1) on a healthy machine, Zₜ = λ·zₜ + (1 − λ)·Zₜ₋₁ has the asymptotic standard
 * deviation σ_Z = √(λ / (2 − λ)). The flag rises when |Zₜ| > L·σ_Z and falls when |Zₜ| < L_clear·σ_Z.
 * The false-alarm trade-off is the in-control average run length ARL₀ (updates between false alarms on one signal),
 * against the out-of-control ARL (updates to detect a shift): `ewmaAverageRunLength` computes both.
 */
import { solveLinearSystem } from './linear-algebra.js';

/**
 * Complementary error function erfc(x), Chebyshev fit with relative error below 1.2·10⁻⁷ everywhere (Press et al.,
 * "Numerical Recipes in C", 2nd ed., §6.2, erfcc) — relative, so tail probabilities stay accurate.
 */
export function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r =
    t *
    Math.exp(
      -z * z - 1.26551223 +
        t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? r : 2 - r;
}

/** Standard normal cumulative distribution Φ(x) = ½·erfc(−x/√2). */
export function normalCdf(x: number): number {
  return 0.5 * erfc(-x / Math.SQRT2);
}

/** Asymptotic standard deviation of the EWMA of unit-variance white noise: √(λ / (2 − λ)). */
export function ewmaStandardDeviation(lambda: number): number {
  return Math.sqrt(lambda / (2 - lambda));
}

/**
 * Average run length of a two-sided EWMA chart started at 0, by the Markov-chain approximation of Brook & Evans
 * (Biometrika 59, 1972) as Lucas & Saccucci apply it: the in-control band is cut into `states` cells and the
 * expected number of steps to leave it solved exactly.
 * @param lambda smoothing weight, 0 < λ ≤ 1
 * @param limit L, the control limit in units of σ_Z
 * @param shift mean of the residual in standard deviations (0: in control, the false-alarm ARL₀)
 * @param states odd number of cells (more: more accurate, slower)
 * @example ewmaAverageRunLength(0.1, 2.814) // ≈ 500 (Lucas & Saccucci, table 3)
 */
export function ewmaAverageRunLength(lambda: number, limit: number, shift = 0, states = 101): number {
  if (!(lambda > 0 && lambda <= 1)) throw new Error(`EWMA smoothing λ must be in (0, 1], got ${lambda}`);
  if (!(limit > 0)) throw new Error(`control limit must be positive, got ${limit}`);
  if (!Number.isInteger(states) || states < 3 || states % 2 === 0) throw new Error(`states must be an odd whole number ≥ 3, got ${states}`);
  const h = limit * ewmaStandardDeviation(lambda);
  const width = (2 * h) / states;
  const centre = (i: number): number => -h + (i + 0.5) * width;
  // (I − P)·ARL = 1, where P[i][j] is the chance to move from cell i to cell j without leaving the band.
  const matrix: number[][] = [];
  for (let i = 0; i < states; i++) {
    const from = (1 - lambda) * centre(i);
    const row: number[] = [];
    for (let j = 0; j < states; j++) {
      const upper = (centre(j) + width / 2 - from) / lambda - shift;
      const lower = (centre(j) - width / 2 - from) / lambda - shift;
      const p = normalCdf(upper) - normalCdf(lower);
      row.push((i === j ? 1 : 0) - p);
    }
    matrix.push(row);
  }
  const solved = solveLinearSystem(matrix, matrix.map(() => [1]));
  if (solved === undefined) throw new Error('average run length: the chain never leaves the band (limit too wide for this λ)');
  return solved[(states - 1) / 2]![0]!;
}

export interface EwmaChartOptions {
  /** Smoothing weight λ of the newest residual, 0 < λ ≤ 1. */
  lambda: number;
  /** Flag rises above L·σ_Z. */
  limit: number;
  /** Flag falls below L_clear·σ_Z (0 ≤ L_clear ≤ L): the hysteresis band. */
  clearLimit: number;
}

/** One signal's EWMA chart: the smoothed residual and its flag. */
export class EwmaChart {
  private smoothed = 0;
  private flagged = false;
  private readonly sigma: number;

  constructor(private readonly options: EwmaChartOptions) {
    if (!(options.lambda > 0 && options.lambda <= 1)) throw new Error(`EWMA smoothing λ must be in (0, 1], got ${options.lambda}`);
    if (!(options.limit > 0)) throw new Error(`control limit must be positive, got ${options.limit}`);
    if (!(options.clearLimit >= 0 && options.clearLimit <= options.limit)) {
      throw new Error(`clear limit must be from 0 to the control limit (${options.limit}), got ${options.clearLimit}`);
    }
    this.sigma = ewmaStandardDeviation(options.lambda);
  }

  /** Adds a normalised residual; returns the flag after it. */
  update(z: number): boolean {
    this.smoothed = this.options.lambda * z + (1 - this.options.lambda) * this.smoothed;
    const size = Math.abs(this.smoothed) / this.sigma;
    if (!this.flagged && size > this.options.limit) this.flagged = true;
    else if (this.flagged && size < this.options.clearLimit) this.flagged = false;
    return this.flagged;
  }

  /** The smoothed residual Zₜ, in standard deviations of the raw residual. */
  get value(): number {
    return this.smoothed;
  }

  get anomaly(): boolean {
    return this.flagged;
  }
}
