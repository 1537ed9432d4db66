/**
 * Recursive least squares with exponential forgetting (Ljung & Söderström, "Theory and Practice of Recursive
 * Identification", 1983; Åström & Wittenmark, "Adaptive Control", §2.2): estimates θ in y = φᵀθ + noise one sample
 * at a time, weighting a sample k steps old by λᵏ so the estimate follows parameters that drift.
 *
 *   K = P·φ / (λ + φᵀ·P·φ)      θ ← θ + K·(y − φᵀ·θ)      P ← (P − K·φᵀ·P) / λ
 *
 * The memory is about 1/(1 − λ) samples: λ = 0.98 remembers ~50. A shorter memory follows faster and is noisier.
 */
export class RecursiveLeastSquares {
  private theta: number[];
  private p: number[][];

  /**
   * @param initial first guess of θ
   * @param forgetting λ in (0, 1]
   * @param initialCovariance diagonal of P at the start: how unsure the first guess is (in θ's units squared)
   */
  constructor(initial: readonly number[], private readonly forgetting: number, initialCovariance = 1) {
    if (!(forgetting > 0 && forgetting <= 1)) throw new Error(`forgetting factor must be in (0, 1], got ${forgetting}`);
    if (!(initialCovariance > 0)) throw new Error(`initial covariance must be positive, got ${initialCovariance}`);
    this.theta = [...initial];
    this.p = initial.map((_, i) => initial.map((__, j) => (i === j ? initialCovariance : 0)));
  }

  /** Current estimate θ. */
  get estimate(): readonly number[] {
    return this.theta;
  }

  /** Diagonal of P: the estimate's variance up to the noise variance factor. */
  get variance(): readonly number[] {
    return this.p.map((row, i) => row[i]!);
  }

  /** Takes one sample y = φᵀθ; returns the prediction error before the update. */
  update(phi: readonly number[], y: number): number {
    const n = this.theta.length;
    if (phi.length !== n) throw new Error(`regressor has ${phi.length} entries, the model ${n}`);
    const pPhi = this.p.map((row) => row.reduce((s, v, j) => s + v * phi[j]!, 0));
    const denominator = this.forgetting + phi.reduce((s, v, i) => s + v * pPhi[i]!, 0);
    const gain = pPhi.map((v) => v / denominator);
    const error = y - phi.reduce((s, v, i) => s + v * this.theta[i]!, 0);
    this.theta = this.theta.map((t, i) => t + gain[i]! * error);
    // P is symmetric, so φᵀP = (Pφ)ᵀ.
    this.p = this.p.map((row, i) => row.map((v, j) => (v - gain[i]! * pPhi[j]!) / this.forgetting));
    return error;
  }
}
