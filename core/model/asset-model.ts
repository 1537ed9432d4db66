/**
 * The model of one asset as `twin-model` runs it: expected values (physics template, learned baseline, or values
 * computed outside such as JSONata expressions), the residual monitor, and online parameter estimates.
 * Pure: telemetry time comes in with each update; history comes in through a reader (`HistoryReader`).
 */
import type { Parsed } from '../telemetry.js';
import { errorMessage } from '../errors.js';
import { operatingPoint } from '../centrifugal-pump.js';
import { conditionIndicators, type ConditionIndicators } from './condition-indicators.js';
import type { EwmaChartOptions } from './control-chart.js';
import { PumpParameterEstimator } from './friction-estimator.js';
import { ResidualMonitor, type MonitorResult, type ResidualScale } from './health.js';
import {
  alignHistories,
  baselineResidualScales,
  fitRidgeBaseline,
  predictRidgeBaseline,
  type RidgeBaseline,
} from './ridge-baseline.js';
import { PumpModel, createPhysicsModel, type ModelKind, type PhysicsModel } from './templates.js';
import { WindowIndicators, type WindowSource } from './window-indicators.js';

export type AssetModelKind = ModelKind | 'learned-baseline' | 'expression';
export const ASSET_MODEL_KINDS: readonly AssetModelKind[] = ['pump-physics', 'motor-thermal', 'learned-baseline', 'expression'];

export interface AssetModelOptions {
  kind: AssetModelKind;
  /** Physics: parameter overrides; expression: the parameters the expressions read. */
  parameters?: unknown;
  /** Learned baseline: operating conditions it regresses on. */
  inputs?: readonly string[];
  /** Learned baseline and expression: the signals it predicts. */
  outputs?: readonly string[];
  /** Learned baseline: ridge penalty and polynomial degree. */
  alpha?: number;
  degree?: 1 | 2;
  /** Learned baseline given instead of fitted. */
  baseline?: RidgeBaseline;
  /**
   * Residual scales learned before (restored after a restart, with `learned`): the model monitors from the first
   * update after settling instead of learning a healthy window on a machine that may be worn by now.
   */
  scales?: Readonly<Record<string, ResidualScale>>;
  /** Plant seconds per second of telemetry time (a simulator's time scale); default 1. */
  timeScale?: number;
  /** Healthy window in plant seconds, from the first update (after the model settles). */
  healthyWindowSeconds: number;
  chart?: Partial<EwmaChartOptions>;
  /** Pump: RLS forgetting factor for the parameter estimates. */
  forgetting?: number;
  /** Window of history (plant seconds) for condition indicators; 0 or absent: none. */
  indicatorWindowSeconds?: number;
}

/** One update's result: the payload of `twin-model`'s output. */
export interface AssetModelResult {
  assetId: string;
  ts: number;
  model: AssetModelKind;
  /** True while the healthy window (or the settling before it, or the baseline fit) is still running. */
  learning: boolean;
  expected: Record<string, number>;
  residuals: Record<string, number>;
  normalisedResiduals: Record<string, number>;
  /** In [0, 1], to four decimals; null while learning. */
  healthIndex: number | null;
  anomalies: Record<string, boolean>;
  /** Signals whose flag rose / fell with this update. */
  raised: string[];
  cleared: string[];
  parameters: Record<string, number>;
  /**
   * Pump: what the pump does now at the measured speed with the estimated parameters (the model following the real
   * machine): power, vibration, bearing loss and the bearing temperature it settles at.
   */
  performance?: Record<string, number>;
  /** Condition indicators per signal over the indicator window, when one is set. */
  indicators?: Record<string, ConditionIndicators>;
  /**
   * Only when the twin's history holds less than the indicator window (it let go of readings the window would
   * include): the plant minutes the indicators cover, and of which signal (the shortest).
   */
  indicatorWindowCut?: { signal: string; minutes: number };
}

/** How a model reads the twin's history of one signal between two telemetry times (both included). */
export interface HistoryReader {
  /** Every point with its quality, in arrays of its own (fitting a baseline, once). */
  series(signal: string, from: number, to: number): { ts: number[]; values: number[]; quality: string[] };
  /**
   * The usable (not `bad`) points only, in buffers that may be reused and valid until the next call (the first
   * `count` entries): condition indicators read them on every update and keep nothing.
   */
  usable(signal: string, from: number, to: number, fromIncluded?: boolean): { ts: ArrayLike<number>; values: ArrayLike<number>; count: number };
  /**
   * With these two (a twin store gives them: `historyLayout`, `oldestHistoryTs`), the condition indicators follow
   * each signal's window as it slides, reading only its new points, instead of reading the whole window on every
   * update: see `WindowIndicators`.
   */
  layout?(signal: string): number;
  oldest?(signal: string): number;
  /** Time of the newest reading the history let go of (`historyDroppedUpTo`): tells a window cut by the history. */
  droppedUpTo?(signal: string): number;
}

/** Smallest scale of a fitted baseline's residual, relative to the output level (as the monitor's floor). */
const MIN_RELATIVE_STD = 0.001;

export class AssetModel {
  private readonly physics: PhysicsModel | undefined;
  private readonly estimator: PumpParameterEstimator | undefined;
  private monitor: ResidualMonitor | undefined;
  private baseline: RidgeBaseline | undefined;
  private readonly timeScale: number;
  private firstTs: number | undefined;
  /** Sliding indicator windows per signal, and the history reader of the update in progress that feeds them. */
  private readonly windows = new Map<string, { indicators: WindowIndicators; source: WindowSource }>();
  private reader: HistoryReader | undefined;

  private constructor(readonly assetId: string, private readonly options: AssetModelOptions, physics: PhysicsModel | undefined) {
    this.timeScale = options.timeScale ?? 1;
    this.physics = physics;
    if (physics instanceof PumpModel) {
      this.estimator = new PumpParameterEstimator(physics.parameters, { forgetting: options.forgetting, timeScale: this.timeScale });
    }
    this.baseline = options.baseline;
    const signals = this.outputSignals();
    const windowMs = (options.healthyWindowSeconds * 1000) / this.timeScale;
    if (options.kind === 'learned-baseline') {
      // A fitted baseline's scale comes from its own fit (see fitBaseline); a given one learns it on the window.
      if (this.baseline) this.monitor = new ResidualMonitor({ signals, healthyWindowMs: windowMs, chart: options.chart, scales: options.scales });
    } else {
      this.monitor = new ResidualMonitor({ signals, healthyWindowMs: windowMs, chart: options.chart, scales: options.scales, settlingMs: ((physics?.settlingSeconds ?? 0) * 1000) / this.timeScale });
    }
  }

  /** Checks the options and builds the model of one asset. */
  static create(assetId: string, options: AssetModelOptions): Parsed<AssetModel> {
    if (!ASSET_MODEL_KINDS.includes(options.kind)) return { ok: false, reason: `model must be one of ${ASSET_MODEL_KINDS.join(', ')}, got ${JSON.stringify(options.kind)}` };
    const timeScale = options.timeScale ?? 1;
    if (!(timeScale > 0 && Number.isFinite(timeScale))) return { ok: false, reason: `time scale must be a positive number, got ${timeScale}` };
    if (!(options.healthyWindowSeconds >= 0)) return { ok: false, reason: `healthy window must be zero or more seconds, got ${options.healthyWindowSeconds}` };
    let physics: PhysicsModel | undefined;
    if (options.kind === 'pump-physics' || options.kind === 'motor-thermal') {
      const built = createPhysicsModel(options.kind, { parameters: options.parameters, timeScale });
      if (!built.ok) return built;
      physics = built.value;
    }
    if (options.kind === 'learned-baseline' && !options.baseline && (!options.inputs?.length || !options.outputs?.length)) {
      return { ok: false, reason: 'a learned baseline needs input signals (operating conditions) and output signals to predict' };
    }
    if (options.kind === 'expression' && !options.outputs?.length) return { ok: false, reason: 'an expression model needs at least one output signal' };
    try {
      return { ok: true, value: new AssetModel(assetId, options, physics) };
    } catch (err) {
      return { ok: false, reason: errorMessage(err) };
    }
  }

  /** Signals the model predicts. */
  outputSignals(): string[] {
    if (this.physics) return this.physics.template.outputs.map((o) => o.name);
    if (this.baseline) return [...this.baseline.outputs];
    return [...(this.options.outputs ?? [])];
  }

  /** The fitted or given baseline, e.g. to save it and give it later. */
  get fittedBaseline(): RidgeBaseline | undefined {
    return this.baseline;
  }

  /**
   * What the model learned of the healthy machine, once it has learned it all (every output's residual scale, and a
   * fitted baseline): to keep, and to give back as `scales` and `baseline` to a model created after a restart.
   */
  get learned(): { scales: Record<string, ResidualScale>; baseline?: RidgeBaseline } | undefined {
    if (this.monitor === undefined) return undefined;
    const scales = this.monitor.scales;
    if (!this.outputSignals().every((signal) => scales[signal] !== undefined)) return undefined;
    return this.baseline === undefined ? { scales } : { scales, baseline: this.baseline };
  }

  /**
   * Expected values from the physics template or the baseline. For a baseline still waiting for its window, fits it
   * from `history` once the window is over; until then (and for expression models) the expected values are empty.
   */
  expect(ts: number, measured: Readonly<Record<string, number>>, history: HistoryReader): Parsed<Record<string, number>> {
    this.firstTs ??= ts;
    if (this.physics) return this.physics.expect(ts, measured);
    if (this.options.kind !== 'learned-baseline') return { ok: true, value: {} };
    if (!this.baseline) {
      const windowEnd = this.firstTs + (this.options.healthyWindowSeconds * 1000) / this.timeScale;
      if (ts <= windowEnd) return { ok: true, value: {} };
      const fitted = this.fitBaseline(this.firstTs, windowEnd, history);
      if (!fitted.ok) return fitted;
    }
    return predictRidgeBaseline(this.baseline!, measured);
  }

  private fitBaseline(from: number, to: number, history: HistoryReader): Parsed<void> {
    const inputs = this.options.inputs!;
    const outputs = this.options.outputs!;
    const histories = Object.fromEntries([...inputs, ...outputs].map((s) => [s, history.series(s, from, to)]));
    const { rows } = alignHistories(histories, [...inputs, ...outputs]);
    const x = rows.map((r) => r.slice(0, inputs.length));
    const y = rows.map((r) => r.slice(inputs.length));
    const fit = fitRidgeBaseline(x, y, { inputs, outputs, alpha: this.options.alpha, degree: this.options.degree });
    if (!fit.ok) return { ok: false, reason: `fitting the baseline on the healthy window of ${this.assetId}: ${fit.reason} (the twin's history holds ${rows.length} complete rows there)` };
    this.baseline = fit.value;
    const learned = baselineResidualScales(fit.value, x, y);
    const scales: Record<string, ResidualScale> = {};
    fit.value.outputs.forEach((name, o) => {
      const floor = Math.max(MIN_RELATIVE_STD * Math.abs(fit.value.intercepts[o]!), Number.MIN_VALUE);
      scales[name] = { mean: learned[name]!.mean, std: Math.max(learned[name]!.std, floor) };
    });
    this.monitor = new ResidualMonitor({ signals: outputs, healthyWindowMs: 0, scales, chart: this.options.chart });
    return { ok: true, value: undefined };
  }

  /** Residuals, health, parameters (and indicators, with `history`) for one update, given the expected values. */
  update(ts: number, measured: Readonly<Record<string, number>>, expected: Readonly<Record<string, number>>, history?: HistoryReader): AssetModelResult {
    const result: MonitorResult | undefined = this.monitor?.update(ts, measured, expected);
    const out: AssetModelResult = {
      assetId: this.assetId,
      ts,
      model: this.options.kind,
      learning: result === undefined || result.learning,
      expected: { ...expected },
      residuals: result?.residuals ?? {},
      normalisedResiduals: result?.normalisedResiduals ?? {},
      healthIndex: result?.healthIndex ?? null,
      anomalies: result?.anomalies ?? {},
      raised: result?.raised ?? [],
      cleared: result?.cleared ?? [],
      parameters: this.parameters(ts, measured),
    };
    if (this.physics instanceof PumpModel && Number.isFinite(measured.speed)) out.performance = this.pumpPerformance(measured.speed!, out.parameters);
    const window = this.options.indicatorWindowSeconds ?? 0;
    if (window > 0 && history) this.addIndicators(out, ts, measured, window, history);
    return out;
  }

  /**
   * The condition indicators of each measured signal over the window, and, when a history let go of readings inside
   * it (it is shorter than the window), the signal with the shortest window left (`indicatorWindowCut`).
   */
  private addIndicators(out: AssetModelResult, ts: number, measured: Readonly<Record<string, number>>, windowSeconds: number, history: HistoryReader): void {
    const from = ts - (windowSeconds * 1000) / this.timeScale;
    const indicators: Record<string, ConditionIndicators> = {};
    const sliding = history.layout !== undefined && history.oldest !== undefined;
    this.reader = history;
    let cut: { signal: string; minutes: number } | undefined;
    for (const signal of Object.keys(measured)) {
      let found: ConditionIndicators | undefined;
      let heldFrom: number | undefined;
      if (sliding) {
        const window = this.windowOf(signal);
        found = window.indicators.update(window.source, from, ts);
        heldFrom = window.indicators.cutShortFrom;
      } else {
        const h = history.usable(signal, from, ts);
        found = conditionIndicators(h.ts, h.values, this.timeScale, h.count);
        if (history.droppedUpTo !== undefined && history.oldest !== undefined && history.droppedUpTo(signal) >= from) heldFrom = history.oldest(signal);
      }
      if (found) indicators[signal] = found;
      if (heldFrom !== undefined) {
        const minutes = ((ts - heldFrom) * this.timeScale) / 60_000;
        if (cut === undefined || minutes < cut.minutes) cut = { signal, minutes };
      }
    }
    out.indicators = indicators;
    if (cut) out.indicatorWindowCut = cut;
  }

  private windowOf(signal: string): { indicators: WindowIndicators; source: WindowSource } {
    let window = this.windows.get(signal);
    if (window === undefined) {
      const source: WindowSource = {
        layout: () => this.reader!.layout!(signal),
        oldest: () => this.reader!.oldest!(signal),
        droppedUpTo: () => this.reader!.droppedUpTo?.(signal) ?? -Infinity,
        usable: (from, to, fromIncluded) => this.reader!.usable(signal, from, to, fromIncluded),
      };
      window = { indicators: new WindowIndicators(this.timeScale), source };
      this.windows.set(signal, window);
    }
    return window;
  }

  private pumpPerformance(speedRpm: number, estimates: Readonly<Record<string, number>>): Record<string, number> {
    const reference = (this.physics as PumpModel).parameters;
    const now = operatingPoint({ ...reference, bearingFriction: estimates.bearingFriction ?? reference.bearingFriction, peakEfficiency: estimates.peakEfficiency ?? reference.peakEfficiency }, speedRpm);
    return { power: now.motorPowerKw, vibration: now.vibrationMmS, bearingLossW: now.bearingLossW, steadyBearingTemp: now.steadyBearingTempC };
  }

  private parameters(ts: number, measured: Readonly<Record<string, number>>): Record<string, number> {
    if (this.estimator) {
      const e = this.estimator.update(ts, measured);
      const out: Record<string, number> = { bearingFriction: e.bearingFriction, bearingFrictionRatio: e.bearingFrictionRatio };
      if (e.peakEfficiency !== undefined) out.peakEfficiency = e.peakEfficiency;
      return out;
    }
    if (this.physics) return { ...this.physics.parameters };
    if (this.options.kind === 'expression' && typeof this.options.parameters === 'object' && this.options.parameters !== null) {
      return Object.fromEntries(Object.entries(this.options.parameters).filter(([, v]) => typeof v === 'number'));
    }
    return {};
  }
}
