/**
 * Learned baseline: ridge regression of each expected signal on the operating conditions (Hoerl & Kennard,
 * "Ridge Regression", Technometrics 12(1), 1970; Hastie, Tibshirani & Friedman, "The Elements of Statistical
 * Learning", §3.4.1), fitted on a healthy window. For assets without a physics model, e.g. C-MAPSS engines
 * (3 operating settings → 21 sensors).
 *
 * Features are standardised (ridge is not scale invariant), targets centred, the intercept is not penalised:
 *   B = (ZᵀZ + α·I)⁻¹·Zᵀ(Y − ȳ),   ŷ = ȳ + z·B.
 * With `degree: 2` each input's square is added as a feature (Q ∝ N, H ∝ N² become linear in N and N²).
 * All outputs share one factorisation: one solve with one right-hand side per output.
 */
import type { Parsed } from '../telemetry.js';
import { CMAPSS_SIGNALS } from '../cmapss.js';
import { solveLinearSystem } from './linear-algebra.js';

export interface RidgeBaseline {
  inputs: string[];
  outputs: string[];
  degree: 1 | 2;
  alpha: number;
  /** Mean and standard deviation of each feature (inputs, then squares when degree 2). */
  featureMeans: number[];
  featureScales: number[];
  /** Mean of each output on the training window. */
  intercepts: number[];
  /** coefficients[o][f]: weight of standardised feature f for output o. */
  coefficients: number[][];
  /** Training rows used. */
  rows: number;
}

export interface RidgeOptions {
  inputs: readonly string[];
  outputs: readonly string[];
  /** Penalty α ≥ 0 on the standardised coefficients (default 1). */
  alpha?: number;
  degree?: 1 | 2;
}

function features(row: readonly number[], degree: 1 | 2): number[] {
  return degree === 2 ? [...row, ...row.map((v) => v * v)] : [...row];
}

/**
 * Fits the baseline on rows of inputs and outputs (same order as `options.inputs` / `options.outputs`).
 * A feature that does not vary on the window (a constant setting) gets weight 0: it can say nothing there.
 */
export function fitRidgeBaseline(x: readonly (readonly number[])[], y: readonly (readonly number[])[], options: RidgeOptions): Parsed<RidgeBaseline> {
  const alpha = options.alpha ?? 1;
  const degree = options.degree ?? 1;
  if (!(alpha >= 0)) return { ok: false, reason: `ridge penalty must be zero or positive, got ${alpha}` };
  if (options.inputs.length === 0 || options.outputs.length === 0) return { ok: false, reason: 'a baseline needs at least one input and one output signal' };
  if (x.length !== y.length) return { ok: false, reason: `got ${x.length} input rows and ${y.length} output rows` };
  if (x.length < 2) return { ok: false, reason: `a baseline needs at least 2 healthy rows, got ${x.length}` };
  const bad = [...x, ...y].findIndex((row, i) => row.length !== (i < x.length ? options.inputs.length : options.outputs.length) || row.some((v) => !Number.isFinite(v)));
  if (bad >= 0) return { ok: false, reason: `training row ${(bad % x.length) + 1} has a missing or non-numeric value` };

  const rows = x.map((r) => features(r, degree));
  const nf = rows[0]!.length;
  const n = rows.length;
  const featureMeans = Array.from({ length: nf }, (_, f) => rows.reduce((s, r) => s + r[f]!, 0) / n);
  const featureScales = Array.from({ length: nf }, (_, f) => Math.sqrt(rows.reduce((s, r) => s + (r[f]! - featureMeans[f]!) ** 2, 0) / n));
  const z = rows.map((r) => r.map((v, f) => (featureScales[f]! > 0 ? (v - featureMeans[f]!) / featureScales[f]! : 0)));
  const intercepts = options.outputs.map((_, o) => y.reduce((s, r) => s + r[o]!, 0) / n);

  // Normal equations; a constant feature's column is all zero, so a tiny penalty keeps the system solvable.
  const gram = Array.from({ length: nf }, (_, i) => Array.from({ length: nf }, (__, j) => z.reduce((s, r) => s + r[i]! * r[j]!, 0) + (i === j ? Math.max(alpha, 1e-9 * n) : 0)));
  const rhs = Array.from({ length: nf }, (_, i) => options.outputs.map((__, o) => z.reduce((s, r, k) => s + r[i]! * (y[k]![o]! - intercepts[o]!), 0)));
  const solved = solveLinearSystem(gram, rhs);
  if (solved === undefined) return { ok: false, reason: 'the healthy window does not determine the baseline (inputs are collinear); raise the ridge penalty' };
  const coefficients = options.outputs.map((_, o) => solved.map((row) => row[o]!));
  return {
    ok: true,
    value: { inputs: [...options.inputs], outputs: [...options.outputs], degree, alpha, featureMeans, featureScales, intercepts, coefficients, rows: n },
  };
}

/** Expected outputs for one set of inputs; refused when an input is missing. */
export function predictRidgeBaseline(model: RidgeBaseline, inputs: Readonly<Record<string, number>>): Parsed<Record<string, number>> {
  const missing = model.inputs.filter((name) => !Number.isFinite(inputs[name]));
  if (missing.length > 0) return { ok: false, reason: `the baseline needs the input ${missing.join(', ')}, which this update does not carry` };
  const f = features(model.inputs.map((name) => inputs[name]!), model.degree);
  const z = f.map((v, i) => (model.featureScales[i]! > 0 ? (v - model.featureMeans[i]!) / model.featureScales[i]! : 0));
  const out: Record<string, number> = {};
  model.outputs.forEach((name, o) => {
    out[name] = model.intercepts[o]! + model.coefficients[o]!.reduce((s, c, i) => s + c * z[i]!, 0);
  });
  return { ok: true, value: out };
}

/**
 * Reads a baseline given as JSON (e.g. saved from an earlier fit), checking every array has the right shape.
 */
export function parseRidgeBaseline(raw: unknown): Parsed<RidgeBaseline> {
  if (typeof raw !== 'object' || raw === null) return { ok: false, reason: 'a baseline must be an object with inputs, outputs, featureMeans, featureScales, intercepts and coefficients' };
  const b = raw as Partial<RidgeBaseline>;
  const strings = (v: unknown): v is string[] => Array.isArray(v) && v.every((s) => typeof s === 'string');
  const numbers = (v: unknown, n: number): v is number[] => Array.isArray(v) && v.length === n && v.every((s) => typeof s === 'number' && Number.isFinite(s));
  if (!strings(b.inputs) || !strings(b.outputs) || b.inputs.length === 0 || b.outputs.length === 0) return { ok: false, reason: 'baseline inputs and outputs must be non-empty lists of signal names' };
  const degree = b.degree === 2 ? 2 : 1;
  const nf = degree === 2 ? 2 * b.inputs.length : b.inputs.length;
  if (!numbers(b.featureMeans, nf) || !numbers(b.featureScales, nf)) return { ok: false, reason: `baseline featureMeans and featureScales must hold ${nf} numbers each` };
  if (!numbers(b.intercepts, b.outputs.length)) return { ok: false, reason: `baseline intercepts must hold ${b.outputs.length} numbers (one per output)` };
  if (!Array.isArray(b.coefficients) || b.coefficients.length !== b.outputs.length || !b.coefficients.every((row) => numbers(row, nf))) {
    return { ok: false, reason: `baseline coefficients must be ${b.outputs.length} rows of ${nf} numbers` };
  }
  return {
    ok: true,
    value: {
      inputs: b.inputs, outputs: b.outputs, degree, alpha: typeof b.alpha === 'number' ? b.alpha : 0,
      featureMeans: b.featureMeans, featureScales: b.featureScales, intercepts: b.intercepts, coefficients: b.coefficients,
      rows: typeof b.rows === 'number' ? b.rows : 0,
    },
  };
}

/**
 * Mean and sample standard deviation of each output's residual on rows the baseline was fitted on: the healthy
 * scale for normalising residuals (ResidualMonitor `scales`).
 */
export function baselineResidualScales(model: RidgeBaseline, x: readonly (readonly number[])[], y: readonly (readonly number[])[]): Record<string, { mean: number; std: number }> {
  const out: Record<string, { mean: number; std: number }> = {};
  model.outputs.forEach((name, o) => {
    const residuals = x.map((row, i) => {
      const p = predictRidgeBaseline(model, Object.fromEntries(model.inputs.map((s, j) => [s, row[j]!])));
      return p.ok ? y[i]![o]! - p.value[name]! : 0;
    });
    const m = residuals.reduce((a, b) => a + b, 0) / residuals.length;
    const variance = residuals.length > 1 ? residuals.reduce((a, b) => a + (b - m) ** 2, 0) / (residuals.length - 1) : 0;
    out[name] = { mean: m, std: Math.sqrt(variance) };
  });
  return out;
}

/**
 * Rows for a fit from histories of several signals: one row per timestamp present in every named signal (readings of
 * one telemetry message share its timestamp), oldest first; `bad` readings are left out.
 */
export function alignHistories(histories: Readonly<Record<string, { ts: readonly number[]; values: readonly number[]; quality: readonly string[] }>>, names: readonly string[]): { ts: number[]; rows: number[][] } {
  const maps = names.map((name) => {
    const h = histories[name];
    const map = new Map<number, number>();
    if (h) h.ts.forEach((t, i) => {
      if (h.quality[i] !== 'bad') map.set(t, h.values[i]!);
    });
    return map;
  });
  const ts = [...(maps[0]?.keys() ?? [])].filter((t) => maps.every((m) => m.has(t))).sort((a, b) => a - b);
  return { ts, rows: ts.map((t) => maps.map((m) => m.get(t)!)) };
}

/**
 * Reads a table of healthy data for fitting a baseline: a header row of signal names and one row per reading
 * (separated by commas, semicolons, tabs or spaces), or a NASA C-MAPSS file (no header; unit, cycle, setting1..3,
 * s1..s21).
 * @returns columns by signal name
 */
export function parseDataTable(text: string): Parsed<Record<string, number[]>> {
  const lines = text.split(/\r?\n/).map((l) => l.trim()).filter((l) => l !== '');
  if (lines.length === 0) return { ok: false, reason: 'the data file is empty' };
  const split = (line: string) => line.split(/[,;\t ]+/).filter((c) => c !== '');
  const first = split(lines[0]!);
  const hasHeader = first.some((cell) => Number.isNaN(Number(cell)));
  const names = hasHeader ? first : first.length === 2 + CMAPSS_SIGNALS.length ? ['unit', 'cycle', ...CMAPSS_SIGNALS] : undefined;
  if (names === undefined) return { ok: false, reason: 'the data file needs a header row of signal names (or the C-MAPSS column layout)' };
  const columns: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
  for (let i = hasHeader ? 1 : 0; i < lines.length; i++) {
    const cells = split(lines[i]!);
    if (cells.length !== names.length) return { ok: false, reason: `line ${i + 1} has ${cells.length} values, the header ${names.length}` };
    for (const [j, cell] of cells.entries()) {
      const value = Number(cell);
      if (!Number.isFinite(value)) return { ok: false, reason: `line ${i + 1}, column ${names[j]}: "${cell.slice(0, 20)}" is not a number` };
      columns[names[j]!]!.push(value);
    }
  }
  return { ok: true, value: columns };
}

/** Fits a baseline on columns of a data table (a healthy period recorded elsewhere). */
export function fitRidgeBaselineFromColumns(columns: Readonly<Record<string, readonly number[]>>, options: RidgeOptions): Parsed<RidgeBaseline> {
  const missing = [...options.inputs, ...options.outputs].filter((name) => columns[name] === undefined);
  if (missing.length > 0) return { ok: false, reason: `the data has no column ${missing.join(', ')}` };
  const rows = columns[options.inputs[0] ?? options.outputs[0]!]?.length ?? 0;
  const x = Array.from({ length: rows }, (_, r) => options.inputs.map((name) => columns[name]![r]!));
  const y = Array.from({ length: rows }, (_, r) => options.outputs.map((name) => columns[name]![r]!));
  return fitRidgeBaseline(x, y, options);
}
