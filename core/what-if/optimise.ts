/**
 * "What should we do?": the setting of a few decision variables (a speed setpoint, the set-points of a profile …)
 * that scores best on an objective over the scenario KPIs while keeping the asset safe and alive, every candidate
 * evaluated on the forked twin by the same simulation as what-if.
 *
 * Search: a full grid when every variable has a step and there are one or two of them (a plant engineer can check a
 * grid, and with one or two variables it is cheap); otherwise Nelder–Mead on the box (Nelder & Mead 1965, with the
 * standard coefficients 1, 2, ½, ½), started from a seeded simplex, with infeasible candidates ranked by how far they
 * break the constraints. The objective is injected (a KPI, or a JSONata expression evaluated by the caller),
 * so this file stays pure.
 */
import type { Parsed } from '../telemetry.js';
import { SeededRandom } from '../random.js';
import { compareWithBaseline, simulatePumpScenario, type Kpis, type PumpFork, type ScenarioResult, type WhatIfSettings } from './pump-scenario.js';
import { parseScenario, SCENARIO_LIMITS, type Scenario, type ScenarioChanges, type ScenarioDefaults } from './scenario.js';

export interface DecisionVariable {
  /** Where the value goes in the scenario's changes: `setpoints.speed`, `conditions.ambientTemp`,
   *  `parameters.<name>` or `profile.<i>.setpoints.speed`. */
  path: string;
  min: number;
  max: number;
  /** Grid spacing; values are rounded to it. */
  step?: number;
}

/** KPIs an objective can name directly, with the direction that is better. */
export const OBJECTIVE_KPIS = Object.freeze({ throughputM3: 'maximise', energyKwh: 'minimise', energyPerM3: 'minimise', rulAtEndH: 'maximise' } as const);
export type ObjectiveKpi = keyof typeof OBJECTIVE_KPIS;

export interface ObjectiveSpec {
  direction: 'maximise' | 'minimise';
  /** A KPI name, or a JSONata expression over the KPIs (evaluated by the caller). */
  kpi?: ObjectiveKpi;
  expression?: string;
}

export interface Constraints {
  /** Every limited signal stays within its operating limits over the horizon (in at least 1 − limitRisk of runs). */
  withinLimits: boolean;
  /** Largest share of Monte Carlo runs allowed to cross a limit (0 with one run). */
  limitRisk: number;
  /** Remaining bearing life at the end at least this (h). */
  minRulAtEndH?: number;
  /** Probability that the bearing trips within the horizon at most this. */
  maxTripProbability?: number;
}

export interface Optimisation {
  name: string;
  assetId: string;
  horizonS: number;
  stepS: number;
  runs: number;
  seed: number;
  /** Changes every candidate shares (e.g. a hot day); the variables are written on top. */
  base: ScenarioChanges;
  variables: DecisionVariable[];
  objective: ObjectiveSpec;
  constraints: Constraints;
  /** Most candidates Nelder–Mead may evaluate. */
  maxEvaluations: number;
}

export interface Candidate {
  values: Record<string, number>;
  objective: number;
  feasible: boolean;
  /** Why not, in words, when infeasible. */
  reasons: string[];
  /** How far the constraints are broken (0 when feasible): ranks infeasible candidates in the search. */
  violation: number;
  /** The constraint quantities, for the trade-off curve. */
  peakBearingTempC: number;
  rulAtEndH: number;
  minutesOutsideLimits: number;
}

export interface OptimisationOutcome {
  assetId: string;
  name: string;
  method: 'grid' | 'nelder-mead';
  evaluations: number;
  /** The best feasible candidate's full scenario result (trajectories, KPIs, comparison with the baseline), or null when none is feasible. */
  best: (ScenarioResult & { values: Record<string, number>; objective: number }) | null;
  baseline: ScenarioResult;
  /** The constraint that binds at the optimum (least slack), and every candidate's objective against it. */
  tradeOff: { constraint: string; points: Array<{ values: Record<string, number>; objective: number; constraintValue: number; feasible: boolean }> };
  /** Infeasible candidates and why (the first 20 by objective). */
  infeasible: Array<{ values: Record<string, number>; reasons: string[] }>;
  /** The scenario the best setting amounts to, for promotion to the actuator. */
  scenario: Scenario | null;
}

const OPTIMISE_LIMITS = Object.freeze({ variables: 10, gridPoints: 5000, evaluations: 2000 });

function finite(raw: unknown, what: string): Parsed<number> {
  return typeof raw === 'number' && Number.isFinite(raw) ? { ok: true, value: raw } : { ok: false, reason: `${what} must be a finite number, got ${JSON.stringify(raw)}` };
}

const PATH = /^(setpoints|conditions|parameters)\.[A-Za-z_][\w]*$|^profile\.\d+\.(setpoints|conditions)\.[A-Za-z_][\w]*$/;

/**
 * Reads an optimisation request: `{ name?, assetId, horizon?, step?, runs?, seed?, changes?, variables: [{ path, min,
 * max, step? }], objective: "throughputM3" | { maximise | minimise: <KPI or JSONata> }, constraints?: { withinLimits?,
 * limitRisk?, minRulAtEndH?, maxTripProbability? }, maxEvaluations? }`.
 */
export function parseOptimisation(raw: unknown, defaults: ScenarioDefaults): Parsed<Optimisation> {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return { ok: false, reason: 'an optimisation must be an object { assetId, variables, objective, constraints }' };
  const input = raw as Record<string, unknown>;
  const scenario = parseScenario({ name: input.name ?? 'optimum', assetId: input.assetId, horizon: input.horizon, step: input.step, runs: input.runs, seed: input.seed, changes: input.changes }, defaults);
  if (!scenario.ok) return scenario;
  const s = scenario.value;

  if (!Array.isArray(input.variables) || input.variables.length === 0) return { ok: false, reason: 'variables must list at least one { path, min, max, step? }, e.g. { "path": "setpoints.speed", "min": 1200, "max": 1800, "step": 20 }' };
  if (input.variables.length > OPTIMISE_LIMITS.variables) return { ok: false, reason: `at most ${OPTIMISE_LIMITS.variables} variables` };
  const variables: DecisionVariable[] = [];
  for (const [i, v] of (input.variables as unknown[]).entries()) {
    const item = (typeof v === 'object' && v !== null ? v : {}) as Record<string, unknown>;
    if (typeof item.path !== 'string' || !PATH.test(item.path)) return { ok: false, reason: `variables[${i}].path must be setpoints.<name>, conditions.<name>, parameters.<name> or profile.<i>.setpoints.<name>, got ${JSON.stringify(item.path)}` };
    const min = finite(item.min, `variables[${i}].min`);
    if (!min.ok) return min;
    const max = finite(item.max, `variables[${i}].max`);
    if (!max.ok) return max;
    if (max.value <= min.value) return { ok: false, reason: `variables[${i}]: max must be greater than min` };
    const variable: DecisionVariable = { path: item.path, min: min.value, max: max.value };
    if (item.step !== undefined) {
      const step = finite(item.step, `variables[${i}].step`);
      if (!step.ok) return step;
      if (!(step.value > 0)) return { ok: false, reason: `variables[${i}].step must be greater than 0` };
      variable.step = step.value;
    }
    const profile = /^profile\.(\d+)\./.exec(item.path);
    if (profile && Number(profile[1]) >= s.changes.profile.length) return { ok: false, reason: `variables[${i}].path names profile step ${profile[1]}, but changes.profile has ${s.changes.profile.length} steps` };
    variables.push(variable);
  }
  if (new Set(variables.map((v) => v.path)).size !== variables.length) return { ok: false, reason: 'each variable path may appear only once' };

  let objective: ObjectiveSpec;
  const o = input.objective;
  if (typeof o === 'string' && o in OBJECTIVE_KPIS) objective = { direction: OBJECTIVE_KPIS[o as ObjectiveKpi], kpi: o as ObjectiveKpi };
  else if (typeof o === 'object' && o !== null && !Array.isArray(o) && Object.keys(o).length === 1 && (('maximise' in o) || ('minimise' in o))) {
    const direction = 'maximise' in o ? 'maximise' : 'minimise';
    const target = (o as Record<string, unknown>)[direction];
    if (typeof target !== 'string' || target.trim() === '') return { ok: false, reason: `objective.${direction} must be a KPI name or a JSONata expression over the KPIs` };
    objective = target in OBJECTIVE_KPIS ? { direction, kpi: target as ObjectiveKpi } : { direction, expression: target };
  } else {
    return { ok: false, reason: `objective must be one of ${Object.keys(OBJECTIVE_KPIS).join(', ')}, or { "maximise" | "minimise": <KPI or JSONata expression> }` };
  }

  const c = (typeof input.constraints === 'object' && input.constraints !== null ? input.constraints : {}) as Record<string, unknown>;
  const constraints: Constraints = { withinLimits: c.withinLimits !== false, limitRisk: 0 };
  if (c.limitRisk !== undefined) {
    const risk = finite(c.limitRisk, 'constraints.limitRisk');
    if (!risk.ok || risk.value < 0 || risk.value > 1) return { ok: false, reason: 'constraints.limitRisk must be a share from 0 to 1' };
    constraints.limitRisk = risk.value;
  }
  if (c.minRulAtEndH !== undefined) {
    const rul = finite(c.minRulAtEndH, 'constraints.minRulAtEndH');
    if (!rul.ok) return rul;
    constraints.minRulAtEndH = rul.value;
  }
  if (c.maxTripProbability !== undefined) {
    const p = finite(c.maxTripProbability, 'constraints.maxTripProbability');
    if (!p.ok || p.value < 0 || p.value > 1) return { ok: false, reason: 'constraints.maxTripProbability must be a probability from 0 to 1' };
    constraints.maxTripProbability = p.value;
  }
  const maxEvaluations = input.maxEvaluations === undefined ? 200 : input.maxEvaluations;
  if (typeof maxEvaluations !== 'number' || !Number.isInteger(maxEvaluations) || maxEvaluations < 3 || maxEvaluations > OPTIMISE_LIMITS.evaluations) return { ok: false, reason: `maxEvaluations must be a whole number from 3 to ${OPTIMISE_LIMITS.evaluations}` };

  const gridPoints = gridSize(variables);
  const evaluations = usesGrid(variables) ? gridPoints : maxEvaluations;
  if (usesGrid(variables) && gridPoints > OPTIMISE_LIMITS.gridPoints) return { ok: false, reason: `the grid has ${gridPoints} points; at most ${OPTIMISE_LIMITS.gridPoints}: take larger steps` };
  const work = (evaluations + 1) * s.runs * Math.round(s.horizonS / s.stepS);
  if (work > SCENARIO_LIMITS.totalSteps * 5) return { ok: false, reason: `the optimisation would simulate ${work.toLocaleString('en')} steps; at most ${(SCENARIO_LIMITS.totalSteps * 5).toLocaleString('en')}: fewer runs, larger steps or fewer evaluations` };

  return { ok: true, value: { name: s.name, assetId: s.assetId, horizonS: s.horizonS, stepS: s.stepS, runs: s.runs, seed: s.seed, base: s.changes, variables, objective, constraints, maxEvaluations } };
}

function usesGrid(variables: DecisionVariable[]): boolean {
  return variables.length <= 2 && variables.every((v) => v.step !== undefined);
}

function axis(v: DecisionVariable): number[] {
  const out: number[] = [];
  const n = Math.floor((v.max - v.min) / v.step! + 1e-9);
  for (let k = 0; k <= n; k++) out.push(round(v.min + k * v.step!));
  if (out[out.length - 1]! < v.max - 1e-9) out.push(v.max);
  return out;
}

/** Points on one variable's axis, counted without building it (a step of 1e-6 over 3,000 rpm must not fill memory). */
function axisLength(v: DecisionVariable): number {
  const n = Math.floor((v.max - v.min) / v.step! + 1e-9);
  return n + 1 + (round(v.min + n * v.step!) < v.max - 1e-9 ? 1 : 0);
}

function gridSize(variables: DecisionVariable[]): number {
  return usesGrid(variables) ? variables.reduce((n, v) => n * axisLength(v), 1) : 0;
}

/** Rounds away floating-point dust (1200 + 3·0.1 …) so grid values print as the engineer typed them. */
function round(x: number): number {
  return Math.round(x * 1e9) / 1e9;
}

/** Snaps a value into its box and onto its grid. */
function snap(v: DecisionVariable, x: number): number {
  const inBox = Math.min(v.max, Math.max(v.min, x));
  return v.step ? round(Math.min(v.max, v.min + Math.round((inBox - v.min) / v.step) * v.step)) : inBox;
}

/** The scenario's changes with the candidate's values written in (a fresh copy; the base is never changed). */
export function applyValues(base: ScenarioChanges, values: Record<string, number>): ScenarioChanges {
  const changes: ScenarioChanges = {
    setpoints: { ...base.setpoints },
    conditions: { ...base.conditions },
    parameters: { ...base.parameters },
    profile: base.profile.map((p) => ({ at: p.at, setpoints: { ...p.setpoints }, conditions: { ...p.conditions } })),
  };
  for (const [path, value] of Object.entries(values)) {
    const parts = path.split('.');
    if (parts[0] === 'profile') {
      const step = changes.profile[Number(parts[1])]!;
      (parts[2] === 'setpoints' ? step.setpoints : step.conditions)[parts[3]!] = value;
    } else {
      (changes[parts[0] as 'setpoints' | 'conditions' | 'parameters'])[parts[1]!] = value;
    }
  }
  return changes;
}

export type ObjectiveFunction = (kpis: Kpis) => number | Promise<number>;

/** The objective of a KPI name; expressions need a function from the caller (JSONata lives outside the core). */
export function kpiObjective(kpi: ObjectiveKpi): ObjectiveFunction {
  return (k) => k[kpi] ?? NaN;
}

/** Checks a scenario result against the constraints: feasible, or the reasons and how far off. */
export function checkConstraints(result: ScenarioResult, constraints: Constraints): { feasible: boolean; reasons: string[]; violation: number } {
  const reasons: string[] = [];
  let violation = 0;
  if (constraints.withinLimits) {
    for (const v of result.violations) {
      if (v.probability <= constraints.limitRisk) continue;
      const minutes = (result.kpis.timeOutsideLimitsS[v.signal] ?? 0) / 60;
      reasons.push(`${v.signal} ${v.bound === 'max' ? 'above' : 'below'} ${v.limit} after ${(v.firstAtS / 60).toFixed(0)} min${result.runs > 1 ? ` in ${Math.round(v.probability * 100)} % of runs` : ''} (${minutes.toFixed(1)} min outside, worst ${v.worst.toFixed(1)})`);
      // Scale: how far past the limit relative to it, plus how long, so a search can tell "nearly" from "far".
      violation += Math.abs(v.worst - v.limit) / Math.max(1, Math.abs(v.limit)) + minutes / 60 + v.probability;
    }
  }
  if (constraints.minRulAtEndH !== undefined && result.kpis.rulAtEndH < constraints.minRulAtEndH) {
    reasons.push(`remaining life at the end ${result.kpis.rulAtEndH.toFixed(1)} h, below the ${constraints.minRulAtEndH} h floor`);
    violation += (constraints.minRulAtEndH - result.kpis.rulAtEndH) / Math.max(1, constraints.minRulAtEndH);
  }
  if (constraints.maxTripProbability !== undefined && result.kpis.bearingTripProbability > constraints.maxTripProbability) {
    reasons.push(`the bearing trips within the horizon in ${Math.round(result.kpis.bearingTripProbability * 100)} % of runs, above ${Math.round(constraints.maxTripProbability * 100)} %`);
    violation += result.kpis.bearingTripProbability - constraints.maxTripProbability;
  }
  return { feasible: reasons.length === 0, reasons, violation };
}

/** The constraint with the least slack at a candidate, and its value there, for the trade-off curve. */
function bindingConstraint(o: Optimisation, settings: WhatIfSettings, best: Candidate | undefined): { name: string; value: (c: Candidate) => number } {
  const options: Array<{ name: string; slack: number; value: (c: Candidate) => number }> = [];
  const bearingLimit = settings.limits.find((l) => l.signal === 'bearingTemp' && l.max !== undefined)?.max;
  if (o.constraints.withinLimits && bearingLimit !== undefined) {
    options.push({ name: `peak bearingTemp (limit ${bearingLimit} °C)`, slack: best ? (bearingLimit - best.peakBearingTempC) / Math.max(1, Math.abs(bearingLimit)) : Infinity, value: (c) => c.peakBearingTempC });
  }
  if (o.constraints.minRulAtEndH !== undefined) {
    const floor = o.constraints.minRulAtEndH;
    options.push({ name: `remaining life at the end (floor ${floor} h)`, slack: best ? (best.rulAtEndH - floor) / Math.max(1, floor) : Infinity, value: (c) => c.rulAtEndH });
  }
  if (options.length === 0) return { name: 'peak bearingTemp', value: (c) => c.peakBearingTempC };
  options.sort((a, b) => a.slack - b.slack);
  return options[0]!;
}

/**
 * Searches the decision variables for the best feasible setting. `onProgress(done, total)` is called after each
 * evaluation. Every candidate uses the same seed, so candidates differ only by their values.
 */
export async function optimisePump(fork: PumpFork, o: Optimisation, settings: WhatIfSettings, objective: ObjectiveFunction, onProgress: (done: number, total: number) => void = () => undefined): Promise<Parsed<OptimisationOutcome>> {
  if (o.assetId !== fork.assetId) return { ok: false, reason: `the optimisation is for ${o.assetId}, not ${fork.assetId}` };
  const options = { horizonS: o.horizonS, stepS: o.stepS, runs: o.runs, seed: o.seed };
  const baseline = simulatePumpScenario(fork, undefined, settings, { name: 'baseline', ...options });
  if (!baseline.ok) return baseline;
  const sign = o.objective.direction === 'maximise' ? 1 : -1;
  const candidates = new Map<string, { candidate: Candidate; result: ScenarioResult }>();
  const grid = usesGrid(o.variables);
  const total = grid ? gridSize(o.variables) : o.maxEvaluations;

  const evaluate = async (values: Record<string, number>): Promise<Parsed<Candidate>> => {
    const key = JSON.stringify(values);
    const known = candidates.get(key);
    if (known) return { ok: true, value: known.candidate };
    const scenario: Scenario = { name: o.name, assetId: o.assetId, ...options, changes: applyValues(o.base, values) };
    const simulated = simulatePumpScenario(fork, scenario, settings, { name: o.name, ...options });
    if (!simulated.ok) return simulated;
    const value = Number(await objective(simulated.value.kpis));
    const check = checkConstraints(simulated.value, o.constraints);
    const candidate: Candidate = {
      values,
      objective: value,
      feasible: check.feasible && Number.isFinite(value),
      reasons: Number.isFinite(value) ? check.reasons : [...check.reasons, 'the objective is not a finite number here'],
      violation: check.violation,
      peakBearingTempC: simulated.value.kpis.peak.bearingTemp ?? NaN,
      rulAtEndH: simulated.value.kpis.rulAtEndH,
      minutesOutsideLimits: Object.values(simulated.value.kpis.timeOutsideLimitsS).reduce((a, b) => a + b, 0) / 60,
    };
    candidates.set(key, { candidate, result: simulated.value });
    onProgress(candidates.size, total);
    return { ok: true, value: candidate };
  };

  if (grid) {
    const axes = o.variables.map(axis);
    const first = axes[0]!;
    const second = axes[1] ?? [NaN];
    for (const a of first) {
      for (const b of second) {
        const values: Record<string, number> = { [o.variables[0]!.path]: a };
        if (o.variables[1]) values[o.variables[1].path] = b;
        const r = await evaluate(values);
        if (!r.ok) return r;
      }
    }
  } else {
    const r = await nelderMead(o, sign, evaluate);
    if (!r.ok) return r;
  }

  const all = [...candidates.values()];
  const feasible = all.filter((c) => c.candidate.feasible).sort((a, b) => sign * (b.candidate.objective - a.candidate.objective));
  const bestEntry = feasible[0];
  const binding = bindingConstraint(o, settings, bestEntry?.candidate);
  // The best setting against carrying on as now, in the words a scenario gets, so a page can say what it changes.
  const best = bestEntry ? { ...bestEntry.result, comparison: compareWithBaseline(bestEntry.result.kpis, baseline.value.kpis), values: bestEntry.candidate.values, objective: bestEntry.candidate.objective } : null;
  const ordered = all.map((c) => c.candidate).sort((a, b) => (Object.values(a.values)[0] ?? 0) - (Object.values(b.values)[0] ?? 0));
  return {
    ok: true,
    value: {
      assetId: o.assetId,
      name: o.name,
      method: grid ? 'grid' : 'nelder-mead',
      evaluations: candidates.size,
      best,
      baseline: baseline.value,
      tradeOff: { constraint: binding.name, points: ordered.map((c) => ({ values: c.values, objective: c.objective, constraintValue: binding.value(c), feasible: c.feasible })) },
      infeasible: ordered.filter((c) => !c.feasible).sort((a, b) => sign * (b.objective - a.objective)).slice(0, 20).map((c) => ({ values: c.values, reasons: c.reasons })),
      scenario: bestEntry ? { name: o.name, assetId: o.assetId, ...options, changes: applyValues(o.base, bestEntry.candidate.values) } : null,
    },
  };
}

/**
 * Nelder–Mead on the box, with restarts: seeded random samples of the box pick the starting point; each run starts a
 * simplex spanning a quarter of every range (then half that on each restart from the best point so far) and ends when
 * the simplex is smaller than the grid step (or a thousandth of the range); runs repeat until the evaluation budget
 * is spent. Points are clamped into the box and snapped onto the grid before they are evaluated. Infeasible points
 * rank below feasible ones by how far they break the constraints, so the simplex is pushed back into the feasible
 * region from wherever it strays.
 */
async function nelderMead(o: Optimisation, sign: number, evaluate: (values: Record<string, number>) => Promise<Parsed<Candidate>>): Promise<Parsed<void>> {
  try {
    return await searchBox(o, sign, evaluate);
  } catch (err) {
    // The budget ran out in the middle of a step: what was evaluated so far is the answer.
    if (err === BUDGET_SPENT) return { ok: true, value: undefined };
    throw err;
  }
}

/** Thrown when the evaluation budget runs out in the middle of a Nelder–Mead step; caught by nelderMead. */
const BUDGET_SPENT = new Error('evaluation budget spent');

async function searchBox(o: Optimisation, sign: number, evaluate: (values: Record<string, number>) => Promise<Parsed<Candidate>>): Promise<Parsed<void>> {
  const n = o.variables.length;
  const random = new SeededRandom(o.seed);
  const clamp = (x: number[]): number[] => x.map((value, j) => Math.min(o.variables[j]!.max, Math.max(o.variables[j]!.min, value)));
  const toValues = (x: number[]): Record<string, number> => Object.fromEntries(o.variables.map((v, i) => [v.path, snap(v, x[i]!)]));
  let evaluations = 0;
  // Nelder–Mead only compares merits, so feasibility can come first: every infeasible point ranks below every
  // feasible one, infeasible points by how far they break the constraints, feasible ones by the objective.
  const merit = async (raw: number[]): Promise<Parsed<{ x: number[]; f: number }>> => {
    if (evaluations >= o.maxEvaluations) throw BUDGET_SPENT;
    const x = clamp(raw);
    const c = await evaluate(toValues(x));
    if (!c.ok) return c;
    evaluations++;
    return { ok: true, value: { x, f: c.value.feasible ? sign * c.value.objective : -1e15 * (1 + c.value.violation) } };
  };

  let best: { x: number[]; f: number } | undefined;
  for (let i = 0; i < Math.max(1, Math.min(o.maxEvaluations >> 2, Math.max(10, 3 * n))); i++) {
    const sample = await merit(o.variables.map((v) => v.min + random.next() * (v.max - v.min)));
    if (!sample.ok) return sample;
    if (!best || sample.value.f > best.f) best = sample.value;
  }
  let size = 0.25;
  while (evaluations < o.maxEvaluations && best) {
    const simplex: Array<{ x: number[]; f: number }> = [best];
    for (let j = 0; j < n; j++) {
      const v = o.variables[j]!;
      const x = best.x.slice();
      // Step away from the nearer bound, so the simplex never starts flat against the box.
      x[j] = x[j]! + (x[j]! - v.min > v.max - x[j]! ? -1 : 1) * size * (v.max - v.min);
      const point = await merit(x);
      if (!point.ok) return point;
      simplex.push(point.value);
    }
    while (evaluations < o.maxEvaluations) {
      simplex.sort((a, b) => b.f - a.f);
      const worst = simplex[n]!;
      const centroid = o.variables.map((_, j) => simplex.slice(0, n).reduce((sum, p) => sum + p.x[j]!, 0) / n);
      const along = (t: number) => centroid.map((c, j) => c + t * (worst.x[j]! - c));
      const reflected = await merit(along(-1));
      if (!reflected.ok) return reflected;
      if (reflected.value.f > simplex[0]!.f) {
        const expanded = await merit(along(-2));
        if (!expanded.ok) return expanded;
        simplex[n] = expanded.value.f > reflected.value.f ? expanded.value : reflected.value;
      } else if (reflected.value.f > simplex[n - 1]!.f) {
        simplex[n] = reflected.value;
      } else {
        const contracted = await merit(reflected.value.f > worst.f ? along(-0.5) : along(0.5));
        if (!contracted.ok) return contracted;
        if (contracted.value.f > Math.max(reflected.value.f, worst.f)) simplex[n] = contracted.value;
        else {
          // Shrink towards the best point.
          for (let i = 1; i <= n; i++) {
            const shrunk = await merit(simplex[i]!.x.map((v, j) => simplex[0]!.x[j]! + 0.5 * (v - simplex[0]!.x[j]!)));
            if (!shrunk.ok) return shrunk;
            simplex[i] = shrunk.value;
          }
        }
      }
      const converged = o.variables.every((v, j) => {
        const xs = simplex.map((p) => p.x[j]!);
        return Math.max(...xs) - Math.min(...xs) < (v.step ?? (v.max - v.min) / 1000);
      });
      if (converged) break;
    }
    simplex.sort((a, b) => b.f - a.f);
    if (simplex[0]!.f > best.f) best = simplex[0]!;
    size /= 2;
    if (size < 1e-3) size = 0.25;
  }
  return { ok: true, value: undefined };
}
