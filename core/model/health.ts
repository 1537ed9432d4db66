/**
 * From expected and measured signals to residuals, normalised residuals, a health index and anomaly flags.
 *
 * Normalisation: zᵢ = (rᵢ − r̄ᵢ) / sᵢ, where r̄ᵢ and sᵢ are the mean and sample standard deviation of signal i's
 * residual over a declared healthy window (or given). Removing r̄ takes out a constant model bias the healthy machine
 * showed; dividing by s puts every signal in "standard deviations of healthy behaviour".
 *
 * Health index: H = exp(−½ · (1/k) · Σᵢ Zᵢ²), where Zᵢ is the EWMA-smoothed normalised residual of signal i (the
 * same statistic as the anomaly chart) over the k signals with a learned scale. Why this one:
 * - it is 1 at zero residual and falls towards 0 as any residual grows, bounded in [0, 1] (0 once below 0.00005, as
 *   it is given to four decimals) with no tuning constant;
 * - it is the geometric mean over the signals of the Gaussian likelihood ratio exp(−½Z²) of the smoothed residual
 *   against healthy behaviour: a Mahalanobis distance with a diagonal covariance, divided by k so the scale does not
 *   depend on how many signals a model has;
 * - read it as: a sustained offset of s standard deviations on every signal gives H = exp(−s²/2) — 1σ → 0.61,
 *   2σ → 0.14, 3σ → 0.011; one signal of k off by s gives exp(−s²/(2k));
 * - smoothing first keeps healthy noise from shaking it: healthy, E[Z²] = λ/(2 − λ), so H ≈ exp(−λ/(2(2 − λ)))
 *   (0.974 at λ = 0.1).
 * A diagonal covariance ignores correlation between residuals; it is the simple, explainable choice for a few
 * signals with mostly independent sensor noise.
 */
import { EwmaChart, type EwmaChartOptions } from './control-chart.js';

/** Mean and standard deviation of a signal's residual on the healthy machine. */
export interface ResidualScale {
  mean: number;
  std: number;
}

/** Welford's online mean and variance (Knuth, TAOCP vol. 2, §4.2.2): one pass, no loss of precision. */
export class RunningMoments {
  private n = 0;
  private m = 0;
  private s = 0;

  add(x: number): void {
    this.n++;
    const delta = x - this.m;
    this.m += delta / this.n;
    this.s += delta * (x - this.m);
  }

  get count(): number {
    return this.n;
  }

  get mean(): number {
    return this.m;
  }

  /** Sample standard deviation (n − 1); 0 below two values. */
  get std(): number {
    return this.n > 1 ? Math.sqrt(this.s / (this.n - 1)) : 0;
  }
}

export interface ResidualMonitorOptions {
  /** Signals the model predicts. */
  signals: readonly string[];
  /**
   * Healthy window (ms of telemetry time from the first update) on which each residual's scale is learned.
   * Ignored for signals with a given scale.
   */
  healthyWindowMs: number;
  /**
   * Time (ms of telemetry time from the first update) during which residuals are shown but neither learned from nor
   * charted: a dynamic model needs a few time constants to forget the state it guessed at the start
   * (`PhysicsModel.settlingSeconds`). Default 0.
   */
  settlingMs?: number;
  /** Scales known beforehand, per signal (e.g. from a previous commissioning run). */
  scales?: Readonly<Record<string, ResidualScale>>;
  /** EWMA chart settings; defaults `DEFAULT_CHART`. */
  chart?: Partial<EwmaChartOptions>;
  /**
   * Smallest standard deviation, as a fraction of the signal's mean level during the window (default 0.001, the
   * accuracy of a good transmitter): a noise-free simulation would otherwise divide by zero.
   */
  minRelativeStd?: number;
}

/**
 * λ = 0.1, L = 5, L_clear = 2.5. From `ewmaAverageRunLength`: one false alarm per ≈ 2.29 million healthy updates per
 * signal (ARL₀) if the residual were exactly N(0, 1), while a sustained shift is flagged after ≈ 37.5 updates (1σ),
 * 8.8 (2σ) or 5.2 (3σ). The margin over the textbook L ≈ 2.8 (ARL₀ = 500) is deliberate: the scale is learned on a
 * finite window (±6 % error on 120 points) and thermal residuals are slightly autocorrelated, both of which make the
 * real chart alarm more often than the ideal one. L = 4 gives ARL₀ ≈ 25,800 and 1σ in ≈ 19 updates; L = 3 gives
 * ARL₀ ≈ 838 and 1σ in ≈ 11.
 */
export const DEFAULT_CHART: Readonly<EwmaChartOptions> = Object.freeze({ lambda: 0.1, limit: 5, clearLimit: 2.5 });

export interface MonitorResult {
  /** True while some signal's scale is still being learned. */
  learning: boolean;
  /** measured − expected, per signal with both. */
  residuals: Record<string, number>;
  /** (residual − healthy mean) / healthy std, per signal with a scale. */
  normalisedResiduals: Record<string, number>;
  /** EWMA of the normalised residual (standard deviations), per signal with a scale. */
  smoothedResiduals: Record<string, number>;
  /** Health index in [0, 1] (see the module comment), to four decimals; undefined while no signal has a scale. */
  healthIndex: number | undefined;
  /** Anomaly flag per signal with a scale (with hysteresis). */
  anomalies: Record<string, boolean>;
  /** Signals whose flag rose with this update. */
  raised: string[];
  /** Signals whose flag fell with this update. */
  cleared: string[];
}

interface SignalState {
  learned?: ResidualScale;
  moments: RunningMoments;
  level: RunningMoments;
  chart: EwmaChart;
}

/** Residual monitoring of one asset. */
export class ResidualMonitor {
  private readonly states = new Map<string, SignalState>();
  private readonly chart: EwmaChartOptions;
  private readonly minRelativeStd: number;
  private settledAt: number | undefined;
  private windowEnd: number | undefined;

  constructor(private readonly options: ResidualMonitorOptions) {
    if (!((options.settlingMs ?? 0) >= 0)) throw new Error(`settling time must be zero or more ms, got ${options.settlingMs}`);
    if (!(options.healthyWindowMs >= 0)) throw new Error(`healthy window must be zero or more ms, got ${options.healthyWindowMs}`);
    this.chart = { ...DEFAULT_CHART, ...options.chart };
    this.minRelativeStd = options.minRelativeStd ?? 0.001;
    for (const signal of options.signals) {
      const given = options.scales?.[signal];
      if (given !== undefined && !(given.std > 0 && Number.isFinite(given.mean))) {
        throw new Error(`the given scale of ${signal} needs a finite mean and a std > 0`);
      }
      const state: SignalState = { moments: new RunningMoments(), level: new RunningMoments(), chart: new EwmaChart(this.chart) };
      if (given !== undefined) state.learned = { mean: given.mean, std: given.std };
      this.states.set(signal, state);
    }
  }

  /** The scales in use (learned or given), per signal. */
  get scales(): Record<string, ResidualScale> {
    const out: Record<string, ResidualScale> = {};
    for (const [signal, state] of this.states) if (state.learned) out[signal] = { ...state.learned };
    return out;
  }

  /**
   * One update: `ts` (ms) is the telemetry time, which decides whether the healthy window is over.
   * Signals missing from `measured` or `expected` are left out of this update.
   */
  update(ts: number, measured: Readonly<Record<string, number>>, expected: Readonly<Record<string, number>>): MonitorResult {
    this.settledAt ??= ts + (this.options.settlingMs ?? 0);
    this.windowEnd ??= this.settledAt + this.options.healthyWindowMs;
    const settling = ts < this.settledAt;
    const result: MonitorResult = { learning: settling, residuals: {}, normalisedResiduals: {}, smoothedResiduals: {}, healthIndex: undefined, anomalies: {}, raised: [], cleared: [] };
    let sumSquares = 0;
    let counted = 0;
    for (const [signal, state] of this.states) {
      const m = measured[signal];
      const e = expected[signal];
      if (m === undefined || e === undefined || !Number.isFinite(m) || !Number.isFinite(e)) {
        if (!state.learned) result.learning = true;
        continue;
      }
      const residual = m - e;
      result.residuals[signal] = residual;
      if (settling) continue;
      if (!state.learned) {
        this.learn(state, residual, e, ts);
        if (!state.learned) {
          result.learning = true;
          continue;
        }
      }
      const scale: ResidualScale = state.learned;
      const z = (residual - scale.mean) / scale.std;
      const before = state.chart.anomaly;
      const after = state.chart.update(z);
      result.normalisedResiduals[signal] = z;
      result.smoothedResiduals[signal] = state.chart.value;
      result.anomalies[signal] = after;
      if (after && !before) result.raised.push(signal);
      if (before && !after) result.cleared.push(signal);
      sumSquares += state.chart.value * state.chart.value;
      counted++;
    }
    // Four decimals: a large fault gives exp(−½·Z²) of 1e-234, which a dashboard shows as "2e-234"; to a reader
    // that is 0, and the index tells nothing below 0.0001 (every signal about 4.3σ off) that the anomalies don't.
    if (counted > 0) result.healthIndex = Math.round(healthIndex(sumSquares / counted) * 1e4) / 1e4;
    return result;
  }

  /** Accumulates a healthy residual; at the end of the window (with at least two values) fixes the scale. */
  private learn(state: SignalState, residual: number, expected: number, ts: number): void {
    if (ts <= this.windowEnd! || state.moments.count < 2) {
      state.moments.add(residual);
      state.level.add(Math.abs(expected));
      return;
    }
    const floor = Math.max(this.minRelativeStd * state.level.mean, Number.MIN_VALUE);
    state.learned = { mean: state.moments.mean, std: Math.max(state.moments.std, floor) };
  }
}

/**
 * Health index from the mean squared smoothed residual: H = exp(−½·mean Z²), in (0, 1] (the monitor rounds it).
 * @example healthIndex(0) // 1
 * @example healthIndex(4) // exp(−2) ≈ 0.135: every signal 2σ off
 */
export function healthIndex(meanSquaredResidual: number): number {
  if (!(meanSquaredResidual >= 0)) throw new Error(`mean squared residual must be ≥ 0, got ${meanSquaredResidual}`);
  return Math.exp(-0.5 * meanSquaredResidual);
}
