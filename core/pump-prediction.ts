import { DEFAULT_PUMP, operatingPoint, stepBearingTemperature, type PumpParameters } from './centrifugal-pump.js';
import type { SignalDefinition } from './twin-definition.js';
import type { SignalLimit } from './what-if/pump-scenario.js';

/** One predicted moment of a pump after a speed command. */
export interface PredictedPoint {
  /** Seconds after the command. */
  t: number;
  speed: number;
  flow: number;
  pressure: number;
  bearingTemp: number;
  vibration: number;
  power: number;
}

export interface PumpPredictionInput {
  /** Current speed (rpm) and bearing temperature (°C) as the twin reports them. */
  speedRpm: number;
  bearingTempC: number;
  /** The speed to command (rpm). */
  targetRpm: number;
  /** Calibrated parameters (e.g. bearing friction estimated by twin-model); the rest are the defaults. */
  parameters?: Partial<PumpParameters>;
  /** How the drive moves towards the target (rpm/s). */
  rampRpmPerS?: number;
  horizonS: number;
  stepS?: number;
}

/**
 * What the pump will do after a speed command, with the same physics as the simulator and the model: the drive ramps
 * to the target, the operating point follows the affinity laws, and the bearing warms with its first-order time
 * constant. Used to refuse a command before it is written ("simulate before write").
 */
export function predictPumpAfterCommand(input: PumpPredictionInput): PredictedPoint[] {
  const p: PumpParameters = { ...DEFAULT_PUMP, ...input.parameters };
  const stepS = input.stepS ?? 10;
  const ramp = input.rampRpmPerS ?? 100;
  const out: PredictedPoint[] = [];
  let speed = input.speedRpm;
  let temp = input.bearingTempC;
  for (let t = stepS; t <= input.horizonS + 1e-9; t += stepS) {
    const maxChange = ramp * stepS;
    const error = input.targetRpm - speed;
    speed += Math.abs(error) <= maxChange ? error : Math.sign(error) * maxChange;
    const point = operatingPoint(p, speed);
    temp = stepBearingTemperature(p, temp, point.bearingLossW, stepS);
    out.push({ t, speed, flow: point.flowM3h, pressure: point.pressureBar, bearingTemp: temp, vibration: point.vibrationMmS, power: point.motorPowerKw });
  }
  return out;
}

/**
 * The first predicted value outside its limit, as a sentence (with the signal's unit from `signals`, the twin
 * definition's); undefined when all stay inside.
 */
export function firstLimitViolation(trajectory: readonly PredictedPoint[], limits: readonly SignalLimit[], signals: readonly SignalDefinition[] = []): string | undefined {
  for (const point of trajectory) {
    for (const limit of limits) {
      const value = (point as unknown as Record<string, number>)[limit.signal];
      if (value === undefined) continue;
      const unit = signals.find((s) => s.name === limit.signal)?.unit;
      const reading = `${round(value)}${unit ? ` ${unit}` : ''}`;
      if (limit.max !== undefined && value > limit.max) return `${limit.signal} would reach ${reading} after ${formatTime(point.t)}, above its maximum ${limit.max}`;
      if (limit.min !== undefined && value < limit.min) return `${limit.signal} would fall to ${reading} after ${formatTime(point.t)}, below its minimum ${limit.min}`;
    }
  }
  return undefined;
}

function round(x: number): number {
  return Math.round(x * 10) / 10;
}

function formatTime(seconds: number): string {
  return seconds < 120 ? `${Math.round(seconds)} s` : `${Math.round(seconds / 60)} min`;
}
