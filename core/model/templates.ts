/**
 * Physics model templates: each declares its inputs (operating conditions it reads), its outputs (signals it
 * expects) and its parameters, and computes expected values by calling the same physics as the simulator and
 * what-if (core/centrifugal-pump.ts, core/motor-thermal.ts) — never a copy of their formulas.
 *
 * Expected values use the reference (healthy) parameters, so residuals show how far the machine has moved from
 * healthy; the online estimators (friction-estimator.ts) say what its parameters are now.
 */
import { DEFAULT_PUMP, bearingTimeConstant, operatingPoint, stepBearingTemperature, type PumpParameters } from '../centrifugal-pump.js';
import { DEFAULT_MOTOR, stepWindingTemperature, steadyWindingTemperature, type MotorThermalParameters } from '../motor-thermal.js';
import type { Parsed } from '../telemetry.js';

export interface ModelSignal {
  name: string;
  unit: string;
  description: string;
}

export type ModelKind = 'pump-physics' | 'motor-thermal';

export interface ModelTemplate {
  kind: ModelKind;
  description: string;
  /** Operating conditions the model reads (required unless marked optional). */
  inputs: readonly (ModelSignal & { optional?: boolean })[];
  /** Signals the model predicts. */
  outputs: readonly ModelSignal[];
  /** Parameter names with their defaults. */
  parameters: Readonly<Record<string, number>>;
}

/** A model of one asset: it may hold state (a temperature) from update to update. */
export interface PhysicsModel {
  readonly template: ModelTemplate;
  /** Reference parameters in use. */
  readonly parameters: Readonly<Record<string, number>>;
  /**
   * Simulated seconds the model's own state needs to forget its guessed start (three time constants: 95 %), before
   * its residuals describe the machine rather than the guess.
   */
  readonly settlingSeconds: number;
  /**
   * Expected outputs at telemetry time `ts` (ms) given the measured signals (inputs are read from them; a measured
   * temperature only seeds the thermal state at the first update). Refused when a required input is missing.
   */
  expect(ts: number, measured: Readonly<Record<string, number>>): Parsed<Record<string, number>>;
}

export const PUMP_TEMPLATE: ModelTemplate = Object.freeze<ModelTemplate>({
  kind: 'pump-physics',
  description: 'Centrifugal pump on a fixed pipe system: affinity laws, head/flow and efficiency curves, motor power, bearing heat balance, vibration',
  inputs: [{ name: 'speed', unit: 'rpm', description: 'shaft speed' }],
  outputs: [
    { name: 'flow', unit: 'm3/h', description: 'flow where pump and system curves meet' },
    { name: 'pressure', unit: 'bar', description: 'discharge pressure above suction' },
    { name: 'power', unit: 'kW', description: 'electrical power drawn by the motor' },
    { name: 'vibration', unit: 'mm/s', description: 'vibration velocity (RMS)' },
    { name: 'bearingTemp', unit: 'degC', description: 'bearing temperature (first-order heat balance)' },
  ],
  parameters: { ...DEFAULT_PUMP },
});

export const MOTOR_THERMAL_TEMPLATE: ModelTemplate = Object.freeze<ModelTemplate>({
  kind: 'motor-thermal',
  description: 'First-order thermal image of a motor winding: iron loss plus copper loss ∝ current²',
  inputs: [
    { name: 'current', unit: 'A', description: 'motor current' },
    { name: 'ambientTemp', unit: 'degC', description: 'cooling air temperature (the parameter when absent)', optional: true },
  ],
  outputs: [{ name: 'windingTemp', unit: 'degC', description: 'winding temperature' }],
  parameters: { ...DEFAULT_MOTOR },
});

export const MODEL_TEMPLATES: Readonly<Record<ModelKind, ModelTemplate>> = Object.freeze({
  'pump-physics': PUMP_TEMPLATE,
  'motor-thermal': MOTOR_THERMAL_TEMPLATE,
});

/**
 * Merges parameter overrides into a template's defaults; refuses unknown names and values that are not finite
 * numbers, naming each, so a typo in the editor's JSON does not silently keep the default.
 */
export function resolveParameters<P extends object>(template: ModelTemplate, overrides: unknown): Parsed<P> {
  if (overrides === undefined || overrides === null) return { ok: true, value: { ...template.parameters } as P };
  if (typeof overrides !== 'object' || Array.isArray(overrides)) return { ok: false, reason: 'parameters must be an object like { "bearingFriction": 0.0015 }' };
  const problems: string[] = [];
  const value: Record<string, number> = { ...template.parameters };
  for (const [name, raw] of Object.entries(overrides as Record<string, unknown>)) {
    if (!(name in template.parameters)) problems.push(`"${name}" is not a parameter of ${template.kind} (${Object.keys(template.parameters).join(', ')})`);
    else if (typeof raw !== 'number' || !Number.isFinite(raw)) problems.push(`${name} must be a finite number, got ${JSON.stringify(raw)}`);
    else value[name] = raw;
  }
  if (problems.length > 0) return { ok: false, reason: problems.join('; ') };
  return { ok: true, value: value as P };
}

/** Seconds of physics between two telemetry times: `timeScale` simulated seconds per second of timestamps. */
function stepSeconds(previousTs: number | undefined, ts: number, timeScale: number): number {
  return previousTs === undefined ? 0 : (Math.max(0, ts - previousTs) / 1000) * timeScale;
}

function missingInput(template: ModelTemplate, measured: Readonly<Record<string, number>>): string | undefined {
  const missing = template.inputs.filter((i) => i.optional !== true && !Number.isFinite(measured[i.name]));
  return missing.length === 0 ? undefined : `${template.kind} needs the input ${missing.map((i) => `${i.name} (${i.unit})`).join(', ')}, which this update does not carry`;
}

export interface PhysicsModelOptions {
  /** Parameter overrides (validated by `resolveParameters`). */
  parameters?: unknown;
  /**
   * Simulated seconds per second of telemetry time (default 1). A simulator running at timeScale 3600 stamps one
   * simulated hour per real second; the model must step its thermal state by the same hour.
   */
  timeScale?: number;
}

/**
 * The temperature a model carries from update to update: seeded where the machine is at the first update (the model
 * does not know the past), then advanced by the model's own physics over the plant time between updates.
 */
class ThermalState {
  private tempC: number | undefined;
  private lastTs: number | undefined;

  constructor(private readonly timeScale: number) {}

  advance(ts: number, seed: () => number, step: (tempC: number, dtSeconds: number) => number): number {
    this.tempC = step(this.tempC ?? seed(), stepSeconds(this.lastTs, ts, this.timeScale));
    this.lastTs = ts;
    return this.tempC;
  }
}

/** The pump template as a running model. */
export class PumpModel implements PhysicsModel {
  readonly template = PUMP_TEMPLATE;
  readonly parameters: Readonly<PumpParameters>;
  private readonly bearing: ThermalState;

  constructor(parameters: PumpParameters, timeScale = 1) {
    this.parameters = { ...parameters };
    this.bearing = new ThermalState(timeScale);
  }

  get settlingSeconds(): number {
    return 3 * bearingTimeConstant(this.parameters);
  }

  expect(ts: number, measured: Readonly<Record<string, number>>): Parsed<Record<string, number>> {
    const missing = missingInput(this.template, measured);
    if (missing) return { ok: false, reason: missing };
    const point = operatingPoint(this.parameters, measured.speed!);
    const bearingTemp = this.bearing.advance(
      ts,
      () => measured.bearingTemp ?? point.steadyBearingTempC,
      (temp, dt) => stepBearingTemperature(this.parameters, temp, point.bearingLossW, dt),
    );
    return {
      ok: true,
      value: { flow: point.flowM3h, pressure: point.pressureBar, power: point.motorPowerKw, vibration: point.vibrationMmS, bearingTemp },
    };
  }
}

/** The motor thermal template as a running model. */
export class MotorThermalModel implements PhysicsModel {
  readonly template = MOTOR_THERMAL_TEMPLATE;
  readonly parameters: Readonly<MotorThermalParameters>;
  private readonly winding: ThermalState;

  constructor(parameters: MotorThermalParameters, timeScale = 1) {
    this.parameters = { ...parameters };
    this.winding = new ThermalState(timeScale);
  }

  get settlingSeconds(): number {
    return 3 * this.parameters.thermalResistance * this.parameters.heatCapacity;
  }

  expect(ts: number, measured: Readonly<Record<string, number>>): Parsed<Record<string, number>> {
    const missing = missingInput(this.template, measured);
    if (missing) return { ok: false, reason: missing };
    const current = measured.current!;
    const ambient = Number.isFinite(measured.ambientTemp) ? measured.ambientTemp! : this.parameters.ambientTempC;
    const windingTemp = this.winding.advance(
      ts,
      () => measured.windingTemp ?? steadyWindingTemperature(this.parameters, current, ambient),
      (temp, dt) => stepWindingTemperature(this.parameters, temp, current, dt, ambient),
    );
    return { ok: true, value: { windingTemp } };
  }
}

/** Builds a physics model of a kind, with parameter overrides checked. */
export function createPhysicsModel(kind: ModelKind, options: PhysicsModelOptions = {}): Parsed<PhysicsModel> {
  const timeScale = options.timeScale ?? 1;
  if (!(timeScale > 0 && Number.isFinite(timeScale))) return { ok: false, reason: `time scale must be a positive number, got ${timeScale}` };
  if (kind === 'pump-physics') {
    const p = resolveParameters<PumpParameters>(PUMP_TEMPLATE, options.parameters);
    return p.ok ? { ok: true, value: new PumpModel(p.value, timeScale) } : p;
  }
  const p = resolveParameters<MotorThermalParameters>(MOTOR_THERMAL_TEMPLATE, options.parameters);
  return p.ok ? { ok: true, value: new MotorThermalModel(p.value, timeScale) } : p;
}
