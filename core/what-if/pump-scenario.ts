/**
 * What-if on a centrifugal pump: the twin's current state and calibrated parameters are forked, a scenario's changes
 * applied, and the pump simulated forward with the physics the simulator and the model use (centrifugal-pump.ts)
 * and the bearing wear law (bearing-wear.ts). Monte Carlo runs sample the parameters the twin knows only roughly.
 *
 * Pure: no clock, no I/O. The same request and seed always give the same result, on any machine.
 */
import { DEFAULT_PUMP, bearingLoss, operatingPoint, stepBearingTemperature, type PumpParameters } from '../centrifugal-pump.js';
import { PUMP_SIGNALS } from '../pump-simulator.js';
import { SeededRandom } from '../random.js';
import { quantileSorted } from '../rul/distribution.js';
import type { Parsed } from '../telemetry.js';
import { frictionGrowthRate, remainingLifeHours, type BearingWear } from './bearing-wear.js';
import type { Scenario } from './scenario.js';

/** Signals a pump scenario predicts, in the simulator's names and units. */
export const PUMP_SCENARIO_SIGNALS = ['speed', 'flow', 'pressure', 'bearingTemp', 'vibration', 'power', 'bearingFriction'] as const;
export type PumpScenarioSignal = (typeof PUMP_SCENARIO_SIGNALS)[number];

export const PUMP_SCENARIO_UNITS: Readonly<Record<PumpScenarioSignal, string>> = Object.freeze({ ...PUMP_SIGNALS, bearingFriction: '' });

/** What a scenario may set: the pump's speed setpoint, the ambient temperature, and any model parameter. */
export const PUMP_SETPOINTS = ['speed'] as const;
export const PUMP_CONDITIONS = ['ambientTemp'] as const;
const EXTRA_PARAMETERS = ['speedRampRpmPerS', 'frictionGrowthPerHour', 'wearDoublingK', 'bearingTempLimit'] as const;
export const PUMP_SCENARIO_PARAMETERS: readonly string[] = [...Object.keys(DEFAULT_PUMP), ...EXTRA_PARAMETERS];

/** The live twin of one pump at the moment of the fork: read-only input to every scenario. */
export interface PumpFork {
  assetId: string;
  /** Twin version and newest source timestamp at the fork, so a result says which state it started from. */
  version: number;
  ts: number;
  speedRpm: number;
  /** The speed setpoint the drive holds or is heading to: the baseline holds it, and a scenario's speed is compared with it. */
  setpointRpm: number;
  bearingTempC: number;
  /** Calibrated parameters: defaults with the twin's estimates (e.g. bearing friction from twin-model). */
  parameters: PumpParameters;
  wear: BearingWear;
  /** How fast the drive follows a new setpoint (rpm/s). */
  rampRpmPerS: number;
}

/** An operating limit a KPI counts time outside of (from the node's settings or the twin definition's ranges). */
export interface SignalLimit {
  signal: string;
  min?: number;
  max?: number;
}

/** How uncertain the twin's knowledge is: standard deviations the Monte Carlo runs sample from. */
export interface Uncertainty {
  /** Bearing friction, relative (0.05 = 5 %). */
  friction: number;
  /** Wear rate, relative. */
  wear: number;
  /** Bearing thermal resistance, relative. */
  thermalResistance: number;
  /** Ambient temperature: offset for the run (K) and its drift per √hour during the run (K/√h). */
  ambientK: number;
}

export const DEFAULT_UNCERTAINTY: Readonly<Uncertainty> = Object.freeze({ friction: 0.05, wear: 0.2, thermalResistance: 0.05, ambientK: 1 });

export interface WhatIfSettings {
  limits: SignalLimit[];
  /** Longest trajectory sent out per signal (points); the simulation itself runs every step. */
  maxPoints: number;
  uncertainty: Uncertainty;
}

export interface Violation {
  signal: string;
  bound: 'min' | 'max';
  limit: number;
  /** Seconds after the start at which the limit is first crossed (median over the runs that cross it). */
  firstAtS: number;
  /** Furthest value beyond the limit (median over those runs). */
  worst: number;
  /** Share of runs that cross it (1 for a single run). */
  probability: number;
}

/** Key figures of one scenario (medians over the runs). */
export interface Kpis {
  /** Electrical energy over the horizon (kWh). */
  energyKwh: number;
  /** Water pumped over the horizon (m³). */
  throughputM3: number;
  /** Specific energy (kWh/m³); null when nothing was pumped. */
  energyPerM3: number | null;
  /** Highest and final value of each signal. */
  peak: Record<string, number>;
  atEnd: Record<string, number>;
  /** Seconds each limited signal spent outside its limits. */
  timeOutsideLimitsS: Record<string, number>;
  /** Remaining useful life of the bearing at the end of the horizon, holding the final conditions (h). */
  rulAtEndH: number;
  /** When the bearing reaches its trip temperature within the horizon (s; median over the runs where it does), or null. */
  bearingTripAtS: number | null;
  /** Share of runs in which the bearing trips within the horizon. */
  bearingTripProbability: number;
  /** Share of runs in which any signal crosses any of its limits within the horizon (0 without limits). */
  limitCrossingProbability: number;
}

export interface ScenarioResult {
  name: string;
  assetId: string;
  /** Marks what-if traffic: twin-actuator refuses it and twin-state never ingests it. */
  scenario: true;
  horizonS: number;
  stepS: number;
  runs: number;
  seed: number;
  changes: Scenario['changes'];
  /** Seconds after the start of each trajectory point. */
  t: number[];
  /** Each signal's trajectory (the median over runs). */
  trajectories: Record<string, number[]>;
  /** 5 % and 95 % quantiles over the runs, when runs > 1. */
  bands?: Record<string, { p5: number[]; p95: number[] }>;
  kpis: Kpis;
  /** 5–95 % range of the scalar KPIs over the runs, when runs > 1. */
  kpiBands?: Record<string, [number, number]>;
  violations: Violation[];
  /** Against the baseline (the same settings and seed, with no change). */
  comparison?: Comparison;
}

export interface Comparison {
  differences: { energyKwh: number; throughputM3: number; energyPerM3: number | null; peakBearingTempC: number; rulAtEndH: number; timeOutsideLimitsS: number };
  /** The differences in words, biggest consequences first. */
  statements: string[];
}

/** A scenario turned into what the simulation loop reads: checked names, merged parameters, a setpoint schedule. */
interface RunPlan {
  steps: number;
  stepS: number;
  parameters: PumpParameters;
  wear: BearingWear;
  rampRpmPerS: number;
  startSpeed: number;
  startTemp: number;
  /** Speed setpoint and ambient temperature per schedule segment, from `fromStep` on. */
  schedule: Array<{ fromStep: number; setpoint: number; ambient: number }>;
  limits: SignalLimit[];
  recordAt: Int32Array;
}

/** Names a scenario may use, checked before anything runs. */
function checkNames(record: Record<string, number>, allowed: readonly string[], what: string): string | undefined {
  for (const name of Object.keys(record)) {
    if (!allowed.includes(name)) return `${what} "${name}" is not known to the pump model (it knows ${allowed.join(', ')})`;
  }
  return undefined;
}

/** Step indices whose state goes into the trajectories: the start, every stride-th step and the last. */
function recordSteps(steps: number, maxPoints: number): Int32Array {
  const stride = Math.max(1, Math.ceil(steps / Math.max(1, maxPoints - 1)));
  const at: number[] = [];
  for (let i = 0; i <= steps; i += stride) at.push(i);
  if (at[at.length - 1] !== steps) at.push(steps);
  return Int32Array.from(at);
}

function plan(fork: PumpFork, scenario: Scenario | undefined, settings: WhatIfSettings, horizonS: number, stepS: number): Parsed<RunPlan> {
  const changes = scenario?.changes ?? { setpoints: {}, conditions: {}, parameters: {}, profile: [] };
  const problem =
    checkNames(changes.setpoints, PUMP_SETPOINTS, 'setpoint') ??
    checkNames(changes.conditions, PUMP_CONDITIONS, 'condition') ??
    checkNames(changes.parameters, PUMP_SCENARIO_PARAMETERS, 'parameter') ??
    changes.profile.map((s, i) => checkNames(s.setpoints, PUMP_SETPOINTS, `profile[${i}] setpoint`) ?? checkNames(s.conditions, PUMP_CONDITIONS, `profile[${i}] condition`)).find((p) => p !== undefined);
  if (problem) return { ok: false, reason: problem };

  const { speedRampRpmPerS, frictionGrowthPerHour, wearDoublingK, bearingTempLimit, ...pumpOverrides } = changes.parameters;
  const parameters: PumpParameters = { ...fork.parameters, ...pumpOverrides };
  for (const [name, value] of Object.entries(pumpOverrides)) {
    if (!(value > 0) && name !== 'ambientTempC' && name !== 'staticHeadM') return { ok: false, reason: `parameter ${name} must be greater than 0, got ${value}` };
  }
  const wear: BearingWear = {
    ...fork.wear,
    ...(frictionGrowthPerHour !== undefined ? { growthPerHour: frictionGrowthPerHour } : {}),
    ...(wearDoublingK !== undefined ? { doublingK: wearDoublingK } : {}),
    ...(bearingTempLimit !== undefined ? { limitC: bearingTempLimit } : {}),
  };
  if (!(wear.growthPerHour >= 0) || !(wear.doublingK > 0)) return { ok: false, reason: 'frictionGrowthPerHour must be ≥ 0 and wearDoublingK > 0' };
  const rampRpmPerS = speedRampRpmPerS ?? fork.rampRpmPerS;
  if (!(rampRpmPerS > 0)) return { ok: false, reason: `speedRampRpmPerS must be greater than 0, got ${rampRpmPerS}` };

  const steps = Math.max(1, Math.round(horizonS / stepS));
  let setpoint = changes.setpoints.speed ?? fork.setpointRpm;
  let ambient = changes.conditions.ambientTemp ?? parameters.ambientTempC;
  if (setpoint < 0) return { ok: false, reason: `the speed setpoint must be ≥ 0, got ${setpoint}` };
  const schedule = [{ fromStep: 0, setpoint, ambient }];
  for (const entry of changes.profile) {
    setpoint = entry.setpoints.speed ?? setpoint;
    ambient = entry.conditions.ambientTemp ?? ambient;
    if (setpoint < 0) return { ok: false, reason: `the speed setpoint must be ≥ 0, got ${setpoint}` };
    // A value that holds "from t" first acts on the step that ends after t.
    schedule.push({ fromStep: Math.min(steps, Math.floor(entry.at / stepS)), setpoint, ambient });
  }
  return {
    ok: true,
    value: {
      steps,
      stepS,
      parameters,
      wear,
      rampRpmPerS,
      startSpeed: fork.speedRpm,
      startTemp: fork.bearingTempC,
      schedule,
      limits: settings.limits,
      recordAt: recordSteps(steps, settings.maxPoints),
    },
  };
}

/** One sampled set of uncertain quantities; run 0 is always the nominal one. */
interface Sample {
  friction: number;
  wear: number;
  thermalResistance: number;
  ambientOffset: number;
  /** Ambient drift per step (K), one standard deviation. */
  ambientDriftPerStep: number;
}

function drawSample(run: number, random: SeededRandom, u: Uncertainty, stepS: number): Sample {
  if (run === 0) return { friction: 1, wear: 1, thermalResistance: 1, ambientOffset: 0, ambientDriftPerStep: 0 };
  // Log-normal factors keep friction and wear positive however wide the uncertainty.
  return {
    friction: Math.exp(u.friction * random.gaussian()),
    wear: Math.exp(u.wear * random.gaussian()),
    thermalResistance: Math.max(0.1, 1 + u.thermalResistance * random.gaussian()),
    ambientOffset: u.ambientK * random.gaussian(),
    ambientDriftPerStep: u.ambientK * Math.sqrt(stepS / 3600),
  };
}

/** Per-run figures before the runs are summarised. */
interface RunOutcome {
  energyKwh: number;
  throughputM3: number;
  peak: Float64Array;
  atEnd: Float64Array;
  outside: Float64Array;
  /** Per limit (signal × bound): first crossing (s) or NaN, and the worst value. */
  firstCross: Float64Array;
  worst: Float64Array;
  rulAtEndH: number;
  /** First time the bearing reached its trip temperature (s), or NaN. */
  tripAtS: number;
}

const SIGNAL_COUNT = PUMP_SCENARIO_SIGNALS.length;

/**
 * Simulates one run: the drive ramps towards the scheduled setpoint, the operating point follows the affinity laws,
 * the bearing warms with its first-order lag and wears by the wear law; values at `recordAt` go into `out`
 * (signal-major: out[s][run·points + k]).
 */
function simulateRun(p: RunPlan, sample: Sample, random: SeededRandom, run: number, out: Float64Array[], limitIndex: Int32Array, limitBounds: Float64Array): RunOutcome {
  const params: PumpParameters = {
    ...p.parameters,
    bearingFriction: p.parameters.bearingFriction * sample.friction,
    bearingThermalResistance: p.parameters.bearingThermalResistance * sample.thermalResistance,
  };
  const wear: BearingWear = { ...p.wear, growthPerHour: p.wear.growthPerHour * sample.wear };
  const points = p.recordAt.length;
  const peak = new Float64Array(SIGNAL_COUNT).fill(-Infinity);
  const atEnd = new Float64Array(SIGNAL_COUNT);
  const limits = limitIndex.length;
  const outside = new Float64Array(limits);
  const firstCross = new Float64Array(limits).fill(NaN);
  const worst = new Float64Array(limits).fill(NaN);
  const values = new Float64Array(SIGNAL_COUNT);
  const dtHours = p.stepS / 3600;
  const maxChange = p.rampRpmPerS * p.stepS;

  let speed = p.startSpeed;
  let temp = p.startTemp;
  let drift = 0;
  let segment = 0;
  let nextRecord = 0;
  let energy = 0;
  let throughput = 0;
  let tripAtS = NaN;

  for (let i = 0; i <= p.steps; i++) {
    if (i > 0) {
      while (segment + 1 < p.schedule.length && p.schedule[segment + 1]!.fromStep <= i - 1) segment++;
      const plan = p.schedule[segment]!;
      if (sample.ambientDriftPerStep > 0) drift += sample.ambientDriftPerStep * random.gaussian();
      params.ambientTempC = plan.ambient + sample.ambientOffset + drift;
      const error = plan.setpoint - speed;
      speed += Math.abs(error) <= maxChange ? error : Math.sign(error) * maxChange;
      // Wear over the step at the temperature the bearing starts it with (explicit Euler: steps are far shorter
      // than the hours over which friction changes noticeably).
      const growth = frictionGrowthRate(params, wear, speed, temp);
      temp = stepBearingTemperature(params, temp, bearingLoss(params, speed), p.stepS);
      params.bearingFriction += growth * dtHours;
    } else {
      params.ambientTempC = p.schedule[0]!.ambient + sample.ambientOffset;
    }
    const op = operatingPoint(params, speed);
    values[0] = speed;
    values[1] = op.flowM3h;
    values[2] = op.pressureBar;
    values[3] = temp;
    values[4] = op.vibrationMmS;
    values[5] = op.motorPowerKw;
    values[6] = params.bearingFriction;
    if (Number.isNaN(tripAtS) && temp >= wear.limitC) tripAtS = i * p.stepS;
    if (i > 0) {
      energy += op.motorPowerKw * dtHours;
      throughput += op.flowM3h * dtHours;
    }
    for (let s = 0; s < SIGNAL_COUNT; s++) if (values[s]! > peak[s]!) peak[s] = values[s]!;
    for (let l = 0; l < limits; l++) {
      const v = values[limitIndex[l]!]!;
      const bound = limitBounds[l]!;
      // Even entries are maxima, odd entries minima (see limitTable).
      const beyond = l % 2 === 0 ? v > bound : v < bound;
      if (!beyond) continue;
      if (i > 0) outside[l]! += p.stepS;
      if (Number.isNaN(firstCross[l]!)) firstCross[l] = i * p.stepS;
      if (Number.isNaN(worst[l]!) || (l % 2 === 0 ? v > worst[l]! : v < worst[l]!)) worst[l] = v;
    }
    if (nextRecord < points && p.recordAt[nextRecord] === i) {
      for (let s = 0; s < SIGNAL_COUNT; s++) out[s]![run * points + nextRecord] = values[s]!;
      nextRecord++;
    }
    if (i === p.steps) atEnd.set(values);
  }
  // Beyond the horizon: held at the final setpoint and ambient temperature.
  const last = p.schedule[p.schedule.length - 1]!;
  const rulAtEndH = remainingLifeHours({ ...params, ambientTempC: last.ambient + sample.ambientOffset + drift }, wear, last.setpoint, params.bearingFriction);
  return { energyKwh: energy, throughputM3: throughput, peak, atEnd, outside, firstCross, worst, rulAtEndH, tripAtS };
}

/** Limits as parallel arrays the loop reads fast: entry 2k is signal k's maximum, 2k+1 its minimum. */
function limitTable(limits: SignalLimit[]): { index: Int32Array; bounds: Float64Array; names: Array<{ signal: string; bound: 'max' | 'min' }> } {
  const index: number[] = [];
  const bounds: number[] = [];
  const names: Array<{ signal: string; bound: 'max' | 'min' }> = [];
  for (const limit of limits) {
    const s = (PUMP_SCENARIO_SIGNALS as readonly string[]).indexOf(limit.signal);
    if (s < 0) continue;
    index.push(s, s);
    bounds.push(limit.max ?? Infinity, limit.min ?? -Infinity);
    names.push({ signal: limit.signal, bound: 'max' }, { signal: limit.signal, bound: 'min' });
  }
  return { index: Int32Array.from(index), bounds: Float64Array.from(bounds), names };
}

function median(values: number[]): number {
  return quantileSorted(values.slice().sort((a, b) => a - b), 0.5);
}

function band(values: number[]): [number, number] {
  const sorted = values.slice().sort((a, b) => a - b);
  return [quantileSorted(sorted, 0.05), quantileSorted(sorted, 0.95)];
}

/**
 * Simulates one scenario (or the baseline, `scenario` undefined) from the fork: `runs` Monte Carlo runs with the
 * same seed-driven samples, summarised as median trajectories with 5–95 % bands and KPIs.
 */
export function simulatePumpScenario(fork: PumpFork, scenario: Scenario | undefined, settings: WhatIfSettings, options: { name: string; horizonS: number; stepS: number; runs: number; seed: number }): Parsed<ScenarioResult> {
  const planned = plan(fork, scenario, settings, options.horizonS, options.stepS);
  if (!planned.ok) return { ok: false, reason: scenario ? `scenario "${scenario.name}": ${planned.reason}` : planned.reason };
  const p = planned.value;
  const runs = options.runs;
  const points = p.recordAt.length;
  const out = PUMP_SCENARIO_SIGNALS.map(() => new Float64Array(runs * points));
  const table = limitTable(p.limits);
  const random = new SeededRandom(options.seed);
  const outcomes: RunOutcome[] = [];
  for (let run = 0; run < runs; run++) {
    const sample = drawSample(run, random, settings.uncertainty, p.stepS);
    outcomes.push(simulateRun(p, sample, random, run, out, table.index, table.bounds));
  }

  const t = Array.from(p.recordAt, (i) => i * p.stepS);
  const trajectories: Record<string, number[]> = {};
  const bands: Record<string, { p5: number[]; p95: number[] }> = {};
  const column = new Float64Array(runs);
  for (const [s, signal] of PUMP_SCENARIO_SIGNALS.entries()) {
    const series = out[s]!;
    if (runs === 1) {
      trajectories[signal] = Array.from(series);
      continue;
    }
    const mid: number[] = [];
    const lo: number[] = [];
    const hi: number[] = [];
    for (let k = 0; k < points; k++) {
      for (let r = 0; r < runs; r++) column[r] = series[r * points + k]!;
      column.sort();
      lo.push(quantileSorted(column, 0.05));
      mid.push(quantileSorted(column, 0.5));
      hi.push(quantileSorted(column, 0.95));
    }
    trajectories[signal] = mid;
    bands[signal] = { p5: lo, p95: hi };
  }

  const energy = outcomes.map((o) => o.energyKwh);
  const throughput = outcomes.map((o) => o.throughputM3);
  const specific = outcomes.map((o) => (o.throughputM3 > 0 ? o.energyKwh / o.throughputM3 : NaN)).filter((v) => Number.isFinite(v));
  const rul = outcomes.map((o) => o.rulAtEndH);
  const peak: Record<string, number> = {};
  const atEnd: Record<string, number> = {};
  for (const [s, signal] of PUMP_SCENARIO_SIGNALS.entries()) {
    peak[signal] = median(outcomes.map((o) => o.peak[s]!));
    atEnd[signal] = median(outcomes.map((o) => o.atEnd[s]!));
  }
  const timeOutsideLimitsS: Record<string, number> = {};
  const violations: Violation[] = [];
  for (const [l, { signal, bound }] of table.names.entries()) {
    if (!Number.isFinite(table.bounds[l]!)) continue;
    timeOutsideLimitsS[signal] = (timeOutsideLimitsS[signal] ?? 0) + median(outcomes.map((o) => o.outside[l]!));
    const crossing = outcomes.filter((o) => !Number.isNaN(o.firstCross[l]!));
    if (crossing.length === 0) continue;
    violations.push({
      signal,
      bound,
      limit: table.bounds[l]!,
      firstAtS: median(crossing.map((o) => o.firstCross[l]!)),
      worst: median(crossing.map((o) => o.worst[l]!)),
      probability: crossing.length / runs,
    });
  }
  violations.sort((a, b) => a.firstAtS - b.firstAtS);
  // Per run, not from the violations' probabilities: two limits crossed in 40 % of runs each may be the same runs.
  const crossingRuns = outcomes.filter((o) => table.names.some((_, l) => Number.isFinite(table.bounds[l]!) && !Number.isNaN(o.firstCross[l]!))).length;
  const trips = outcomes.map((o) => o.tripAtS).filter((v) => !Number.isNaN(v));
  const kpis: Kpis = {
    energyKwh: median(energy),
    throughputM3: median(throughput),
    energyPerM3: specific.length > 0 ? median(specific) : null,
    peak,
    atEnd,
    timeOutsideLimitsS,
    rulAtEndH: median(rul),
    bearingTripAtS: trips.length > 0 ? median(trips) : null,
    bearingTripProbability: trips.length / runs,
    limitCrossingProbability: crossingRuns / runs,
  };
  const result: ScenarioResult = {
    name: options.name,
    assetId: fork.assetId,
    scenario: true,
    horizonS: p.steps * p.stepS,
    stepS: p.stepS,
    runs,
    seed: options.seed,
    changes: scenario?.changes ?? { setpoints: {}, conditions: {}, parameters: {}, profile: [] },
    t,
    trajectories,
    kpis,
    violations,
  };
  if (runs > 1) {
    result.bands = bands;
    result.kpiBands = {
      energyKwh: band(energy),
      throughputM3: band(throughput),
      rulAtEndH: band(rul),
      peakBearingTempC: band(outcomes.map((o) => o.peak[3]!)),
      ...(specific.length > 0 ? { energyPerM3: band(specific) } : {}),
    };
  }
  return { ok: true, value: result };
}

function totalOutside(k: Kpis): number {
  return Object.values(k.timeOutsideLimitsS).reduce((a, b) => a + b, 0);
}

function signed(value: number, digits: number): string {
  const text = Math.abs(value).toFixed(digits);
  return value >= 0 ? `+${text}` : `−${text}`;
}

function percent(delta: number, base: number): string {
  return base !== 0 && Number.isFinite(base) ? ` (${signed((100 * delta) / Math.abs(base), 0)} %)` : '';
}

/** Differences of a scenario from the baseline, as numbers and as sentences an operator reads. */
export function compareWithBaseline(scenario: Kpis, baseline: Kpis): Comparison {
  const differences: Comparison['differences'] = {
    energyKwh: scenario.energyKwh - baseline.energyKwh,
    throughputM3: scenario.throughputM3 - baseline.throughputM3,
    energyPerM3: scenario.energyPerM3 !== null && baseline.energyPerM3 !== null ? scenario.energyPerM3 - baseline.energyPerM3 : null,
    peakBearingTempC: (scenario.peak.bearingTemp ?? NaN) - (baseline.peak.bearingTemp ?? NaN),
    rulAtEndH: scenario.rulAtEndH - baseline.rulAtEndH,
    timeOutsideLimitsS: totalOutside(scenario) - totalOutside(baseline),
  };
  const statements: string[] = [];
  const d = differences;
  if (scenario.bearingTripAtS !== null && scenario.bearingTripProbability > baseline.bearingTripProbability) {
    const share = scenario.bearingTripProbability < 1 ? ` in ${Math.round(scenario.bearingTripProbability * 100)} % of runs` : '';
    statements.push(`the bearing reaches its trip temperature after ${(scenario.bearingTripAtS / 60).toFixed(0)} min${share}`);
  }
  if (Math.abs(d.rulAtEndH) >= 0.05) {
    statements.push(`remaining bearing life at the end ${Math.abs(d.rulAtEndH).toFixed(1)} h ${d.rulAtEndH < 0 ? 'shorter' : 'longer'}${percent(d.rulAtEndH, baseline.rulAtEndH)}: ${scenario.rulAtEndH.toFixed(1)} h instead of ${baseline.rulAtEndH.toFixed(1)} h`);
  }
  if (Math.abs(d.peakBearingTempC) >= 0.05) {
    statements.push(`bearing temperature peaks at ${(scenario.peak.bearingTemp ?? NaN).toFixed(1)} °C, ${Math.abs(d.peakBearingTempC).toFixed(1)} K ${d.peakBearingTempC > 0 ? 'hotter' : 'cooler'} than the baseline`);
  }
  if (d.timeOutsideLimitsS !== 0) {
    statements.push(`${Math.abs(d.timeOutsideLimitsS / 60).toFixed(1)} min ${d.timeOutsideLimitsS > 0 ? 'more' : 'less'} outside the operating limits`);
  }
  if (Math.abs(d.throughputM3) >= 0.05) statements.push(`throughput ${signed(d.throughputM3, 1)} m³${percent(d.throughputM3, baseline.throughputM3)}`);
  if (Math.abs(d.energyKwh) >= 0.05) statements.push(`energy ${signed(d.energyKwh, 1)} kWh${percent(d.energyKwh, baseline.energyKwh)}`);
  if (d.energyPerM3 !== null && Math.abs(d.energyPerM3) >= 0.0005) statements.push(`specific energy ${signed(d.energyPerM3, 3)} kWh/m³${percent(d.energyPerM3, baseline.energyPerM3 ?? NaN)}`);
  if (statements.length === 0) statements.push('no difference from the baseline');
  return { differences, statements };
}
