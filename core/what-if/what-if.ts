/**
 * What-if for one asset: fork the twin (read-only), run the baseline and every scenario of a message from the same
 * state with the same seed (common random numbers, so differences come from the change, not from sampling luck),
 * compare, and tabulate.
 */
import { DEFAULT_PUMP, type PumpParameters } from '../centrifugal-pump.js';
import type { Parsed } from '../telemetry.js';
import { isCurrentReading, type AssetSnapshot } from '../twin-store.js';
import type { BearingWear } from './bearing-wear.js';
import { remainingLifeHours } from './bearing-wear.js';
import type { Scenario } from './scenario.js';
import { compareWithBaseline, simulatePumpScenario, type PumpFork, type ScenarioResult, type WhatIfSettings } from './pump-scenario.js';

/** How close the speed reading must stay to a reached setpoint for the what-if to take it as the drive's setpoint. */
const SETPOINT_AGREEMENT = 0.02;

export interface PumpForkOptions {
  /** Wear law settings the twin does not know by itself (growth of a normal life at today's conditions, doubling, trip limit). */
  growthPerHour: number;
  doublingK: number;
  limitC: number;
  rampRpmPerS: number;
  /** Reference parameters of this pump type; the twin's estimates replace them. */
  parameters?: Partial<PumpParameters>;
}

/** Parameters twin-model estimates that the pump model takes over from the twin. */
const CALIBRATED = ['bearingFriction', 'peakEfficiency'] as const;

/**
 * The pump's state at this moment, from a twin snapshot (with statistics, for the mean speed): its fresh speed and
 * bearing temperature, the speed setpoint the drive holds or heads to, and the parameters twin-model estimated.
 * Refused, with the reason, when the twin cannot support a prediction (stale or bad readings, no reading at all).
 */
export function forkPump(snapshot: AssetSnapshot | undefined, options: PumpForkOptions): Parsed<PumpFork> {
  if (!snapshot) return { ok: false, reason: 'the twin has no such asset' };
  const reading = (name: string): Parsed<number> => {
    const s = snapshot.signals[name];
    if (!s) return { ok: false, reason: `the twin of ${snapshot.assetId} has no ${name} reading to start from` };
    if (s.stale) return { ok: false, reason: `the ${name} reading of ${snapshot.assetId} is stale: a what-if needs a live twin` };
    if (s.quality === 'bad') return { ok: false, reason: `the ${name} reading of ${snapshot.assetId} is bad` };
    if (s.badSince !== undefined) return { ok: false, reason: `the ${name} sensor of ${snapshot.assetId} is reported bad: a what-if needs its reading` };
    return { ok: true, value: s.value };
  };
  const speed = reading('speed');
  if (!speed.ok) return speed;
  const temp = reading('bearingTemp');
  if (!temp.ok) return temp;
  const parameters: PumpParameters = { ...DEFAULT_PUMP, ...options.parameters };
  const estimated: Record<string, unknown> = snapshot.parameters ?? {};
  for (const name of CALIBRATED) {
    const value = estimated[name];
    if (typeof value === 'number' && Number.isFinite(value) && value > 0) parameters[name] = value;
  }
  const ambient = snapshot.signals.ambientTemp;
  if (isCurrentReading(ambient)) parameters.ambientTempC = ambient.value;
  // The baseline holds the drive's setpoint, not the latest speed reading: a reading carries measurement noise (0.5 %
  // is 7 rpm), and a baseline at 1473 rpm against a scenario "1480 rpm, as now" reported differences nothing caused.
  // The setpoint is the desired value the twin holds for the drive: commanded and on its way, or reached while the
  // reading still agrees with it (a reached value stays 'reached' in the twin after someone changes the speed at the
  // machine, so agreement is checked here: within 2 %, four times the reading's noise). Without one, the mean speed
  // of the twin's window (its noise shrinks with the window; after a change at the machine it lags until the window
  // has turned over), else the reading.
  const desired = snapshot.desired?.speed;
  const mean = snapshot.statistics?.speed;
  const holds = desired !== undefined && (desired.state === 'pending' || (desired.state === 'reached' && Math.abs(speed.value - desired.value) <= SETPOINT_AGREEMENT * Math.abs(desired.value)));
  const setpointRpm = holds ? desired.value : mean && mean.count > 0 && Number.isFinite(mean.mean) ? mean.mean : speed.value;
  // The wear rate the user gives is that of a normal life at today's setpoint and ambient temperature.
  const referenceSpeedRpm = setpointRpm > 0 ? setpointRpm : parameters.ratedSpeedRpm;
  const wear: BearingWear = { growthPerHour: options.growthPerHour, referenceSpeedRpm, referenceAmbientC: parameters.ambientTempC, doublingK: options.doublingK, limitC: options.limitC };
  return {
    ok: true,
    value: { assetId: snapshot.assetId, version: snapshot.version, ts: snapshot.ts, speedRpm: speed.value, setpointRpm, bearingTempC: temp.value, parameters, wear, rampRpmPerS: options.rampRpmPerS },
  };
}

export interface WhatIfOutcome {
  assetId: string;
  /** The twin state the scenarios started from. */
  fork: { version: number; ts: number; speed: number; setpoint: number; bearingTemp: number; bearingFriction: number; rulNowH: number };
  baseline: ScenarioResult;
  scenarios: ScenarioResult[];
  /** One row per scenario (baseline first): the compact table for a dashboard. */
  table: TableRow[];
}

export interface TableRow {
  scenario: string;
  energyKwh: number;
  throughputM3: number;
  energyPerM3: number | null;
  peakBearingTempC: number;
  rulAtEndH: number;
  minutesOutsideLimits: number;
  /** How many limits were crossed in at least one run. */
  violations: number;
  /** Share of runs in which any limit was crossed (0–1): the chance this scenario crosses a limit. */
  limitCrossingProbability: number;
}

function round(value: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

/** A scenario's KPIs as one row of the dashboard table. */
export function tableRow(result: ScenarioResult): TableRow {
  const k = result.kpis;
  return {
    scenario: result.name,
    energyKwh: round(k.energyKwh, 2),
    throughputM3: round(k.throughputM3, 1),
    energyPerM3: k.energyPerM3 === null ? null : round(k.energyPerM3, 4),
    peakBearingTempC: round(k.peak.bearingTemp ?? NaN, 1),
    rulAtEndH: round(k.rulAtEndH, 1),
    minutesOutsideLimits: round(Object.values(k.timeOutsideLimitsS).reduce((a, b) => a + b, 0) / 60, 1),
    violations: result.violations.length,
    limitCrossingProbability: round(k.limitCrossingProbability, 3),
  };
}

/**
 * Runs the scenarios of one message on a fork of one pump. Each scenario is compared with a baseline of its own
 * horizon, step, runs and seed; `baseline` in the outcome is the first scenario's.
 */
export function runPumpWhatIf(fork: PumpFork, scenarios: Scenario[], settings: WhatIfSettings): Parsed<WhatIfOutcome> {
  if (scenarios.length === 0) return { ok: false, reason: 'no scenario to run' };
  const other = scenarios.find((s) => s.assetId !== fork.assetId);
  if (other) return { ok: false, reason: `scenario "${other.name}" is for ${other.assetId}, not ${fork.assetId}: one message compares scenarios of one asset` };
  const baselines = new Map<string, ScenarioResult>();
  const results: ScenarioResult[] = [];
  for (const scenario of scenarios) {
    const options = { horizonS: scenario.horizonS, stepS: scenario.stepS, runs: scenario.runs, seed: scenario.seed };
    const key = JSON.stringify(options);
    let baseline = baselines.get(key);
    if (!baseline) {
      const simulated = simulatePumpScenario(fork, undefined, settings, { name: 'baseline', ...options });
      if (!simulated.ok) return simulated;
      baseline = simulated.value;
      baselines.set(key, baseline);
    }
    const simulated = simulatePumpScenario(fork, scenario, settings, { name: scenario.name, ...options });
    if (!simulated.ok) return simulated;
    simulated.value.comparison = compareWithBaseline(simulated.value.kpis, baseline.kpis);
    results.push(simulated.value);
  }
  const baseline = baselines.values().next().value!;
  return {
    ok: true,
    value: {
      assetId: fork.assetId,
      fork: {
        version: fork.version,
        ts: fork.ts,
        speed: fork.speedRpm,
        setpoint: fork.setpointRpm,
        bearingTemp: fork.bearingTempC,
        bearingFriction: fork.parameters.bearingFriction,
        rulNowH: remainingLifeHours(fork.parameters, fork.wear, fork.setpointRpm, fork.parameters.bearingFriction),
      },
      baseline,
      scenarios: results,
      table: [tableRow(baseline), ...results.map(tableRow)],
    },
  };
}

/** An actuator command as twin-actuator takes it. */
export interface PromotedCommand {
  assetId: string;
  point: string;
  value: number;
  source: string;
}

/**
 * The setpoint changes of a scenario as actuator commands: "do this on the real pump". Only constant setpoints can
 * be promoted; a profile over time is not one command, so it is refused rather than cut down to its first value.
 * The commands carry no scenario mark: they are real commands, and twin-actuator runs every guard on them.
 */
export function promoteScenario(scenario: Scenario): Parsed<PromotedCommand[]> {
  if (scenario.changes.profile.length > 0) return { ok: false, reason: `scenario "${scenario.name}" changes its values over time (a profile); only constant setpoints can be sent to the machine` };
  const commands = Object.entries(scenario.changes.setpoints).map(([point, value]) => ({ assetId: scenario.assetId, point, value, source: `what-if: ${scenario.name}` }));
  if (commands.length === 0) return { ok: false, reason: `scenario "${scenario.name}" changes no setpoint, so there is nothing to send to the machine` };
  return { ok: true, value: commands };
}
