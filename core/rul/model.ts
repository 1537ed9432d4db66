/**
 * The remaining-useful-life model as one plain JSON object: the feature pipeline, the health indicator, the boosted
 * trees with their conformal interval table, the degradation models and the similarity library. Training needs
 * only run-to-failure histories; the test data of a benchmark is never seen here.
 */
import type { Parsed } from '../telemetry.js';
import { errorMessage } from '../errors.js';
import { conformalEdges, conformalInterval, fitConformal, type ConformalTable } from './conformal.js';
import { fitDegradation, predictDegradation, type DegradationModel } from './degradation.js';
import type { RulEstimate } from './distribution.js';
import { FEATURE_KINDS, featureCount, fitFeaturePipeline, historyLength, lastFeaturesOfScaled, RUL_CAP, scaledSensors, trainingTable, type FeatureKind, type FeaturePipeline, type SignalColumns, type TrainingTable } from './features.js';
import { fitGbt, predictGbt, type GbtModel, type GbtOptions } from './gbt.js';
import type { EstimateBuffers } from './buffers.js';
import { DEFAULT_HEALTH_SMOOTHING, fitHealthIndex, healthTrajectory, healthTrajectoryOfScaled, type HealthIndexModel } from './health-index.js';
import { fitSimilarity, predictSimilarity, type SimilarityModel } from './similarity.js';

export const RUL_METHODS = ['gbt', 'exponential', 'linear', 'similarity'] as const;
export type RulMethod = (typeof RUL_METHODS)[number];
/** The method a node uses unless told otherwise: the most accurate on the benchmark. */
export const DEFAULT_RUL_METHOD: RulMethod = 'gbt';
export const RUL_MODEL_FORMAT = 'twinflow-rul-model';

export const METHOD_LABELS: Record<RulMethod, string> = {
  gbt: 'gradient-boosted trees (3 seeds) + split-conformal 90% interval',
  exponential: 'health index + exponential degradation, Bayesian',
  linear: 'health index + linear degradation, Bayesian',
  similarity: 'health-index trajectory similarity (k nearest)',
};

export interface RulModel {
  format: typeof RUL_MODEL_FORMAT;
  version: 1;
  /** What the remaining life is counted in. */
  unit: string;
  /** Learning target cap (in `unit`): the trees learn min(RUL, cap) and no estimate of theirs exceeds it. */
  cap: number;
  trainedOn: {
    histories: number;
    rows: number;
    description?: string;
    /** The run-to-failure file it was trained on (absolute path), when it came from one: `retrain` reads it again. */
    file?: string;
    /** Ids of the twin's completed runs it was trained on (see `CompletedRun`). */
    runs?: string[];
    /**
     * Seconds of plant time between two readings in training. The model counts readings (one row each), not time:
     * twin-rul checks that an asset's readings come as often, since twice as many make it look twice as old.
     */
    readingSeconds?: number;
  };
  pipeline: FeaturePipeline;
  healthIndex: HealthIndexModel;
  gbt: { ensemble: GbtModel[]; intervals: ConformalTable };
  degradation: { linear: DegradationModel; exponential: DegradationModel };
  similarity: SimilarityModel;
  /** Ids of completed runs added to the similarity library and degradation prior after training (`learnRuns`). */
  learnedRuns?: string[];
}

export interface TrainOptions {
  settings: string[];
  sensors: string[];
  /**
   * Engine-wise folds: each fold's model predicts the engines it did not learn from, and those residuals calibrate
   * the interval. The estimate itself comes from a model trained on every history (nested engine-wise CV on
   * train_FD001: 9.11 capped RMSE against 9.20 for the mean of the five fold models).
   */
  folds: number;
  /** Full-data models (different seeds) whose mean is the estimate. */
  seeds: number;
  gbt: Partial<GbtOptions>;
  /** Feature kinds per series and the windows (absent: the defaults of features.ts). */
  features?: readonly FeatureKind[];
  window?: number;
  recentWindow?: number;
  unit: string;
  /**
   * Learning target cap, in `unit`: the trees learn min(RUL, cap), the health indicator min(1, RUL/cap), and the
   * interval groups and the degradation models' healthy phase scale with it. C-MAPSS protocol: 125 cycles (an engine
   * shows no wear before its last 125 or so). An asset that wears visibly from new (the simulated pump bearing) wants
   * a cap at least as long as its lives, so the target is the true remaining life.
   */
  cap: number;
  description?: string;
  /** Recorded in `trainedOn`: seconds of plant time between two readings of the histories, when known. */
  readingSeconds?: number;
  /** Recorded in `trainedOn`: the training file and the twin runs among the histories. */
  file?: string;
  runs?: string[];
  /** Called after each model (the folds' and the final one), for progress reports. */
  onProgress?: (done: number, total: number) => void;
}

/** The C-MAPSS columns: three operating settings and 21 sensors. */
export const CMAPSS_TRAINING: Pick<TrainOptions, 'settings' | 'sensors'> = {
  settings: ['setting1', 'setting2', 'setting3'],
  sensors: Array.from({ length: 21 }, (_, i) => `s${i + 1}`),
};

export const DEFAULT_TRAINING: Omit<TrainOptions, 'settings' | 'sensors'> = {
  folds: 5,
  seeds: 3,
  // Engine-wise CV on train_FD001 (capped RMSE): depth 4 → 9.10; depth 5 with at least 40 rows a leaf → 8.98, and
  // half the features per tree → 8.95 (and faster), 60% of the rows per tree → 8.94 (faster again); a third of the
  // features → 8.96; depth 6 → 8.96; 800 trees at rate 0.03 → 9.14; depth 3 → 9.9 (older features).
  // With the trend features (`bench:rul -- --cv`, 2 seeds a fold): 30% of the rows per tree → 7.149 against 7.147 for
  // 60%, at about half the histogram work; all within noise (±0.05): 300 trees at rate 0.08 → 7.22, 800 at 0.03 →
  // 7.14, depth 6 with 20 rows a leaf → 7.11. Seeds averaged per fold: 1 → 7.19, 2 → 7.15, 4 → 7.13.
  gbt: { trees: 500, depth: 5, minLeaf: 40, featureSample: 0.5, rowSample: 0.3, learningRate: 0.05 },
  unit: 'cycles',
  cap: RUL_CAP,
};

/** The options with the defaults filled in, checked. */
function trainOptions(options: Partial<TrainOptions>): TrainOptions {
  const o: TrainOptions = { ...CMAPSS_TRAINING, ...DEFAULT_TRAINING, ...options };
  if (!(Number.isFinite(o.cap) && o.cap > 0)) throw new Error(`the learning target cap must be a number above 0, got ${String(o.cap)}`);
  return o;
}

/** The feature pipeline with the health indicator as one more series, fitted on these histories only. */
function fitFeatures(histories: SignalColumns[], o: TrainOptions): { pipeline: FeaturePipeline; healthIndex: HealthIndexModel } {
  const pipeline = fitFeaturePipeline(histories, {
    settings: o.settings,
    sensors: o.sensors,
    ...(o.features ? { features: o.features } : {}),
    ...(o.window !== undefined ? { window: o.window } : {}),
    ...(o.recentWindow !== undefined ? { recentWindow: o.recentWindow } : {}),
  });
  if (pipeline.sensors.length === 0) throw new Error('no sensor changes over the histories: nothing to learn from');
  // The health indicator is also a feature series for the trees (engine-wise CV on train_FD001: 10.3 → 9.8 capped RMSE).
  const healthIndex = fitHealthIndex(pipeline, histories, DEFAULT_HEALTH_SMOOTHING, o.cap);
  pipeline.combined = { weights: healthIndex.weights, bias: healthIndex.bias };
  return { pipeline, healthIndex };
}

/** Mean of the predictions of several tree ensembles for row i of a table. */
function ensembleAt(models: GbtModel[], table: TrainingTable, i: number): number {
  const features = table.x.subarray(i * table.width, (i + 1) * table.width);
  let sum = 0;
  for (const m of models) sum += predictGbt(m, features);
  return sum / models.length;
}

/** Trains every method on run-to-failure histories (each history ends at failure). */
export function trainRulModel(histories: SignalColumns[], options: Partial<TrainOptions> = {}): RulModel {
  const o = trainOptions(options);
  if (histories.length < Math.max(2, o.folds)) throw new Error(`training needs at least ${Math.max(2, o.folds)} run-to-failure histories, got ${histories.length}`);
  const { pipeline, healthIndex } = fitFeatures(histories, o);
  const table = trainingTable(pipeline, histories, o.cap);
  const heldOut = new Float64Array(table.rows);
  for (let fold = 0; fold < o.folds; fold++) {
    const use: number[] = [];
    for (let i = 0; i < table.rows; i++) if (table.group[i]! % o.folds !== fold) use.push(i);
    const model = fitGbt(table.x, table.y, table.width, { ...o.gbt, seed: (o.gbt.seed ?? 1) + fold }, Uint32Array.from(use));
    for (let i = 0; i < table.rows; i++) {
      if (table.group[i]! % o.folds === fold) heldOut[i] = predictGbt(model, table.x.subarray(i * table.width, (i + 1) * table.width));
    }
    o.onProgress?.(fold + 1, o.folds + o.seeds);
  }
  // Several seeds of the full-data model: row and feature sampling make single models differ by a few tenths of RMSE.
  const ensemble: GbtModel[] = [];
  for (let k = 0; k < o.seeds; k++) {
    ensemble.push(fitGbt(table.x, table.y, table.width, { ...o.gbt, seed: (o.gbt.seed ?? 1) + 100 * (k + 1) }));
    o.onProgress?.(o.folds + k + 1, o.folds + o.seeds);
  }
  const trajectories = histories.map((h) => healthTrajectory(pipeline, healthIndex, h));
  return {
    format: RUL_MODEL_FORMAT,
    version: 1,
    unit: o.unit,
    cap: o.cap,
    trainedOn: {
      histories: histories.length,
      rows: table.rows,
      ...(o.description ? { description: o.description } : {}),
      ...(o.readingSeconds !== undefined ? { readingSeconds: o.readingSeconds } : {}),
      ...(o.file ? { file: o.file } : {}),
      ...(o.runs && o.runs.length > 0 ? { runs: o.runs } : {}),
    },
    pipeline,
    healthIndex,
    gbt: { ensemble, intervals: fitConformal(heldOut, table.rul, conformalEdges(o.cap)) },
    degradation: { linear: fitDegradation('linear', trajectories, o.cap), exponential: fitDegradation('exponential', trajectories, o.cap) },
    similarity: fitSimilarity(trajectories),
  };
}

/** Engine-wise cross-validation figures of the boosted trees (held-out engines, every cycle). */
export interface CrossValidation {
  folds: number;
  seeds: number;
  rows: number;
  /** RMSE against the capped target min(RUL, cap): what the model learns, the figure model selection uses. */
  cappedRmse: number;
  /**
   * RMSE and PHM08 score per cycle over the cycles of the last `cap` of each life, where the target is the true
   * RUL (before, the true RUL says how long an engine will last while healthy, which no sensor can know).
   */
  lateRmse: number;
  lateScorePerCycle: number;
  /** Share of held-out cycles whose true RUL lies in the 90% interval calibrated on the other folds' residuals. */
  coverage90: number;
}

/**
 * Model selection on training data only: folds by history (`index % folds`), and in each fold everything that is
 * fitted — sensor selection, scaling, health indicator, trees — is fitted on the other folds' histories, so the
 * held-out engines are as unseen as a test set's. `seeds` tree ensembles per fold, averaged like the final model's.
 * The interval coverage is itself cross-validated: each fold's cycles are scored with an interval table built from
 * the other folds' held-out residuals.
 */
export function crossValidateRul(histories: SignalColumns[], options: Partial<TrainOptions> = {}): CrossValidation {
  const o = trainOptions(options);
  if (histories.length < Math.max(2, o.folds)) throw new Error(`cross-validation needs at least ${Math.max(2, o.folds)} histories, got ${histories.length}`);
  const predicted: Float64Array[] = [];
  const truths: Float64Array[] = [];
  for (let fold = 0; fold < o.folds; fold++) {
    const train = histories.filter((_, g) => g % o.folds !== fold);
    const held = histories.filter((_, g) => g % o.folds === fold);
    const { pipeline } = fitFeatures(train, o);
    const table = trainingTable(pipeline, train, o.cap);
    const models = Array.from({ length: o.seeds }, (_, k) => fitGbt(table.x, table.y, table.width, { ...o.gbt, seed: (o.gbt.seed ?? 1) + fold + 100 * k }));
    const test = trainingTable(pipeline, held, o.cap);
    const p = new Float64Array(test.rows);
    for (let i = 0; i < test.rows; i++) p[i] = Math.min(o.cap, Math.max(0, ensembleAt(models, test, i)));
    predicted.push(p);
    truths.push(test.rul);
    o.onProgress?.(fold + 1, o.folds);
  }
  let squaresCapped = 0;
  let squares = 0;
  let score = 0;
  let late = 0;
  let covered = 0;
  let rows = 0;
  predicted.forEach((p, f) => {
    const others = predicted.filter((_, g) => g !== f);
    const table = fitConformal(concat(others), concat(truths.filter((_, g) => g !== f)), conformalEdges(o.cap));
    const truth = truths[f]!;
    for (let i = 0; i < p.length; i++) {
      const d = p[i]! - truth[i]!;
      const dc = p[i]! - Math.min(o.cap, truth[i]!);
      squaresCapped += dc * dc;
      if (truth[i]! <= o.cap) {
        squares += d * d;
        score += d < 0 ? Math.exp(-d / 13) - 1 : Math.exp(d / 10) - 1;
        late++;
      }
      const { lower, upper } = conformalInterval(table, p[i]!, 0);
      if (truth[i]! >= lower && truth[i]! <= upper) covered++;
      rows++;
    }
  });
  return { folds: o.folds, seeds: o.seeds, rows, cappedRmse: Math.sqrt(squaresCapped / rows), lateRmse: Math.sqrt(squares / late), lateScorePerCycle: score / late, coverage90: covered / rows };
}

function concat(arrays: Float64Array[]): Float64Array {
  const out = new Float64Array(arrays.reduce((n, a) => n + a.length, 0));
  let at = 0;
  for (const a of arrays) {
    out.set(a, at);
    at += a.length;
  }
  return out;
}

export interface RulPrediction extends RulEstimate {
  unit: string;
  method: RulMethod;
  /** Current health indicator (about 1 new, about 0 at failure). */
  healthIndex: number;
  /** Cycles in the history the estimate is based on. */
  cycles: number;
}

/** Per model, its required signals: asked on every estimate, and a model is never changed once built. */
const REQUIRED_SIGNALS = new WeakMap<RulModel, readonly string[]>();

/** The signals a history must have for this model (one array per model: read it, never change it). */
export function requiredSignals(model: RulModel): readonly string[] {
  let names = REQUIRED_SIGNALS.get(model);
  if (names === undefined) {
    names = Object.freeze([...model.pipeline.settings, ...model.pipeline.sensors]);
    REQUIRED_SIGNALS.set(model, names);
  }
  return names;
}

/** An operating setting (speed, for the pump model) now outside what the model's training histories held. */
export interface SettingOutsideTraining {
  setting: string;
  /** The newest reading. */
  value: number;
  /** The operating point the model learned at nearest to it (its regime's centre). */
  trained: number;
}

/**
 * Settings whose newest reading lies outside the conditions the model was trained on: further from the nearest
 * trained operating point than the settings ranged in training, and than 2 % of that point (a model trained at one
 * speed, 1480 rpm, has a range of 0). Such an estimate extrapolates: a bearing at 1,800 rpm runs hotter and looks
 * older to a model that only knows 1,480, and its interval does not know it.
 */
export function settingsOutsideTraining(model: RulModel, history: SignalColumns): readonly SettingOutsideTraining[] {
  const { settings, regimeCentres, settingScale } = model.pipeline;
  // Called on every estimate: nothing is allocated unless a setting is outside (the usual answer is NONE_OUTSIDE).
  const latest = (j: number): number => {
    const column = history[settings[j]!];
    return column !== undefined && column.length > 0 ? column[column.length - 1]! : NaN;
  };
  let nearest: number[] | undefined;
  let best = Infinity;
  for (const centre of regimeCentres) {
    let d = 0;
    for (let j = 0; j < settings.length; j++) d += ((latest(j) - centre[j]!) / settingScale[j]!) ** 2;
    // NaN (a setting without a reading) never compares below: no centre, nothing to say.
    if (d < best) {
      best = d;
      nearest = centre;
    }
  }
  if (nearest === undefined) return NONE_OUTSIDE;
  let outside: SettingOutsideTraining[] | undefined;
  for (let j = 0; j < settings.length; j++) {
    const trained = nearest[j]!;
    const value = latest(j);
    if (Math.abs(value - trained) > Math.max(settingScale[j]!, 0.02 * Math.abs(trained))) (outside ??= []).push({ setting: settings[j]!, value, trained });
  }
  return outside ?? NONE_OUTSIDE;
}

const NONE_OUTSIDE: readonly SettingOutsideTraining[] = Object.freeze([]);

/**
 * Remaining life of an asset from its history since new (or since its last part replacement).
 * @param buffers reused arrays, for a caller that estimates on every update (the estimate keeps none of them)
 */
export function predictRul(model: RulModel, method: RulMethod, history: SignalColumns, horizon: number, buffers?: EstimateBuffers): RulPrediction {
  const names = requiredSignals(model);
  for (const name of names) if (history[name] === undefined) throw new Error(`the history has no signal "${name}"`);
  const cycles = historyLength(history, names);
  if (cycles === 0) throw new Error('the history is empty');
  for (const name of names) if (history[name]!.length !== cycles) throw new Error(`signal "${name}" has ${history[name]!.length} readings, others ${cycles}`);
  // The sensors are scaled once for both the health indicator and the trees' features (each used to scale them).
  const scaled = scaledSensors(model.pipeline, history, buffers);
  // The slot after the sensors and the combined series (see `withCombined`).
  const health = healthTrajectoryOfScaled(model.healthIndex, scaled, buffers?.take(scaled.length + 1, cycles));
  const healthIndex = health[health.length - 1]!;
  const estimate = estimate_(model, method, scaled, cycles, health, horizon, buffers);
  return { ...estimate, unit: model.unit, method, healthIndex, cycles };
}

function estimate_(model: RulModel, method: RulMethod, scaled: Float64Array[], cycles: number, health: Float64Array, horizon: number, buffers?: EstimateBuffers): RulEstimate {
  switch (method) {
    case 'gbt': {
      const features = lastFeaturesOfScaled(model.pipeline, scaled, cycles, buffers);
      let sum = 0;
      for (const trees of model.gbt.ensemble) sum += predictGbt(trees, features);
      // Never beyond the target the trees learned (their sum can overshoot it by a little).
      const rul = Math.min(model.cap, Math.max(0, sum / model.gbt.ensemble.length));
      const { lower, upper, p } = conformalInterval(model.gbt.intervals, rul, horizon);
      return { rul, lower, upper, probabilityOfFailureWithin: { horizon, p }, ceiling: model.cap };
    }
    case 'exponential':
    case 'linear':
      return predictDegradation(model.degradation[method], health, horizon);
    case 'similarity':
      return predictSimilarity(model.similarity, health, horizon);
  }
}

export function isRulMethod(value: unknown): value is RulMethod {
  return typeof value === 'string' && (RUL_METHODS as readonly string[]).includes(value);
}

/** Reads a model from its JSON text, checking that it is one (not any JSON file) and that its parts fit together. */
export function parseRulModel(text: string): Parsed<RulModel> {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    return { ok: false, reason: `the model file is not JSON (${errorMessage(err)})` };
  }
  if (typeof raw !== 'object' || raw === null) return { ok: false, reason: 'the model file does not hold an object' };
  const m = raw as Partial<RulModel>;
  if (m.format !== RUL_MODEL_FORMAT) return { ok: false, reason: `the file is not a RUL model (format must be "${RUL_MODEL_FORMAT}")` };
  if (m.version !== 1) return { ok: false, reason: `RUL model version ${String(m.version)} is not supported (this package reads version 1)` };
  if (typeof m.cap !== 'number' || !(m.cap > 0)) return { ok: false, reason: 'the RUL model has no learning target cap (cap must be a number above 0)' };
  const pipeline = m.pipeline;
  if (!pipeline || !Array.isArray(pipeline.sensors) || !Array.isArray(pipeline.mean) || !Array.isArray(m.healthIndex?.weights)) {
    return { ok: false, reason: 'the RUL model has no feature pipeline or health index' };
  }
  if (m.healthIndex.weights.length !== pipeline.sensors.length) return { ok: false, reason: 'the RUL model health index does not match its sensors' };
  if (pipeline.features !== undefined && (!Array.isArray(pipeline.features) || pipeline.features.some((f) => !(FEATURE_KINDS as readonly string[]).includes(f)))) {
    return { ok: false, reason: `the RUL model asks for features this package does not compute (${String(pipeline.features)})` };
  }
  const width = featureCount(pipeline);
  const ensemble = m.gbt?.ensemble;
  if (!Array.isArray(ensemble) || ensemble.length === 0 || ensemble.some((t) => !Array.isArray(t.feature) || t.feature.some((f) => f >= width))) {
    return { ok: false, reason: 'the RUL model trees do not match its features' };
  }
  if (!m.degradation?.linear || !m.degradation.exponential || !Array.isArray(m.similarity?.library) || !m.gbt?.intervals) {
    return { ok: false, reason: 'the RUL model lacks one of its methods' };
  }
  const regimes = pipeline.regimeCentres?.length ?? 0;
  if (regimes === 0 || pipeline.mean.length !== regimes || !Array.isArray(pipeline.std) || pipeline.std.length !== regimes
    || [...pipeline.mean, ...pipeline.std].some((row) => !Array.isArray(row) || row.length !== pipeline.sensors.length)) {
    return { ok: false, reason: 'the RUL model scaling does not match its sensors and operating regimes' };
  }
  if (!Array.isArray(pipeline.settings) || [...pipeline.settings, ...pipeline.sensors].some((name) => typeof name !== 'string' || name === '')) {
    return { ok: false, reason: 'the RUL model names its signals wrongly (settings and sensors must be signal names)' };
  }
  const readingSeconds = m.trainedOn?.readingSeconds;
  if (readingSeconds !== undefined && !(typeof readingSeconds === 'number' && readingSeconds > 0 && Number.isFinite(readingSeconds))) {
    return { ok: false, reason: 'the RUL model states its reading interval wrongly (trainedOn.readingSeconds must be a number of seconds above 0)' };
  }
  for (const key of ['runs'] as const) {
    const ids = m.trainedOn?.[key];
    if (ids !== undefined && (!Array.isArray(ids) || ids.some((id) => typeof id !== 'string'))) return { ok: false, reason: 'the RUL model lists its learned runs wrongly' };
  }
  if (m.learnedRuns !== undefined && (!Array.isArray(m.learnedRuns) || m.learnedRuns.some((id) => typeof id !== 'string'))) {
    return { ok: false, reason: 'the RUL model lists its learned runs wrongly' };
  }
  return { ok: true, value: m as RulModel };
}

/**
 * Proves a model that parsed can also estimate: every method, on a short made-up history at the training data's
 * average (one operating regime), must give finite numbers. Catches files whose arrays parse but do not fit together
 * (a hand edit, a truncated tree list) before a node relies on them. @returns the reason it cannot, or undefined
 */
export function rulModelFault(model: RulModel): string | undefined {
  const cycles = 30;
  const columns: Record<string, number[]> = {};
  model.pipeline.settings.forEach((name, j) => (columns[name] = new Array<number>(cycles).fill(model.pipeline.regimeCentres[0]![j] ?? 0)));
  model.pipeline.sensors.forEach((name, s) => (columns[name] = Array.from({ length: cycles }, (_, i) => model.pipeline.mean[0]![s]! + 1e-3 * i * model.pipeline.std[0]![s]!)));
  for (const method of RUL_METHODS) {
    try {
      const p = predictRul(model, method, columns, 20);
      if (![p.rul, p.lower, p.upper, p.healthIndex].every(Number.isFinite)) return `the ${method} method of the model gives no estimate`;
    } catch (err) {
      return `the ${method} method of the model fails: ${errorMessage(err)}`;
    }
  }
  return undefined;
}

/** The model as JSON text (what `parseRulModel` reads back). */
export function serialiseRulModel(model: RulModel): string {
  return JSON.stringify(model);
}
