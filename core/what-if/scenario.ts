/**
 * A what-if scenario as a flow sends it, checked once at the door so the simulation never sees a bad value:
 *
 *   { name, assetId, horizon, step, runs, seed,
 *     changes: { setpoints: { speed: 1600 }, conditions: { ambientTemp: 35 },
 *                parameters: { bearingThermalResistance: 1.0 },
 *                profile: [{ at: "30 min", setpoints: { speed: 1200 }, conditions: { ambientTemp: 30 } }] } }
 *
 * Durations are seconds, or text with a unit ("90 s", "30 min", "2 h", "1 d"). Which setpoints, conditions and
 * parameters exist is the model's business (pump-scenario.ts); this file checks shapes and sizes.
 */
import type { Parsed } from '../telemetry.js';

export interface ScenarioStep {
  /** Seconds after the start of the scenario from which these values hold. */
  at: number;
  setpoints: Record<string, number>;
  conditions: Record<string, number>;
}

export interface ScenarioChanges {
  /** New setpoints from the start (e.g. `{ speed: 1600 }`). */
  setpoints: Record<string, number>;
  /** New operating conditions from the start (e.g. `{ ambientTemp: 35 }`). */
  conditions: Record<string, number>;
  /** Model parameters overridden for the whole scenario (e.g. a firmware ramp rate, a better cooler). */
  parameters: Record<string, number>;
  /** Values that change over time, sorted by `at`: a load or temperature profile. */
  profile: ScenarioStep[];
}

export interface Scenario {
  name: string;
  assetId: string;
  /** Simulated time (s). */
  horizonS: number;
  /** Simulation step (s). */
  stepS: number;
  /** Monte Carlo runs; 1 runs the nominal parameters only. */
  runs: number;
  /** Seed of the Monte Carlo samples: the same seed gives the same result. */
  seed: number;
  changes: ScenarioChanges;
}

export interface ScenarioDefaults {
  assetId?: string;
  horizonS: number;
  stepS: number;
  runs: number;
  seed: number;
}

/** Sizes a scenario may not exceed, so one message cannot hold the runtime for minutes or exhaust its memory. */
export const SCENARIO_LIMITS = Object.freeze({
  scenariosPerMessage: 20,
  runs: 10_000,
  stepsPerRun: 1_000_000,
  /** runs × steps summed over the scenarios of one message (≈ 10 s of simulation on one core). */
  totalSteps: 20_000_000,
  profileSteps: 1000,
  nameLength: 200,
});

const UNIT_SECONDS: Record<string, number> = { ms: 0.001, s: 1, sec: 1, min: 60, m: 60, h: 3600, hr: 3600, d: 86400 };

/**
 * Seconds from a number (seconds) or a text such as "90 s", "30 min", "1.5 h", "2 d".
 * @example parseDuration("30 min") // { ok: true, value: 1800 }
 */
export function parseDuration(raw: unknown, what: string): Parsed<number> {
  if (typeof raw === 'number') {
    return Number.isFinite(raw) && raw > 0 ? { ok: true, value: raw } : { ok: false, reason: `${what} must be a positive number of seconds, got ${String(raw)}` };
  }
  if (typeof raw === 'string') {
    const m = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(raw);
    const factor = m ? (m[2] === '' ? 1 : UNIT_SECONDS[m[2]!.toLowerCase()]) : undefined;
    if (m && factor !== undefined && Number(m[1]) > 0) return { ok: true, value: Number(m[1]) * factor };
  }
  return { ok: false, reason: `${what} must be seconds or a duration such as "30 min" or "2 h", got ${JSON.stringify(raw)}` };
}

function numberRecord(raw: unknown, what: string): Parsed<Record<string, number>> {
  if (raw === undefined) return { ok: true, value: {} };
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return { ok: false, reason: `${what} must be an object of numbers, e.g. { "speed": 1600 }` };
  const out: Record<string, number> = {};
  for (const [name, value] of Object.entries(raw)) {
    if (typeof value !== 'number' || !Number.isFinite(value)) return { ok: false, reason: `${what}.${name} must be a finite number, got ${JSON.stringify(value)}` };
    out[name] = value;
  }
  return { ok: true, value: out };
}

function parseProfile(raw: unknown, horizonS: number): Parsed<ScenarioStep[]> {
  if (raw === undefined) return { ok: true, value: [] };
  if (!Array.isArray(raw)) return { ok: false, reason: 'changes.profile must be an array of { at, setpoints?, conditions? }' };
  if (raw.length > SCENARIO_LIMITS.profileSteps) return { ok: false, reason: `changes.profile has ${raw.length} steps; at most ${SCENARIO_LIMITS.profileSteps} are allowed` };
  const steps: ScenarioStep[] = [];
  for (const [i, item] of raw.entries()) {
    if (typeof item !== 'object' || item === null) return { ok: false, reason: `changes.profile[${i}] must be an object { at, setpoints?, conditions? }` };
    const entry = item as Record<string, unknown>;
    // "at: 0" is a valid start of a profile, which parseDuration (positive durations) would refuse.
    const at = entry.at === 0 ? { ok: true as const, value: 0 } : parseDuration(entry.at, `changes.profile[${i}].at`);
    if (!at.ok) return at;
    if (at.value > horizonS) return { ok: false, reason: `changes.profile[${i}].at (${at.value} s) is after the horizon (${horizonS} s)` };
    const setpoints = numberRecord(entry.setpoints, `changes.profile[${i}].setpoints`);
    if (!setpoints.ok) return setpoints;
    const conditions = numberRecord(entry.conditions, `changes.profile[${i}].conditions`);
    if (!conditions.ok) return conditions;
    steps.push({ at: at.value, setpoints: setpoints.value, conditions: conditions.value });
  }
  return { ok: true, value: steps.sort((a, b) => a.at - b.at) };
}

const CHANGE_KEYS = new Set(['setpoints', 'conditions', 'parameters', 'profile']);

/** One scenario from a message, with the node's defaults for what it leaves out. */
export function parseScenario(raw: unknown, defaults: ScenarioDefaults, index = 0): Parsed<Scenario> {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return { ok: false, reason: 'a scenario must be an object { name, assetId, horizon, step, runs, changes }' };
  const input = raw as Record<string, unknown>;
  const name = input.name === undefined ? `scenario ${index + 1}` : input.name;
  if (typeof name !== 'string' || name.trim() === '' || name.length > SCENARIO_LIMITS.nameLength) return { ok: false, reason: `scenario name must be a text of 1–${SCENARIO_LIMITS.nameLength} characters` };
  const assetId = input.assetId ?? defaults.assetId;
  if (typeof assetId !== 'string' || assetId === '') return { ok: false, reason: `scenario "${name}" needs an assetId` };
  const horizon = input.horizon === undefined ? { ok: true as const, value: defaults.horizonS } : parseDuration(input.horizon, `scenario "${name}": horizon`);
  if (!horizon.ok) return horizon;
  const step = input.step === undefined ? { ok: true as const, value: defaults.stepS } : parseDuration(input.step, `scenario "${name}": step`);
  if (!step.ok) return step;
  if (step.value > horizon.value) return { ok: false, reason: `scenario "${name}": the step (${step.value} s) is longer than the horizon (${horizon.value} s)` };
  const steps = Math.round(horizon.value / step.value);
  if (steps > SCENARIO_LIMITS.stepsPerRun) return { ok: false, reason: `scenario "${name}": ${steps} steps per run is too many (at most ${SCENARIO_LIMITS.stepsPerRun}); take a longer step` };
  const runs = input.runs ?? defaults.runs;
  if (typeof runs !== 'number' || !Number.isInteger(runs) || runs < 1 || runs > SCENARIO_LIMITS.runs) return { ok: false, reason: `scenario "${name}": runs must be a whole number from 1 to ${SCENARIO_LIMITS.runs}, got ${JSON.stringify(runs)}` };
  const seed = input.seed ?? defaults.seed;
  if (typeof seed !== 'number' || !Number.isInteger(seed)) return { ok: false, reason: `scenario "${name}": seed must be a whole number` };

  const changesRaw = input.changes ?? {};
  if (typeof changesRaw !== 'object' || changesRaw === null || Array.isArray(changesRaw)) return { ok: false, reason: `scenario "${name}": changes must be an object { setpoints, conditions, parameters, profile }` };
  for (const key of Object.keys(changesRaw)) {
    if (!CHANGE_KEYS.has(key)) return { ok: false, reason: `scenario "${name}": changes.${key} is not one of setpoints, conditions, parameters or profile` };
  }
  const c = changesRaw as Record<string, unknown>;
  const setpoints = numberRecord(c.setpoints, `scenario "${name}": changes.setpoints`);
  if (!setpoints.ok) return setpoints;
  const conditions = numberRecord(c.conditions, `scenario "${name}": changes.conditions`);
  if (!conditions.ok) return conditions;
  const parameters = numberRecord(c.parameters, `scenario "${name}": changes.parameters`);
  if (!parameters.ok) return parameters;
  const profile = parseProfile(c.profile, horizon.value);
  if (!profile.ok) return { ok: false, reason: `scenario "${name}": ${profile.reason}` };
  return {
    ok: true,
    value: {
      name: name.trim(),
      assetId,
      horizonS: horizon.value,
      stepS: step.value,
      runs,
      seed,
      changes: { setpoints: setpoints.value, conditions: conditions.value, parameters: parameters.value, profile: profile.value },
    },
  };
}

/**
 * The scenarios of one message: one object, an array of them, or `{ scenarios: [...] }` (with shared settings such as
 * the asset beside them). Names must be unique within a message, and their total work stays within the limits.
 */
export function parseScenarios(raw: unknown, defaults: ScenarioDefaults): Parsed<Scenario[]> {
  let items: unknown[];
  if (Array.isArray(raw)) items = raw;
  else if (typeof raw === 'object' && raw !== null && Array.isArray((raw as Record<string, unknown>).scenarios)) {
    const { scenarios, ...shared } = raw as Record<string, unknown>;
    items = (scenarios as unknown[]).map((s) => (typeof s === 'object' && s !== null && !Array.isArray(s) ? { ...shared, ...s } : s));
  } else items = [raw];
  if (items.length === 0) return { ok: false, reason: 'no scenario in the message' };
  if (items.length > SCENARIO_LIMITS.scenariosPerMessage) return { ok: false, reason: `${items.length} scenarios in one message; at most ${SCENARIO_LIMITS.scenariosPerMessage} are allowed` };
  const scenarios: Scenario[] = [];
  const names = new Set<string>();
  let work = 0;
  for (const [i, item] of items.entries()) {
    const parsed = parseScenario(item, defaults, i);
    if (!parsed.ok) return parsed;
    if (names.has(parsed.value.name)) return { ok: false, reason: `two scenarios are named "${parsed.value.name}"` };
    names.add(parsed.value.name);
    work += parsed.value.runs * Math.round(parsed.value.horizonS / parsed.value.stepS);
    scenarios.push(parsed.value);
  }
  if (work > SCENARIO_LIMITS.totalSteps) {
    return { ok: false, reason: `the scenarios ask for ${work.toLocaleString('en')} simulation steps (runs × steps); at most ${SCENARIO_LIMITS.totalSteps.toLocaleString('en')} per message: fewer runs or a longer step` };
  }
  return { ok: true, value: scenarios };
}
