import {
  DEFAULT_PUMP,
  operatingPoint,
  stepBearingTemperature,
  type PumpParameters,
} from './centrifugal-pump.js';
import { SeededRandom } from './random.js';
import type { Telemetry } from './telemetry.js';

/** Signals the simulated pump reports, with their units. */
export const PUMP_SIGNALS = Object.freeze({
  speed: 'rpm',
  flow: 'm3/h',
  pressure: 'bar',
  bearingTemp: 'degC',
  vibration: 'mm/s',
  power: 'kW',
} as const);

export interface PumpSimulatorOptions {
  assetId: string;
  /** Same seed, same readings. */
  seed: number;
  parameters?: Partial<PumpParameters>;
  /** Initial speed setpoint (rpm); defaults to the rated speed. */
  speedSetpointRpm?: number;
  /** Bearing friction added per simulated hour, as a fraction of the initial friction (0.05 = +5 %/h). */
  frictionGrowthPerHour?: number;
  /** Measurement noise as a fraction of each reading (0.005 = 0.5 % standard deviation). */
  noise?: number;
  /** How fast the drive follows a new setpoint (rpm per second), like a VFD ramp. */
  speedRampRpmPerS?: number;
}

/**
 * A centrifugal pump that runs in simulated time: the design-phase twin, and the demo's stand-in for a real pump.
 * Its physics comes from `centrifugal-pump.ts`, the same code the model and what-if use.
 */
export class PumpSimulator {
  readonly assetId: string;
  private readonly parameters: PumpParameters;
  private readonly initialFriction: number;
  private readonly random: SeededRandom;
  private readonly frictionGrowthPerHour: number;
  private readonly noise: number;
  private readonly rampRpmPerS: number;
  private setpointRpm: number;
  private speedRpm: number;
  private bearingTempC: number;
  private elapsedSeconds = 0;
  /** Simulated seconds the bearing has run: wear grows with them, and a new bearing starts them again. */
  private bearingSeconds = 0;
  /** Friction added by faults (fraction of the initial friction), on top of normal wear. */
  private extraFriction = 0;

  constructor(options: PumpSimulatorOptions) {
    this.assetId = options.assetId;
    this.parameters = { ...DEFAULT_PUMP, ...options.parameters };
    this.initialFriction = this.parameters.bearingFriction;
    this.random = new SeededRandom(options.seed);
    this.frictionGrowthPerHour = options.frictionGrowthPerHour ?? 0.05;
    this.noise = options.noise ?? 0.005;
    this.rampRpmPerS = options.speedRampRpmPerS ?? 100;
    this.setpointRpm = options.speedSetpointRpm ?? this.parameters.ratedSpeedRpm;
    this.speedRpm = this.setpointRpm;
    // Start warm: at the temperature the bearing settles at for the starting speed.
    this.bearingTempC = operatingPoint(this.parameters, this.speedRpm).steadyBearingTempC;
  }

  /** Commands a new speed; the drive ramps towards it. Negative speeds are taken as zero. */
  setSpeedSetpoint(rpm: number): void {
    if (!Number.isFinite(rpm)) throw new Error(`speed setpoint must be a finite number, got ${rpm}`);
    this.setpointRpm = Math.max(0, rpm);
  }

  get speedSetpoint(): number {
    return this.setpointRpm;
  }

  /** Current true bearing friction coefficient (what a model should estimate). */
  get bearingFriction(): number {
    return this.parameters.bearingFriction;
  }

  /**
   * Adds bearing friction beyond normal wear (a fault such as lost lubrication), as a fraction of the initial
   * friction: 0.1 adds 10 %. It stays, as damage to a real bearing does; it takes effect at the next step.
   */
  addBearingFriction(fractionOfInitial: number): void {
    if (!Number.isFinite(fractionOfInitial) || fractionOfInitial < 0) {
      throw new Error(`added bearing friction must be a finite number ≥ 0, got ${fractionOfInitial}`);
    }
    this.extraFriction += fractionOfInitial;
  }

  /**
   * Fits a new bearing: friction back to that of a new one, wear counted again from zero, damage from earlier faults
   * gone with the old bearing. The pump comes back running at the temperature a new bearing settles at for its speed,
   * as a new simulator starts: the stop for the work and the run-in after it are not simulated. (A bearing left to
   * cool from the old one's temperature would look like a bearing getting healthier for the first few minutes, which
   * no run-to-failure life the pump RUL model learned from shows.)
   */
  replaceBearing(): void {
    this.bearingSeconds = 0;
    this.extraFriction = 0;
    this.parameters.bearingFriction = this.initialFriction;
    this.bearingTempC = operatingPoint(this.parameters, this.speedRpm).steadyBearingTempC;
  }

  /** Simulated seconds since the start. */
  get elapsed(): number {
    return this.elapsedSeconds;
  }

  /**
   * Advances the physics by `dtSeconds` of simulated time and returns the readings stamped `ts`.
   * Separating `ts` from `dtSeconds` lets a demo run wear faster than the clock without future timestamps.
   */
  step(ts: number, dtSeconds: number): Telemetry {
    if (!(dtSeconds >= 0)) throw new Error(`time step must be zero or positive, got ${dtSeconds}`);
    this.elapsedSeconds += dtSeconds;
    this.bearingSeconds += dtSeconds;
    this.parameters.bearingFriction =
      this.initialFriction * (1 + (this.frictionGrowthPerHour * this.bearingSeconds) / 3600 + this.extraFriction);

    const maxChange = this.rampRpmPerS * dtSeconds;
    const error = this.setpointRpm - this.speedRpm;
    this.speedRpm += Math.abs(error) <= maxChange ? error : Math.sign(error) * maxChange;

    const point = operatingPoint(this.parameters, this.speedRpm);
    this.bearingTempC = stepBearingTemperature(this.parameters, this.bearingTempC, point.bearingLossW, dtSeconds);

    return {
      assetId: this.assetId,
      ts,
      signals: {
        speed: this.measure(point.speedRpm),
        flow: this.measure(point.flowM3h),
        pressure: this.measure(point.pressureBar),
        bearingTemp: this.measure(this.bearingTempC),
        vibration: this.measure(point.vibrationMmS),
        power: this.measure(point.motorPowerKw),
      },
    };
  }

  private measure(value: number): number {
    const noisy = value * (1 + this.noise * this.random.gaussian());
    // Four decimals is finer than any field transmitter and keeps payloads short.
    return Math.round(noisy * 1e4) / 1e4;
  }
}
