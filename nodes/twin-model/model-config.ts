/**
 * Reads the editor configuration of `twin-model` into the core's model options, naming every problem.
 * Kept apart from the node so the mapping is one small, testable function.
 */
import { ASSET_MODEL_KINDS, type AssetModelKind, type AssetModelOptions } from '../../core/model/asset-model.js';
import { errorMessage } from '../../core/errors.js';
import { parseRidgeBaseline } from '../../core/model/ridge-baseline.js';
import type { Parsed } from '../../core/telemetry.js';
import { numberSetting } from '../shared/node-red.js';

/** One output of an expression model: a signal and the JSONata expression giving its expected value. */
export interface ExpressionRow {
  signal: string;
  expression: string;
}

export interface TwinModelSettings {
  model?: string;
  /** JSON text: parameter overrides (physics) or the parameters expressions read. */
  parameters?: string;
  /** Learned baseline: comma-separated signal names. */
  inputs?: string;
  outputs?: string;
  alpha?: string | number;
  degree?: string | number;
  /** JSON text of a baseline fitted earlier (optional). */
  baseline?: string;
  /** A data file of a healthy period to fit the baseline on at deploy (absolute, or relative to the user dir). */
  baselineFile?: string;
  expressions?: ExpressionRow[];
  /** Healthy window in minutes of plant time. */
  healthyWindow?: string | number;
  timeScale?: string | number;
  lambda?: string | number;
  limit?: string | number;
  forgetting?: string | number;
  /** Condition indicator window in minutes of plant time (0: none). */
  indicatorWindow?: string | number;
}

export interface ResolvedSettings {
  options: AssetModelOptions;
  expressions: ExpressionRow[];
}

function names(text: string | undefined): string[] {
  return (text ?? '').split(',').map((s) => s.trim()).filter((s) => s !== '');
}

function json(text: string | undefined, what: string): Parsed<unknown> {
  if (text === undefined || text.trim() === '') return { ok: true, value: undefined };
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (err) {
    return { ok: false, reason: `${what} is not valid JSON: ${errorMessage(err)}` };
  }
}

/** Default healthy window: two hours of plant time (120 one-minute readings, ±6 % on each learned scale). */
export const DEFAULT_HEALTHY_WINDOW_MIN = 120;

export function resolveSettings(config: TwinModelSettings): Parsed<ResolvedSettings> {
  const kind = (config.model || 'pump-physics') as AssetModelKind;
  if (!ASSET_MODEL_KINDS.includes(kind)) return { ok: false, reason: `model must be one of ${ASSET_MODEL_KINDS.join(', ')}, got ${JSON.stringify(config.model)}` };
  const parameters = json(config.parameters, 'parameters');
  if (!parameters.ok) return parameters;
  const options: AssetModelOptions = {
    kind,
    parameters: parameters.value,
    healthyWindowSeconds: Math.max(0, numberSetting(config.healthyWindow, DEFAULT_HEALTHY_WINDOW_MIN)) * 60,
    timeScale: numberSetting(config.timeScale, 1),
    chart: { lambda: numberSetting(config.lambda, 0.1), limit: numberSetting(config.limit, 5) },
    forgetting: numberSetting(config.forgetting, 0.98),
    indicatorWindowSeconds: Math.max(0, numberSetting(config.indicatorWindow, 60)) * 60,
  };
  options.chart!.clearLimit = options.chart!.limit! / 2;
  let expressions: ExpressionRow[] = [];
  if (kind === 'learned-baseline') {
    const given = json(config.baseline, 'baseline');
    if (!given.ok) return given;
    if (given.value !== undefined) {
      const baseline = parseRidgeBaseline(given.value);
      if (!baseline.ok) return baseline;
      options.baseline = baseline.value;
    }
    options.inputs = names(config.inputs);
    options.outputs = names(config.outputs);
    options.alpha = numberSetting(config.alpha, 1);
    options.degree = numberSetting(config.degree, 1) === 2 ? 2 : 1;
  }
  if (kind === 'expression') {
    expressions = (config.expressions ?? []).map((r) => ({ signal: String(r.signal ?? '').trim(), expression: String(r.expression ?? '').trim() }));
    const incomplete = expressions.findIndex((r) => r.signal === '' || r.expression === '');
    if (incomplete >= 0) return { ok: false, reason: `expression ${incomplete + 1} needs both a signal name and an expression` };
    options.outputs = expressions.map((r) => r.signal);
    if (parameters.value !== undefined && (typeof parameters.value !== 'object' || parameters.value === null || Array.isArray(parameters.value))) {
      return { ok: false, reason: 'parameters must be an object like { "k": 0.8 }' };
    }
  }
  return { ok: true, value: { options, expressions } };
}
